with

source as (
    select * from {{ source('raw', 'report_topics') }}
),

renamed as (
    select
        report_key,
        topic_code,
        evidence,
        is_hot_spot
    from source
)

select * from renamed
