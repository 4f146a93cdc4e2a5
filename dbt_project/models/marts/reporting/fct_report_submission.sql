-- One row per expected report (unit x month x report type x ad-hoc request) with its status as
-- of var as_of: the first version received counts for timeliness, the latest is current.
-- Versions received after as_of are not known yet and are ignored.
-- An ad-hoc report that answers no request in adhoc_requests (the request came by letter or
-- phone) is owed from the moment it is known, with the deadline it states: it gets its own row
-- (obligation_ref 'due:...', see int_report_versions), never counts as the monthly report, and
-- takes the unit's attributes from the unit's monthly obligation of the same month.
-- attribution: who decided the unit of the current version (header | register | file_name |
-- signature | form | manual).
with

owed as (
    select
        *,
        coalesce(request_code, '') as obligation_ref
    from {{ ref('int_expected_reports') }}
),

unrequested_adhoc as (
    select distinct on (versions.unit_code, versions.period_month, versions.obligation_ref)
        {{ surrogate_key(['versions.unit_code', 'versions.period_month', 'versions.report_type', 'versions.obligation_ref']) }}
            as submission_key,
        versions.unit_code,
        coalesce(monthly.unit_name, versions.unit_name_raw) as unit_name,
        monthly.unit_type,
        monthly.parent_code,
        versions.period_month,
        versions.report_type,
        cast(null as text) as request_code,
        versions.requested_due_at as due_at,
        versions.obligation_ref
    from {{ ref('int_report_versions') }} as versions
    left join owed as monthly
        on
            versions.unit_code = monthly.unit_code
            and versions.period_month = monthly.period_month
            and monthly.report_type = 'monthly'
    where
        versions.report_type = 'ad_hoc'
        and versions.request_code is null
        and versions.requested_due_at is not null
        and versions.received_at <= {{ as_of_ts() }}
    order by versions.unit_code, versions.period_month, versions.obligation_ref, versions.received_at
),

expected as (
    select
        submission_key,
        unit_code,
        unit_name,
        unit_type,
        parent_code,
        period_month,
        report_type,
        request_code,
        due_at,
        obligation_ref
    from owed
    union all
    select
        submission_key,
        unit_code,
        unit_name,
        unit_type,
        parent_code,
        period_month,
        report_type,
        request_code,
        due_at,
        obligation_ref
    from unrequested_adhoc
),

versions as (
    select * from {{ ref('int_report_versions') }}
    where received_at <= {{ as_of_ts() }}
),

ranked as (
    select
        versions.*,
        row_number() over (
            partition by unit_code, period_month, report_type, obligation_ref
            order by received_at, loaded_at, report_key
        ) as known_first_rank,
        row_number() over (
            partition by unit_code, period_month, report_type, obligation_ref
            order by received_at desc, loaded_at desc, report_key desc
        ) as known_latest_rank,
        count(*) over (
            partition by unit_code, period_month, report_type, obligation_ref
        ) as known_version_count
    from versions
),

first_version as (
    select * from ranked
    where known_first_rank = 1
),

current_version as (
    select * from ranked
    where known_latest_rank = 1
),

joined as (
    select
        expected.*,
        {{ as_of_ts() }} as as_of,
        first_version.received_at,
        first_version.received_at_source,
        first_version.report_key as first_report_key,
        current_version.report_key as current_report_key,
        current_version.attribution,
        current_version.doc_number as current_doc_number,
        coalesce(current_version.has_situation, false) as has_situation,
        coalesce(current_version.has_causes, false) as has_causes,
        coalesce(current_version.has_forecast, false) as has_forecast,
        coalesce(current_version.has_proposals, false) as has_proposals,
        coalesce(current_version.known_version_count, 0) as version_count
    from expected
    left join first_version
        on
            expected.unit_code = first_version.unit_code
            and expected.period_month = first_version.period_month
            and expected.report_type = first_version.report_type
            and expected.obligation_ref = first_version.obligation_ref
    left join current_version
        on
            expected.unit_code = current_version.unit_code
            and expected.period_month = current_version.period_month
            and expected.report_type = current_version.report_type
            and expected.obligation_ref = current_version.obligation_ref
)

select
    submission_key,
    unit_code,
    unit_name,
    unit_type,
    parent_code,
    period_month,
    report_type,
    {{ label_vi('report_type', 'report_type') }} as report_type_vi,
    request_code,
    due_at,
    received_at,
    received_at_source,
    {{ report_status('received_at', 'due_at', 'as_of') }} as status,
    {{ label_vi('report_status', report_status('received_at', 'due_at', 'as_of')) }} as status_vi,
    {{ days_late('received_at', 'due_at', 'as_of') }} as days_late,
    has_situation,
    has_causes,
    has_forecast,
    has_proposals,
    -- A monthly (periodic) report needs all four parts; an ad-hoc report (one event) needs the
    -- situation and the proposals (expectations/definitions.py: received_report_has_four_parts).
    case
        when report_type = 'ad_hoc' then has_situation and has_proposals
        else has_situation and has_causes and has_forecast and has_proposals
    end as is_complete,
    cast(version_count as integer) as version_count,
    current_report_key,
    first_report_key,
    attribution,
    current_doc_number,
    as_of
from joined
