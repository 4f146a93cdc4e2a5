-- Topic taxonomy (seeds/topics.csv) with its hierarchy resolved through parent_code.
with recursive

topics as (
    select * from {{ ref('stg_config__topics') }}
),

tree as (
    select
        topic_code,
        nullif(parent_code, '') as parent_code,
        topic_code as top_level_code,
        1 as topic_level,
        topic_code as topic_path
    from topics
    where nullif(parent_code, '') is null
    union all
    select
        child.topic_code,
        child.parent_code,
        tree.top_level_code,
        tree.topic_level + 1,
        tree.topic_path || ' > ' || child.topic_code
    from topics as child
    inner join tree on child.parent_code = tree.topic_code
)

select
    topics.topic_code,
    tree.parent_code,
    tree.top_level_code,
    cast(tree.topic_level as integer) as topic_level,
    tree.topic_path,
    cast(topics.sort_order as integer) as sort_order,
    topics.name_vi,
    topics.name_en
from topics
inner join tree on topics.topic_code = tree.topic_code
