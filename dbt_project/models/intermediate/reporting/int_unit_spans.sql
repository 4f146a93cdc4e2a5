-- Unit versions of the unit types that owe reports (config unit_types.csv: owes_reports), as
-- effective-dated spans (valid_to inclusive).
with

units as (
    select * from {{ ref('stg_raw__units') }}
),

unit_types as (
    select * from {{ ref('stg_config__unit_types') }}
)

select
    units.unit_code,
    units.unit_name,
    units.unit_type,
    units.parent_code,
    units.successor_code,
    units.valid_from,
    units.valid_to,
    units.contact_name,
    units.contact_email,
    units.contact_webhook
from units
inner join unit_types on units.unit_type = unit_types.unit_type
where unit_types.owes_reports
