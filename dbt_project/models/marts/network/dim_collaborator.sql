-- Collaborator history (SCD type 2): one row per roster version in force (an appointment, a move
-- to another unit, a re-appointment). Pseudonymous: the key is a hash of the office's code; names,
-- phones and e-mails stay in restricted.collaborator_people.
with

roster as (
    select * from {{ ref('stg_collaborators__roster') }}
),

as_of as (
    select cast({{ as_of_ts() }} at time zone {{ local_tz() }} as date) as as_of_day
)

select
    {{ surrogate_key(['roster.collaborator_code', 'roster.unit_code', 'roster.appointed_on']) }} as collaborator_version_key,
    {{ surrogate_key(['roster.collaborator_code']) }} as collaborator_key,
    roster.unit_code,
    roster.level,
    roster.area,
    roster.sector,
    roster.position,
    roster.gender,
    roster.ethnicity,
    roster.decision_no,
    roster.appointed_on as valid_from,
    roster.ended_on as valid_to,
    roster.end_reason,
    roster.has_phone or roster.has_email as has_contact,
    cast(
        row_number() over (partition by roster.collaborator_code order by roster.appointed_on, roster.unit_code) as integer
    ) as version_no,
    {{ span_contains('roster.appointed_on', 'roster.ended_on', 'as_of.as_of_day') }} as is_current
from roster
cross join as_of
