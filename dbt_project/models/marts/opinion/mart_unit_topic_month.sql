{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='period_month',
        on_schema_change='append_new_columns',
        pre_hook=[
            "set local jit = off",
            "{% if is_incremental() %}delete from {{ this }} where period_month in ({{ months_left_by_signals(ref('fct_opinion_signal')) }}){% endif %}",
            "{{ record_build_watermark() }}",
        ],
        indexes=[
            {'columns': ['unit_topic_month_key'], 'unique': True},
            {'columns': ['period_month', 'topic_code', 'unit_code']},
            {'columns': ['unit_code', 'topic_code', 'period_month']},
        ],
    )
}}
-- pre_hook: incremental runs touch a few months; JIT compilation (triggered by the planner's estimates
-- over the whole fact) costs more than the query itself. `set local` lasts for the model's transaction.
-- The second hook deletes the months scanned items left: delete+insert only replaces months that still
-- have rows, and a month whose only items moved away has none.
-- Opinion per unit x topic x month across the three sources. Survey figures are null below
-- var min_cell_size respondents (survey_is_suppressed). mean_sentiment is weighted by the signal
-- weights over signals with a (non-suppressed) sentiment; negative_share = negative signals /
-- signals with a sentiment. Incremental: months with signals changed since the last run are
-- recomputed, and so is the month after each (its change from the previous month). The watermark
-- (latest source_updated_at minus var signal_lookback_minutes) is inlined as a literal so the
-- planner walks fct_opinion_signal's updated_at index instead of scanning the whole fact.
-- signals is NOT MATERIALIZED: referenced twice, it would otherwise be materialized whole (a scan of
-- the entire fact) instead of letting each filter use the fact's indexes.
with

signals as not materialized (
    select * from {{ ref('fct_opinion_signal') }}
),

{% if is_incremental() %}
    changed_months as (
        select period_month
        from signals
        where updated_at >= {{ source_watermark() }}
        union
        -- the month a scanned item left (see fct_opinion_signal.previous_period_month)
        select previous_period_month
        from signals
        where updated_at >= {{ source_watermark() }} and previous_period_month is not null
    ),

    recomputed_months as (
        select period_month from changed_months
        union
        select cast(period_month + interval '1 month' as date) from changed_months
    ),
{% endif %}

-- In incremental runs the lateral join (offset 0 keeps it from being flattened) reads the few
-- months through the fact's period_month index instead of scanning every month ever loaded.
scoped_signals as (
    {% if is_incremental() %}
        select month_signals.*
        from (
            select period_month from recomputed_months
            union
            select cast(period_month - interval '1 month' as date) from recomputed_months
        ) as scoped_months
        cross join lateral (
            select signals.*
            from signals
            where signals.period_month = scoped_months.period_month
            offset 0
        ) as month_signals
    {% else %}
        select * from signals
    {% endif %}
),

aggregated as (
    select
        unit_code,
        topic_code,
        period_month,
        count(*) as signals,
        count(*) filter (where source = 'report') as report_mentions,
        count(*) filter (where source = 'report' and sentiment < 0) as report_negative_mentions,
        max(case when source = 'report' and is_hot_spot then 1 else 0 end) as units_flagging_hot_spot,
        sum(respondents) filter (where source = 'survey' and not is_suppressed) as survey_respondents,
        avg(sentiment) filter (where source = 'survey' and not is_suppressed) as survey_mean_score,
        coalesce(bool_or(is_suppressed) filter (where source = 'survey'), false) as survey_is_suppressed,
        count(*) filter (where source = 'scan') as scan_items,
        sum(engagement) filter (where source = 'scan') as scan_engagement,
        sum(sentiment * weight) filter (where sentiment is not null and weight > 0)
        / nullif(sum(weight) filter (where sentiment is not null and weight > 0), 0) as mean_sentiment,
        count(*) filter (where sentiment is not null) as signals_with_sentiment,
        count(*) filter (where is_negative) as negative_signals
    from scoped_signals
    group by unit_code, topic_code, period_month
),

with_previous as (
    select
        current_month.*,
        previous_month.mean_sentiment as previous_mean_sentiment
    from aggregated as current_month
    left join aggregated as previous_month
        on
            coalesce(current_month.unit_code, '') = coalesce(previous_month.unit_code, '')
            and coalesce(current_month.topic_code, '') = coalesce(previous_month.topic_code, '')
            and previous_month.period_month = cast(current_month.period_month - interval '1 month' as date)
    {% if is_incremental() %}
        where current_month.period_month in (select period_month from recomputed_months)
    {% endif %}
)

select
    {{ surrogate_key(['unit_code', 'topic_code', 'period_month']) }} as unit_topic_month_key,
    unit_code,
    topic_code,
    period_month,
    cast(signals as integer) as signals,
    cast(report_mentions as integer) as report_mentions,
    cast(report_negative_mentions as integer) as report_negative_mentions,
    cast(units_flagging_hot_spot as integer) as units_flagging_hot_spot,
    cast(survey_respondents as integer) as survey_respondents,
    cast(round(survey_mean_score, 4) as numeric) as survey_mean_score,
    survey_is_suppressed,
    cast(scan_items as integer) as scan_items,
    cast(scan_engagement as bigint) as scan_engagement,
    cast(round(mean_sentiment, 4) as numeric) as mean_sentiment,
    cast(negative_signals as integer) as negative_signals,
    cast(round(cast(negative_signals as numeric) / nullif(signals_with_sentiment, 0), 4) as numeric) as negative_share,
    cast(round(previous_mean_sentiment, 4) as numeric) as previous_mean_sentiment,
    cast(round(mean_sentiment - previous_mean_sentiment, 4) as numeric) as mean_sentiment_change,
    -- when this run wrote the row: mart_hot_spots reads from its recorded safe point on it
    now() as source_updated_at
from with_previous
