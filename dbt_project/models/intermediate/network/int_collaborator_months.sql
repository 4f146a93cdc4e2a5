-- Collaborator x month: the version in force on the month's evaluation day (its last day, or the
-- as-of day), so a collaborator who moves mid-month counts in the new unit that month and one whose
-- end date falls before the month's last day no longer counts. A code in force in two units' rosters
-- on one day counts once, in the version appointed last.
with

roster as (
    select * from {{ ref('stg_collaborators__roster') }}
),

months as (
    select * from {{ ref('int_network_months') }}
),

candidates as (
    select
        months.period_month,
        months.evaluated_on,
        roster.collaborator_code,
        roster.unit_code,
        roster.level,
        roster.area,
        roster.sector,
        roster.gender,
        roster.ethnicity,
        roster.appointed_on,
        roster.ended_on,
        roster.has_phone or roster.has_email as has_contact,
        row_number() over (
            partition by roster.collaborator_code, months.period_month
            order by roster.appointed_on desc, roster.roster_seq desc
        ) as pick
    from months
    inner join roster
        on {{ span_contains('roster.appointed_on', 'roster.ended_on', 'months.evaluated_on') }}
)

select
    period_month,
    evaluated_on,
    collaborator_code,
    unit_code,
    level,
    area,
    sector,
    gender,
    ethnicity,
    appointed_on,
    ended_on,
    has_contact
from candidates
where pick = 1
