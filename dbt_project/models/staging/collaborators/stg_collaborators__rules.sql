-- Rules of the collaborator network in force (config collaborator_rules.csv).
with

source as (
    select * from {{ source('config', 'collaborator_rules') }}
)

select
    nullif(trim(source.unit_type), '') as unit_type,
    nullif(trim(source.unit_code), '') as unit_code,
    source.min_collaborators,
    nullif(source.required_areas, '') as required_areas,
    nullif(source.required_sectors, '') as required_sectors,
    source.inactive_months,
    source.ineffective_min_contributions,
    source.ineffective_window_months,
    source.source_file,
    source.line_number
from source
