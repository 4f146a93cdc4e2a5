-- Reporting compliance of the whole province in one calendar year (grain province_year of
-- mart_report_compliance): one row per year x report type.
select
    compliance_key,
    report_type,
    report_type_vi,
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
where grain = 'province_year'
