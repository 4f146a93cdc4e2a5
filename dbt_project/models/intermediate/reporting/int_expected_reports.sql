-- One row per report a unit owes: unit x month x periodic report type for every month from the
-- first reporting month to the as-of month, plus unit x ad-hoc request. A unit owes a report
-- if one of its versions covers the month's first day and one covers the last day before the
-- deadline (dlxh/core/calendar.py:owes_report); its attributes come from the latter version.
with

unit_spans as (
    select * from {{ ref('int_unit_spans') }}
),

calendar as (
    select * from {{ ref('int_reporting_calendar') }}
),

adhoc_requests as (
    select * from {{ ref('stg_config__adhoc_requests') }}
),

periodic_due as (
    select
        period_month,
        report_type,
        cast(null as text) as request_code,
        due_at
    from calendar
),

adhoc_due as (
    select
        cast(date_trunc('month', period_month) as date) as period_month,
        'ad_hoc' as report_type,
        request_code,
        due_at,
        -- null: every unit type that owes reports (int_unit_spans holds only those)
        string_to_array(replace(owed_by_unit_types, ' ', ''), ';') as unit_types
    from adhoc_requests
),

obligations as (
    select
        period_month,
        report_type,
        request_code,
        due_at,
        cast(null as text[]) as unit_types
    from periodic_due
    union all
    select
        period_month,
        report_type,
        request_code,
        due_at,
        unit_types
    from adhoc_due
),

owed as (
    select
        obligations.period_month,
        obligations.report_type,
        obligations.request_code,
        obligations.due_at,
        closing.unit_code,
        closing.unit_name,
        closing.unit_type,
        closing.parent_code,
        closing.successor_code,
        closing.contact_name,
        closing.contact_email,
        closing.contact_webhook
    from obligations
    inner join unit_spans as closing
        on
            {{ span_contains('closing.valid_from', 'closing.valid_to', last_day_needed('obligations.due_at')) }}
            and (obligations.unit_types is null or closing.unit_type = any(obligations.unit_types))
    where exists (
        select 1
        from unit_spans as opening
        where
            opening.unit_code = closing.unit_code
            and {{ span_contains('opening.valid_from', 'opening.valid_to', 'obligations.period_month') }}
    )
)

select
    {{ surrogate_key(['unit_code', 'period_month', 'report_type', 'request_code']) }} as submission_key,
    unit_code,
    unit_name,
    unit_type,
    parent_code,
    successor_code,
    contact_name,
    contact_email,
    contact_webhook,
    period_month,
    report_type,
    request_code,
    due_at
from owed
