-- One row per unique scanned media item (after de-duplication across tools): what BI and the
-- monthly report show of it: platform, URL, title, publication time and latest engagement.
-- signal_group_key joins it to its signals in fct_opinion_signal (source 'scan').
-- Never the author's handle nor the post text (restricted.scan_item_text).
with

scan_items as (
    select * from {{ ref('stg_raw__scan_items') }}
)

select
    item_key,
    'scan|' || item_key as signal_group_key,
    platform,
    url,
    title,
    published_at,
    period_month,
    unit_code,
    cast(likes as bigint) as likes,
    cast(comments as bigint) as comments,
    cast(shares as bigint) as shares,
    cast(views as bigint) as views,
    cast(likes + comments + shares as bigint) as engagement
from scan_items
