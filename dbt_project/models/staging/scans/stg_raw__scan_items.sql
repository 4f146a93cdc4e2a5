-- Unique media items from the monitoring tools (no raw post text: that is restricted.scan_item_text).
with

source as (
    select * from {{ source('raw', 'scan_items') }}
),

renamed as (
    select
        item_key,
        coalesce(canonical_url, url) as url,
        platform,
        nullif(trim(title), '') as title,
        published_at,
        first_captured_at,
        last_captured_at,
        cast(period_month as date) as period_month,
        coalesce(likes, 0) as likes,
        coalesce(shares, 0) as shares,
        coalesce(comments, 0) as comments,
        coalesce(views, 0) as views,
        sentiment,
        topic_codes,
        nullif(upper(trim(unit_code)), '') as unit_code,
        updated_at
    from source
)

select * from renamed
