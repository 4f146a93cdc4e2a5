-- One row per unique scanned media item (after de-duplication across tools): what BI and the
-- monthly report show of it: platform, URL, title, publication time and latest engagement.
-- signal_group_key joins it to its signals in fct_opinion_signal (source 'scan').
-- Never the author's handle nor the post text (restricted.scan_item_text).
-- Incremental: the items written since the safe point of the last run (see fct_opinion_signal and
-- macros/advanced/README.md) replace their rows; 5 M items were rebuilt, and their uniqueness
-- tested, on every build. The unique indexes keep both keys unique over the whole table.
{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='item_key',
        on_schema_change='append_new_columns',
        pre_hook=["{{ record_build_watermark() }}"],
        indexes=[
            {'columns': ['item_key'], 'unique': True},
            {'columns': ['signal_group_key'], 'unique': True},
            {'columns': ['updated_at']},
        ],
    )
}}
{% set since = recorded_watermark() %}

with

scan_items as not materialized (
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
    cast(likes + comments + shares as bigint) as engagement,
    updated_at
from scan_items
{% if is_incremental() %}
    where updated_at >= cast('{{ since if since is not none else "-infinity" }}' as timestamptz)
{% endif %}
