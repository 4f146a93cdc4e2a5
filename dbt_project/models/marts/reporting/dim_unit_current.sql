-- One row per unit: its latest registry version (the one with the latest valid_from), so a join on
-- unit_code never multiplies rows. Dissolved and merged units are kept, with the day they ended
-- (valid_to of the last version) and their successor; unit_state says whether the unit is active on
-- the build's as-of day.
with

versions as (
    select * from {{ ref('dim_unit') }}
),

as_of as (
    select cast({{ as_of_ts() }} at time zone {{ local_tz() }} as date) as as_of_day
),

latest as (
    select distinct on (versions.unit_code)
        versions.*,
        min(versions.valid_from) over (partition by versions.unit_code) as first_valid_from,
        count(*) over (partition by versions.unit_code) as version_count
    from versions
    order by versions.unit_code asc, versions.valid_from desc
),

stated as (
    select
        latest.*,
        case
            when latest.valid_from > as_of.as_of_day then 'not_yet'
            when latest.valid_to < as_of.as_of_day then 'ended'
            else 'active'
        end as unit_state
    from latest
    cross join as_of
)

select
    unit_code,
    unit_key,
    unit_name,
    unit_type,
    parent_code,
    successor_code,
    first_valid_from,
    valid_from,
    valid_to,
    valid_to as ended_on,
    cast(version_count as integer) as version_count,
    unit_state,
    {{ label_vi('unit_state', 'unit_state') }} as unit_state_vi,
    -- contact details stay out of what BI reads (intermediate.int_unit_contacts, for the alerts)
    (unit_state = 'active') as is_active
from stated
