-- One row per received report version, with its received time by the rule
-- register > form > inbox, its ad-hoc request, and its version number within
-- unit x month x report type x obligation (1 = first received; the first counts for timeliness,
-- the latest is current).
-- obligation_ref names what the version answers: '' for a periodic report, the request code of
-- an ad-hoc request, else (an ad-hoc report no request in adhoc_requests matches) 'due:' + its
-- own stated deadline, so it is its own obligation and never a version of the monthly report.
-- attribution says who decided the unit: header | register | file_name | signature (documents,
-- see ingestion/reports/documents.decide_unit), form (structured forms), manual (dlxh reports assign).
with

reports as (
    select * from {{ ref('stg_raw__reports') }}
),

register as (
    select * from {{ ref('stg_raw__document_register') }}
),

raw_extraction as (
    select
        report_key,
        extraction ->> 'attribution' as attribution,
        extraction ->> 'confidence' as attribution_confidence,
        extraction ->> 'replaces_doc_number' as replaces_doc_number,
        nullif(extraction ->> 'request_code', '') as request_code
    from {{ source('raw', 'reports') }}
),

adhoc_requests as (
    select * from {{ ref('stg_config__adhoc_requests') }}
),

-- A register entry matches a report by attachment file name, else by unit + document number.
register_by_file as (
    select
        reports.report_key,
        min(register.received_at) as received_at,
        max(register.loaded_at) as loaded_at
    from reports
    inner join register on reports.source_file_key = register.attachment_name_key
    group by reports.report_key
),

register_by_number as (
    select
        reports.report_key,
        min(register.received_at) as received_at,
        max(register.loaded_at) as loaded_at
    from reports
    inner join register
        on
            reports.unit_code = register.unit_code
            and reports.doc_number = register.doc_number
    group by reports.report_key
),

-- An ad-hoc report answers a request of adhoc_requests only when it says so: the request code
-- the document names (or its title matches the request's, both found at ingestion:
-- extraction.request_code), else the request code written in the register's row for it
-- (number or «Trích yếu»). Nothing else (not a nearby deadline, not being the month's only
-- request) makes it that request's report: an unrequested ad-hoc report is its own obligation.
named_request as (
    select
        raw_extraction.report_key,
        adhoc_requests.request_code
    from raw_extraction
    inner join reports on raw_extraction.report_key = reports.report_key
    inner join adhoc_requests
        on
            raw_extraction.request_code = adhoc_requests.request_code
            and reports.period_month = adhoc_requests.period_month
    where reports.report_type = 'ad_hoc'
),

register_request as (
    select
        reports.report_key,
        min(adhoc_requests.request_code) as request_code,
        count(distinct adhoc_requests.request_code) as requests
    from reports
    inner join register
        on
            reports.source_file_key = register.attachment_name_key
            or (reports.unit_code = register.unit_code and reports.doc_number = register.doc_number)
    inner join adhoc_requests
        on
            reports.period_month = adhoc_requests.period_month
            and strpos(
                upper(coalesce(register.summary, '') || ' ' || coalesce(register.doc_number, '')),
                upper(adhoc_requests.request_code)
            ) > 0
    where reports.report_type = 'ad_hoc'
    group by reports.report_key
),

adhoc_candidates as (
    select
        reports.report_key,
        coalesce(named_request.request_code, register_request.request_code) as request_code
    from reports
    left join named_request on reports.report_key = named_request.report_key
    left join register_request
        on
            reports.report_key = register_request.report_key
            and register_request.requests = 1
    where coalesce(named_request.request_code, register_request.request_code) is not null
),

received as (
    select
        reports.*,
        coalesce(register_by_file.received_at, register_by_number.received_at) as register_received_at,
        coalesce(
            register_by_file.received_at, register_by_number.received_at,
            reports.form_received_at, reports.inbox_received_at
        ) as received_at,
        case
            when coalesce(register_by_file.received_at, register_by_number.received_at) is not null then 'register'
            when reports.form_received_at is not null then 'form'
            else 'inbox'
        end as received_at_source,
        adhoc_candidates.request_code,
        coalesce(
            adhoc_candidates.request_code,
            case
                when reports.report_type = 'ad_hoc'
                    then 'due:' || cast(cast(extract(epoch from reports.requested_due_at) as bigint) as text)
            end,
            ''
        ) as obligation_ref,
        coalesce(
            raw_extraction.attribution,
            case when reports.source_format like '%form' then 'form' else 'header' end
        ) as attribution,
        raw_extraction.attribution_confidence,
        raw_extraction.replaces_doc_number,
        greatest(reports.loaded_at, register_by_file.loaded_at, register_by_number.loaded_at) as changed_at
    from reports
    left join register_by_file on reports.report_key = register_by_file.report_key
    left join register_by_number on reports.report_key = register_by_number.report_key
    left join adhoc_candidates on reports.report_key = adhoc_candidates.report_key
    left join raw_extraction on reports.report_key = raw_extraction.report_key
),

numbered as (
    select
        received.*,
        row_number() over (
            partition by unit_code, period_month, report_type, obligation_ref
            order by received_at, loaded_at, report_key
        ) as version_no,
        count(*) over (
            partition by unit_code, period_month, report_type, obligation_ref
        ) as version_count
    from received
)

select
    report_key,
    unit_code,
    unit_name_raw,
    period_month,
    report_type,
    request_code,
    obligation_ref,
    requested_due_at,
    doc_number,
    replaces_doc_number,
    attribution,
    attribution_confidence,
    source_format,
    source_file,
    source_file_name,
    load_id,
    loaded_at,
    changed_at,
    received_at,
    received_at_source,
    register_received_at,
    form_received_at,
    inbox_received_at,
    situation,
    causes,
    forecast,
    proposals,
    situation is not null as has_situation,
    causes is not null as has_causes,
    forecast is not null as has_forecast,
    proposals is not null as has_proposals,
    version_no,
    version_count,
    version_no = 1 as is_first_version,
    version_no = version_count as is_current_version
from numbered
