-- The topic taxonomy in force (config topics.csv).
with

source as (
    select * from {{ source('config', 'topics') }}
)

select
    topic_code,
    nullif(trim(parent_code), '') as parent_code,
    sort_order,
    name_vi,
    name_en,
    keywords
from source
