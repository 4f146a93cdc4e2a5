-- Hot spots (điểm nóng) per unit x topic x month, raised by either documented rule:
--   unit_flagged:   a unit's current report flags the topic as a hot spot;
--   negative_spike: negative signals of the unit x topic in the month reach var hot_spot_min_negative
--                   and exceed var hot_spot_factor x the trailing six-month baseline (mean negative
--                   signals per month over the six previous months, months without signals = 0).
-- evidence_refs lists the signals that triggered it (flagged reports, negative signals).
with

unit_topic_months as (
    select * from {{ ref('mart_unit_topic_month') }}
),

signals as (
    select * from {{ ref('fct_opinion_signal') }}
),

baselined as (
    select
        unit_code,
        topic_code,
        period_month,
        negative_signals,
        units_flagging_hot_spot,
        mean_sentiment,
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
    select * from ruled where is_flagged_by_unit or is_negative_spike
),

evidence as (
    select
        hot.unit_code,
        hot.topic_code,
        hot.period_month,
        (array_agg(signals.evidence_ref order by signals.is_hot_spot desc, signals.sentiment, signals.evidence_ref))[1:20] as evidence_refs,
        count(*) as evidence_count
    from hot
    inner join signals
        on signals.period_month = hot.period_month
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
    coalesce(evidence.evidence_refs, array[]::text[]) as evidence_refs,
    cast(coalesce(evidence.evidence_count, 0) as integer) as evidence_count
from hot
left join evidence
    on evidence.period_month = hot.period_month
    and coalesce(evidence.unit_code, '') = coalesce(hot.unit_code, '')
    and coalesce(evidence.topic_code, '') = coalesce(hot.topic_code, '')
