-- Months the network is counted for: the reporting calendar's months, each evaluated on its last
-- day (or the as-of day for the month in progress).
with

calendar as (
    select distinct period_month from {{ ref('int_reporting_calendar') }}
),

as_of as (
    select cast({{ as_of_ts() }} at time zone {{ local_tz() }} as date) as as_of_day
)

select
    calendar.period_month,
    least(cast(calendar.period_month + interval '1 month' - interval '1 day' as date), as_of.as_of_day) as evaluated_on
from calendar
cross join as_of
