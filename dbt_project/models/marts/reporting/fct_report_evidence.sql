-- What units wrote, for BI and the monthly report: one row per evidence of a report version,
--   item:   an opinion item of a form (its summary, sentiment, hot-spot flag, forecast, proposal);
--   topic:  a topic the report is about, with the sentence that is its evidence;
--   report: the report-level forecast and proposals parts.
-- Attributed to unit, month, report type and obligation; is_current_version as in
-- int_report_versions (fct_report_submission.current_report_key gives the current version as of
-- a day). Only the units' own report text: no survey answers, no scanned posts.
with

versions as (
    select * from {{ ref('int_report_versions') }}
),

reports as (
    select * from {{ ref('stg_raw__reports') }}
),

items as (
    select * from {{ ref('stg_raw__report_items') }}
),

topics as (
    select * from {{ ref('stg_raw__report_topics') }}
),

evidence as (
    select
        items.report_key,
        'item:' || items.item_no as member_key,
        'item' as evidence_kind,
        items.item_no,
        items.topic_code,
        nullif(trim(items.summary), '') as evidence_text,
        items.sentiment_score,
        coalesce(items.is_hot_spot, false) as is_hot_spot,
        nullif(trim(items.forecast), '') as forecast,
        nullif(trim(items.proposal), '') as proposals
    from items
    union all
    select
        topics.report_key,
        'topic:' || topics.topic_code as member_key,
        'topic' as evidence_kind,
        cast(null as integer) as item_no,
        topics.topic_code,
        nullif(trim(topics.evidence), '') as evidence_text,
        cast(null as integer) as sentiment_score,
        coalesce(topics.is_hot_spot, false) as is_hot_spot,
        cast(null as text) as forecast,
        cast(null as text) as proposals
    from topics
    union all
    select
        reports.report_key,
        'report' as member_key,
        'report' as evidence_kind,
        cast(null as integer) as item_no,
        cast(null as text) as topic_code,
        cast(null as text) as evidence_text,
        cast(null as integer) as sentiment_score,
        false as is_hot_spot,
        reports.forecast,
        reports.proposals
    from reports
    where reports.forecast is not null or reports.proposals is not null
)

select
    md5(evidence.report_key || '|' || evidence.member_key) as evidence_key,
    evidence.report_key,
    versions.unit_code,
    versions.period_month,
    versions.report_type,
    versions.obligation_ref,
    versions.request_code,
    versions.doc_number,
    cast(versions.version_no as integer) as version_no,
    versions.is_current_version,
    evidence.member_key,
    evidence.evidence_kind,
    evidence.item_no,
    evidence.topic_code,
    evidence.evidence_text,
    cast(evidence.sentiment_score as integer) as sentiment_score,
    evidence.is_hot_spot,
    evidence.forecast,
    evidence.proposals
from evidence
inner join versions on evidence.report_key = versions.report_key
