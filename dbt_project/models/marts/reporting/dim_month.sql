-- Calendar of reporting months with the deadline of each periodic report type.
with

calendar as (
    select * from {{ ref('int_reporting_calendar') }}
),

months as (
    select
        period_month,
        max(due_at) filter (where report_type = 'monthly') as due_at,
        jsonb_object_agg(report_type, due_at) as due_at_by_type
    from calendar
    group by period_month
)

select
    period_month,
    cast(extract(year from period_month) as integer) as year,
    cast(extract(quarter from period_month) as integer) as quarter,
    cast(extract(month from period_month) as integer) as month_of_year,
    'Tháng ' || to_char(period_month, 'MM/YYYY') as month_label_vi,
    due_at,
    due_at_by_type,
    due_at <= {{ as_of_ts() }} as is_due
from months
