{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='signal_group_key',
        on_schema_change='append_new_columns',
        pre_hook=["set local jit = off", "{{ record_build_watermark() }}"],
        indexes=[
            {'columns': ['signal_group_key']},
            {'columns': ['signal_id'], 'unique': True},
            {'columns': ['source', 'updated_at']},
            {'columns': ['updated_at']},
            {'columns': ['period_month', 'topic_code', 'unit_code']},
        ],
    )
}}
-- pre_hook: incremental runs touch a few months; JIT compilation (triggered by the planner's estimates
-- over the whole fact) costs more than the query itself. `set local` lasts for the model's transaction.
-- One row per opinion signal from any source, on a common scale (sentiment -1..1):
--   report: each opinion item (or topic mention without item) of the current report version;
--   survey: one signal per unit x topic x month cell = mean over respondents of each response's
--           mean normalised score (mapped to -1..1); cells under var min_cell_size respondents are
--           suppressed (null sentiment, weight and respondents). Per-response rows stay out of marts;
--   scan:   each scanned item x topic, weight = 1 + ln(1 + likes + comments + 2 x shares + views / 100).
-- Incremental: delete+insert by signal_group_key (a report group = unit x month x type x obligation_ref:
-- the request, or an unrequested ad-hoc report's own deadline, so two of them in a month both count,
-- a survey group = unit x month, a scan group = item), recomputing only the groups whose raw rows
-- changed since the last run (per-source watermark on updated_at, minus var signal_lookback_minutes).
-- Changing min_cell_size needs --full-refresh.

-- Import CTEs are NOT MATERIALIZED so filters reach the raw tables' indexes.
with

report_versions as not materialized (
    select * from {{ ref('int_report_versions') }}
),

report_items as not materialized (
    select * from {{ ref('stg_raw__report_items') }}
),

report_topics as not materialized (
    select * from {{ ref('stg_raw__report_topics') }}
),

survey_responses as not materialized (
    select * from {{ ref('stg_raw__survey_responses') }}
),

survey_answers as not materialized (
    select * from {{ ref('stg_raw__survey_answers') }}
),

survey_scales as not materialized (
    select * from {{ ref('int_survey_question_scales') }}
),

scan_items as not materialized (
    select * from {{ ref('stg_raw__scan_items') }}
),

-- reports ------------------------------------------------------------------------------------
report_groups as (
    select
        'report|' || unit_code || '|' || period_month || '|' || report_type || '|' || obligation_ref as signal_group_key,
        report_key,
        unit_code,
        period_month,
        is_current_version,
        max(changed_at) over (partition by unit_code, period_month, report_type, obligation_ref) as group_changed_at
    from report_versions
),

current_reports as (
    select * from report_groups
    where
        is_current_version
        {% if is_incremental() %}  -- noqa: LT02
            and group_changed_at >= {{ signal_watermark('report') }}
        {% endif %}  -- noqa: LT02
),

report_item_signals as (
    select
        current_reports.signal_group_key,
        'item:' || report_items.item_no as member_key,
        current_reports.unit_code,
        report_items.topic_code,
        current_reports.period_month,
        cast(report_items.sentiment_score as numeric) as sentiment,
        report_items.is_hot_spot,
        'report:' || current_reports.report_key || '#item:' || report_items.item_no as evidence_ref,
        current_reports.group_changed_at as updated_at
    from current_reports
    inner join report_items on current_reports.report_key = report_items.report_key
),

report_topic_signals as (
    select
        current_reports.signal_group_key,
        'topic:' || report_topics.topic_code as member_key,
        current_reports.unit_code,
        report_topics.topic_code,
        current_reports.period_month,
        cast(null as numeric) as sentiment,
        report_topics.is_hot_spot,
        'report:' || current_reports.report_key || '#topic:' || report_topics.topic_code as evidence_ref,
        current_reports.group_changed_at as updated_at
    from current_reports
    inner join report_topics on current_reports.report_key = report_topics.report_key
    where not exists (
        select 1 from report_items
        where
            report_items.report_key = report_topics.report_key
            and report_items.topic_code = report_topics.topic_code
    )
),

