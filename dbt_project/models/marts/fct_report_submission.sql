-- One row per expected report (unit x month x report type x ad-hoc request) with its status as
-- of var as_of: the first version received counts for timeliness, the latest is current.
-- Versions received after as_of are not known yet and are ignored.
with

expected as (
    select * from {{ ref('int_expected_reports') }}
),

versions as (
    select * from {{ ref('int_report_versions') }}
    where received_at <= {{ as_of_ts() }}
),

ranked as (
    select
        versions.*,
        row_number() over (
            partition by unit_code, period_month, report_type, coalesce(request_code, '')
            order by received_at, loaded_at, report_key
        ) as known_first_rank,
        row_number() over (
            partition by unit_code, period_month, report_type, coalesce(request_code, '')
            order by received_at desc, loaded_at desc, report_key desc
        ) as known_latest_rank,
        count(*) over (
            partition by unit_code, period_month, report_type, coalesce(request_code, '')
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
            and coalesce(expected.request_code, '') = coalesce(first_version.request_code, '')
    left join current_version
        on
            expected.unit_code = current_version.unit_code
            and expected.period_month = current_version.period_month
            and expected.report_type = current_version.report_type
            and coalesce(expected.request_code, '') = coalesce(current_version.request_code, '')
)

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
    received_at,
    received_at_source,
    {{ report_status('received_at', 'due_at', 'as_of') }} as status,
    {{ days_late('received_at', 'due_at', 'as_of') }} as days_late,
    has_situation,
    has_causes,
    has_forecast,
    has_proposals,
    (has_situation and has_causes and has_forecast and has_proposals) as is_complete,
    cast(version_count as integer) as version_count,
    current_report_key,
    first_report_key,
    as_of
from joined
