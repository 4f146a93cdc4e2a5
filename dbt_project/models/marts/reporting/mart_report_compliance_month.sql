-- Reporting compliance of the whole province in one month (grain province_month of
-- mart_report_compliance): one row per month x report type.
select
    compliance_key,
    report_type,
    report_type_vi,
    period_start as period_month,
    year,
    expected,
    received,
    on_time,
    late,
    missing,
    pending,
    complete,
    on_time_rate,
    mean_days_late
from {{ ref('mart_report_compliance') }}
where grain = 'province_month'
