{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        on_schema_change='append_new_columns',
        pre_hook=[
            "set local jit = off",
            "{% if is_incremental() %}delete from {{ this }} where period_month in ({{ hot_spot_recomputed_months(ref('mart_unit_topic_month')) }}){% endif %}",
            "{{ record_build_watermark() }}",
        ],
        indexes=[
            {'columns': ['hot_spot_key'], 'unique': True},
            {'columns': ['period_month', 'topic_code', 'unit_code']},
        ],
    )
}}
-- pre_hook: JIT off for this transaction (see fct_opinion_signal).
-- Hot spots (điểm nóng) per unit x topic x month, raised by either documented rule:
--   unit_flagged:   a unit's current report flags the topic as a hot spot;
--   negative_spike: negative signals of the unit x topic in the month reach var hot_spot_min_negative
--                   and exceed var hot_spot_factor x the trailing six-month baseline (mean negative
--                   signals per month over the six previous months, months without signals = 0).
-- evidence_refs lists the signals that triggered it (flagged reports, negative signals).
-- Incremental: a run recomputes only the months whose unit x topic cells changed since the last run
-- and the six months after each (their baseline includes the changed month); the pre-hook deletes
-- those months first (a month can lose all its hot spots), then their rows are appended. It reads
-- the recomputed months, their six previous months (baseline) and the recomputed months' signals.
-- Changing hot_spot_factor or hot_spot_min_negative needs --full-refresh.
with

{% if is_incremental() %}
    recomputed_months as (
        {{ hot_spot_recomputed_months(ref('mart_unit_topic_month')) }}
    ),

    baseline_months as (
        select distinct cast(recomputed_months.period_month - make_interval(months => shift.months) as date) as period_month
        from recomputed_months
        cross join generate_series(0, 6) as shift (months)
    ),
{% endif %}

unit_topic_months as (
    select * from {{ ref('mart_unit_topic_month') }}
    {% if is_incremental() %}
        where period_month in (select period_month from baseline_months)
    {% endif %}
),

signals as (
    select * from {{ ref('fct_opinion_signal') }}
    {% if is_incremental() %}
        where period_month in (select period_month from recomputed_months)
    {% endif %}
),

baselined as (
    select
        unit_code,
        topic_code,
        period_month,
        negative_signals,
        units_flagging_hot_spot,
        mean_sentiment,
        max(source_updated_at) over (partition by period_month) as month_source_updated_at,
        coalesce(sum(negative_signals) over (
            partition by unit_code, topic_code
            order by period_month
            range between interval '6 months' preceding and interval '1 month' preceding
        ), 0) / 6.0 as baseline_negative_signals
    from unit_topic_months
),

ruled as (
    select
        baselined.*,
        units_flagging_hot_spot > 0 as is_flagged_by_unit,
        negative_signals >= {{ var('hot_spot_min_negative', 3) }}
        and negative_signals > {{ var('hot_spot_factor', 2) }} * baseline_negative_signals as is_negative_spike
    from baselined
),

hot as (
    select * from ruled
    where
        (is_flagged_by_unit or is_negative_spike)
        {% if is_incremental() %}
            and period_month in (select period_month from recomputed_months)
        {% endif %}
),

evidence as (
    select
        hot.unit_code,
        hot.topic_code,
        hot.period_month,
        (array_agg(signals.evidence_ref order by signals.is_hot_spot desc, signals.sentiment asc, signals.evidence_ref asc))[1:20] as evidence_refs,
        count(*) as evidence_count
    from hot
    inner join signals
        on
            hot.period_month = signals.period_month
            and coalesce(signals.unit_code, '') = coalesce(hot.unit_code, '')
            and coalesce(signals.topic_code, '') = coalesce(hot.topic_code, '')
            and (
                (hot.is_flagged_by_unit and signals.is_hot_spot)
                or (hot.is_negative_spike and signals.is_negative)
            )
    group by hot.unit_code, hot.topic_code, hot.period_month
)

select
    {{ surrogate_key(['hot.unit_code', 'hot.topic_code', 'hot.period_month']) }} as hot_spot_key,
    hot.unit_code,
    hot.topic_code,
    hot.period_month,
    array_remove(array[
        case when hot.is_flagged_by_unit then 'unit_flagged' end,
        case when hot.is_negative_spike then 'negative_spike' end
    ], null) as rules,
    hot.is_flagged_by_unit,
    hot.is_negative_spike,
    cast(hot.negative_signals as integer) as negative_signals,
    cast(round(hot.baseline_negative_signals, 4) as numeric) as baseline_negative_signals,
    cast({{ var('hot_spot_factor', 2) }} as numeric) as spike_factor,
    cast({{ var('hot_spot_min_negative', 3) }} as integer) as min_negative_signals,
    hot.mean_sentiment,
    coalesce(evidence.evidence_refs, cast(array[] as text[])) as evidence_refs,
    cast(coalesce(evidence.evidence_count, 0) as integer) as evidence_count,
    hot.month_source_updated_at as source_updated_at
from hot
left join evidence
    on
        hot.period_month = evidence.period_month
        and coalesce(evidence.unit_code, '') = coalesce(hot.unit_code, '')
        and coalesce(evidence.topic_code, '') = coalesce(hot.topic_code, '')
