-- Reporting compliance per report type, at three grains: unit x month, province x month and
-- province x year. Mixed grains: a plain SUM over the table counts every report three times;
-- filter on grain, or read mart_report_compliance_unit_month / _month / _year (one grain each). on_time_rate = on_time / (expected - pending): reports not yet due are left
-- out of the denominator, missing ones count against it. mean_days_late = mean days late of the
-- reports received late.
with

submissions as (
    select * from {{ ref('fct_report_submission') }}
),

counted as (
    select grouping_sets_key.*
    from (
        select
            case
                when grouping(unit_code) = 0 then 'unit_month'
                when grouping(period_month) = 0 then 'province_month'
                else 'province_year'
            end as grain,
            unit_code,
            report_type,
            coalesce(period_month, make_date(cast(extract(year from min(period_month)) as integer), 1, 1)) as period_start,
            cast(extract(year from min(period_month)) as integer) as year,
            count(*) as expected,
            count(*) filter (where status in ('on_time', 'late')) as received,
            count(*) filter (where status = 'on_time') as on_time,
            count(*) filter (where status = 'late') as late,
            count(*) filter (where status = 'missing') as missing,
            count(*) filter (where status = 'pending') as pending,
            avg(days_late) filter (where status = 'late') as mean_days_late,
            count(*) filter (where is_complete) as complete
        from submissions
        group by grouping sets (
            (unit_code, period_month, report_type),
            (period_month, report_type),
            (extract(year from period_month), report_type)
        )
    ) as grouping_sets_key
)

select
    {{ surrogate_key(['grain', 'unit_code', 'report_type', 'period_start']) }} as compliance_key,
    grain,
    {{ label_vi('compliance_grain', 'grain') }} as grain_vi,
    unit_code,
    report_type,
    {{ label_vi('report_type', 'report_type') }} as report_type_vi,
    period_start,
    year,
    cast(expected as integer) as expected,
    cast(received as integer) as received,
    cast(on_time as integer) as on_time,
    cast(late as integer) as late,
    cast(missing as integer) as missing,
    cast(pending as integer) as pending,
    cast(complete as integer) as complete,
    cast(round(cast(on_time as numeric) / nullif(expected - pending, 0), 4) as numeric) as on_time_rate,
    cast(round(mean_days_late, 2) as numeric) as mean_days_late
from counted
