-- Collaborator versions in force: for each unit, the rows of the latest roster covering it (a
-- roster of that unit, or of all units). No names or contact details here (restricted).
with

rosters as (
    select * from {{ source('raw', 'collaborator_rosters') }}
),

roster_rows as (
    select * from {{ source('raw', 'collaborator_roster_rows') }}
),

units_listed as (
    select distinct roster_rows.unit_code from roster_rows
),

covering as (
    select
        units_listed.unit_code,
        max(rosters.roster_seq) as roster_seq
    from units_listed
    inner join rosters
        on rosters.scope_all or units_listed.unit_code = rosters.scope_unit_code
    group by units_listed.unit_code
)

select
    roster_rows.collaborator_code,
    {{ collaborator_match_key('roster_rows.collaborator_code') }} as code_key,
    roster_rows.code_derived,
    roster_rows.unit_code,
    roster_rows.level,
    roster_rows.area,
    roster_rows.sector,
    roster_rows.position,
    roster_rows.gender,
    roster_rows.ethnicity,
    roster_rows.decision_no,
    roster_rows.appointed_on,
    roster_rows.ended_on,
    roster_rows.end_reason,
    roster_rows.has_phone,
    roster_rows.has_email,
    rosters.roster_seq,
    roster_rows.load_id,
    roster_rows.file_hash,
    roster_rows.row_number,
    roster_rows.source_file,
    roster_rows.loaded_at
from roster_rows
inner join rosters
    on
        roster_rows.load_id = rosters.load_id
        and roster_rows.file_hash = rosters.file_hash
inner join covering
    on
        roster_rows.unit_code = covering.unit_code
        and rosters.roster_seq = covering.roster_seq
