with

source as (
    select * from {{ source('raw', 'report_items') }}
),

renamed as (
    select
        report_key,
        item_no,
        topic_code,
        topic_raw,
        summary,
        sentiment,
        case sentiment
            when 'tich_cuc' then 1
            when 'trung_lap' then 0
            when 'tieu_cuc' then -1
        end as sentiment_score,
        is_hot_spot,
        cause,
        forecast,
        proposal
    from source
)

select * from renamed
