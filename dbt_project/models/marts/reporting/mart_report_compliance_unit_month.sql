-- Reporting compliance of one unit in one month (grain unit_month of mart_report_compliance):
-- one row per unit x month x report type, safe to SUM over units.
select
    compliance_key,
    unit_code,
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
where grain = 'unit_month'