-- Both CTEs select the same columns in the same order.
report_rows as (
    select * from report_item_signals
    union all
    select * from report_topic_signals
),

report_signals as (
    select
        signal_group_key,
        member_key,
        'report' as source,
        unit_code,
        topic_code,
        period_month,
        sentiment,
        is_hot_spot,
        cast(1 as numeric) as weight,
        cast(null as bigint) as engagement,
        cast(null as integer) as respondents,
        false as is_suppressed,
        evidence_ref,
        updated_at
    from report_rows
),

-- surveys ------------------------------------------------------------------------------------
{% if is_incremental() %}
    touched_survey_cells as (
        select
            unit_code,
            period_month
        from survey_responses
        where updated_at >= {{ signal_watermark('survey') }}
        union
        select
            survey_responses.unit_code,
            survey_responses.period_month
        from survey_answers
        inner join survey_responses on survey_answers.submission_uuid = survey_responses.submission_uuid
        where survey_answers.updated_at >= {{ signal_watermark('survey') }}
    ),
{% endif %}

-- In incremental runs the lateral joins (offset 0 keeps them from being flattened) walk the
-- indexes from the few touched cells instead of hashing every answer ever loaded.
scoped_responses as (
    {% if is_incremental() %}
        select cell_responses.*
        from touched_survey_cells
        cross join lateral (
            select survey_responses.*
            from survey_responses
            where
                survey_responses.unit_code = touched_survey_cells.unit_code
                and survey_responses.period_month = touched_survey_cells.period_month
            offset 0
        ) as cell_responses
    {% else %}
        select * from survey_responses
    {% endif %}
),

answer_scores as (
    select
        scoped_responses.submission_uuid,
        scoped_responses.respondent_key,
        scoped_responses.unit_code,
        scoped_responses.period_month,
        coalesce(survey_answers.topic_code, survey_scales.topic_code) as topic_code,
        least(1, greatest(
            0,
            (survey_answers.numeric_score - survey_scales.scale_min) / (survey_scales.scale_max - survey_scales.scale_min)
        )) as normalised,
        greatest(scoped_responses.updated_at, survey_answers.updated_at) as updated_at
    from scoped_responses
    {% if is_incremental() %}
        cross join lateral (
            select response_answers.*
            from survey_answers as response_answers
            where response_answers.submission_uuid = scoped_responses.submission_uuid
            offset 0
        ) as survey_answers
    {% else %}
        inner join survey_answers on scoped_responses.submission_uuid = survey_answers.submission_uuid
    {% endif %}
    inner join survey_scales
        on
            scoped_responses.form_id = survey_scales.form_id
            and survey_answers.question_name = survey_scales.question_name
    where survey_answers.numeric_score is not null
),

response_topic_scores as (
    select
        submission_uuid,
        respondent_key,
        unit_code,
        period_month,
        topic_code,
        -- numeric_score of a negatively worded question is already reversed at ingestion
        -- (min + max - answer, see docs/surveys.md): reversing again here would undo it.
        avg(2 * normalised - 1) as score,
        max(updated_at) as updated_at
    from answer_scores
    where topic_code is not null
    group by submission_uuid, respondent_key, unit_code, period_month, topic_code
),

survey_cells as (
    select
        unit_code,
        topic_code,
        period_month,
        count(distinct respondent_key) as respondents,
        avg(score) as mean_score,
        max(updated_at) as updated_at
    from response_topic_scores
    group by unit_code, topic_code, period_month
),

