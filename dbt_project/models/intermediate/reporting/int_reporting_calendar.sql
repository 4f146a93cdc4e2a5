-- Reporting month x periodic report type with its deadline, from the first reporting month
-- (var reporting_start_month, else the first month a periodic report was received for) to the month of
-- as_of. Deadlines come from config report_types.csv; var monthly_due_day overrides the monthly day.
with

report_types as (
    select * from {{ ref('stg_config__report_types') }}
),

reports as (
    select * from {{ ref('stg_raw__reports') }}
),

first_report as (
    -- an aggregate: always exactly one row (null without reports); ad-hoc reports do not open the calendar
    select cast(min(reports.period_month) as date) as period_month
    from reports
    inner join report_types on reports.report_type = report_types.report_type
    where report_types.is_periodic
),

bounds as (
    select
        {% if var('reporting_start_month', none) -%}
            cast(date_trunc('month', date '{{ var("reporting_start_month") }}') as date) as first_month,
        {%- else -%}
            coalesce(
                first_report.period_month,
                cast(date_trunc('month', {{ as_of_ts() }} at time zone {{ local_tz() }}) as date)
            ) as first_month,
        {%- endif %}
        cast(date_trunc('month', {{ as_of_ts() }} at time zone {{ local_tz() }}) as date) as last_month
    from first_report
),

months as (
    select cast(month_start as date) as period_month
    from bounds
    cross join lateral generate_series(bounds.first_month, bounds.last_month, interval '1 month') as month_start
),

periodic_types as (
    select
        report_type,
        {% if var('monthly_due_day', none) -%}
            case when report_type = 'monthly' then {{ var('monthly_due_day') | int }} else due_day end as due_day,
        {%- else -%}
            due_day,
        {%- endif %}
        due_time_local
    from report_types
    where is_periodic
)

select
    months.period_month,
    periodic_types.report_type,
    periodic_types.due_day,
    {{ due_at('months.period_month', 'periodic_types.due_day', 'periodic_types.due_time_local') }} as due_at
from months
cross join periodic_types
