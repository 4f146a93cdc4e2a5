-- The network rules of each registry unit version (config collaborator_rules.csv): the unit's own
-- row (unit_code) over its type's row, field by field; inactive after 3 months when neither says.
-- Units whose type has no rule and that have no row of their own have no quota (not listed).
with

units as (
    select * from {{ ref('stg_raw__units') }}
),

rules as (
    select * from {{ ref('stg_collaborators__rules') }}
),

by_type as (
    select * from rules
    where rules.unit_code is null
),

by_unit as (
    select * from rules
    where rules.unit_code is not null
)

select
    units.unit_code,
    units.unit_name,
    units.unit_type,
    units.valid_from,
    units.valid_to,
    coalesce(by_unit.min_collaborators, by_type.min_collaborators, 0) as min_collaborators,
    coalesce(by_unit.required_areas, by_type.required_areas) as required_areas,
    coalesce(by_unit.required_sectors, by_type.required_sectors) as required_sectors,
    coalesce(by_unit.inactive_months, by_type.inactive_months, 3) as inactive_months,
    coalesce(by_unit.ineffective_min_contributions, by_type.ineffective_min_contributions) as ineffective_min_contributions,
    coalesce(by_unit.ineffective_window_months, by_type.ineffective_window_months, 6) as ineffective_window_months
from units
left join by_unit on units.unit_code = by_unit.unit_code
left join by_type on units.unit_type = by_type.unit_type
where by_unit.unit_code is not null or by_type.unit_type is not null