survey_signals as (
    select
        'survey|' || unit_code || '|' || period_month as signal_group_key,
        'topic:' || topic_code as member_key,
        'survey' as source,
        unit_code,
        topic_code,
        period_month,
        cast({{ suppress_below_k('round(mean_score, 4)', 'respondents') }} as numeric) as sentiment,
        false as is_hot_spot,
        cast({{ suppress_below_k('respondents', 'respondents') }} as numeric) as weight,
        cast(null as bigint) as engagement,
        cast({{ suppress_below_k('respondents', 'respondents') }} as integer) as respondents,
        respondents < {{ min_cell_size() }} as is_suppressed,
        'survey:' || unit_code || '|' || topic_code || '|' || to_char(period_month, 'YYYY-MM') as evidence_ref,
        updated_at
    from survey_cells
),

-- scans --------------------------------------------------------------------------------------
scoped_scan_items as (
    select * from scan_items
    {% if is_incremental() %}
        where updated_at >= {{ signal_watermark('scan') }}
    {% endif %}
),

scan_signals as (
    select
        'scan|' || scoped_scan_items.item_key as signal_group_key,
        'topic:' || coalesce(item_topic.topic_code, '') as member_key,
        'scan' as source,
        scoped_scan_items.unit_code,
        item_topic.topic_code,
        scoped_scan_items.period_month,
        cast(scoped_scan_items.sentiment as numeric) as sentiment,
        false as is_hot_spot,
        cast(round(cast(1 + ln(
            1 + scoped_scan_items.likes + scoped_scan_items.comments + 2 * scoped_scan_items.shares
            + scoped_scan_items.views / 100.0
        ) as numeric), 4) as numeric) as weight,
        cast(scoped_scan_items.likes + scoped_scan_items.comments + scoped_scan_items.shares as bigint) as engagement,
        cast(null as integer) as respondents,
        false as is_suppressed,
        coalesce(scoped_scan_items.url, 'scan:' || scoped_scan_items.item_key) as evidence_ref,
        scoped_scan_items.updated_at
    from scoped_scan_items
    cross join lateral unnest(
        case when cardinality(scoped_scan_items.topic_codes) > 0 then scoped_scan_items.topic_codes else array[cast(null as text)] end
    ) as item_topic (topic_code)
),

signals as (
    select * from report_signals
    union all
    select * from survey_signals
    union all
    select * from scan_signals
),

-- The month each replaced group had before this run: a scanned item moves to another month when a
-- later capture gives its publication date; the marts then recompute the month it left as well.
-- (A table built before previous_period_month existed gets the column on this run.)
stored_groups as (
    {% if is_incremental() %}
        select distinct on (signal_group_key)
            signal_group_key as stored_group_key,
            period_month as stored_period_month,
            {{ existing_column_or_null('previous_period_month', 'date') }} as stored_previous_period_month
        from {{ this }}
        where signal_group_key in (select signals.signal_group_key from signals)
        order by signal_group_key
    {% else %}
        select
            cast(null as text) as stored_group_key,
            cast(null as date) as stored_period_month,
            cast(null as date) as stored_previous_period_month
        limit 0
    {% endif %}
)

select
    md5(signal_group_key || '|' || member_key) as signal_id,
    signal_group_key,
    source,
    unit_code,
    topic_code,
    period_month,
    sentiment,
    coalesce(sentiment < 0, false) as is_negative,
    is_hot_spot,
    weight,
    engagement,
    respondents,
    is_suppressed,
    evidence_ref,
    -- when this run wrote the row (its transaction's start): the marts above read from their own
    -- recorded safe point on this column (the source rows' own times could precede it)
    now() as updated_at,
    -- sticky: a later run without a move keeps it, so a mart that missed a run still sees the move
    -- (a group not stored before has no stored month: null)
    case
        when stored_groups.stored_period_month <> signals.period_month then stored_groups.stored_period_month
        else stored_groups.stored_previous_period_month
    end as previous_period_month
from signals
left join stored_groups on signals.signal_group_key = stored_groups.stored_group_key
