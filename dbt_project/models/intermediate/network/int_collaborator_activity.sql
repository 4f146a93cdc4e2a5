-- Every contribution of the network, one row per survey submission with a recorded collector and
-- per contribution-form row, matched to the roster: by the collaborator's code (any unit), else by
-- name within the unit of the submission or form. A name two collaborators of a unit share matches
-- neither. Unmatched rows stay (collaborator_code null): they are counted, never dropped.
with

roster as (
    select * from {{ ref('stg_collaborators__roster') }}
),

people as (
    select * from {{ ref('stg_collaborators__people') }}
),

responses as (
    select * from {{ ref('stg_raw__survey_responses') }}
),

collectors as (
    select * from {{ ref('stg_collaborators__survey_collectors') }}
),

contributions as (
    select * from {{ ref('stg_collaborators__contributions') }}
),

code_keys as (
    select
        roster.code_key,
        min(roster.collaborator_code) as collaborator_code
    from roster
    group by roster.code_key
    having count(distinct roster.collaborator_code) = 1
),

name_keys as (
    select
        roster.unit_code,
        people.name_key,
        min(roster.collaborator_code) as collaborator_code
    from roster
    inner join people
        on
            roster.load_id = people.load_id
            and roster.file_hash = people.file_hash
            and roster.row_number = people.row_number
    group by roster.unit_code, people.name_key
    having count(distinct roster.collaborator_code) = 1
),

survey_candidates as (
    select
        responses.submission_uuid as activity_id,
        responses.unit_code,
        cast(responses.submitted_at at time zone {{ local_tz() }} as date) as activity_on,
        responses.period_month,
        collectors.collector_rank,
        coalesce(code_keys.collaborator_code, name_keys.collaborator_code) as collaborator_code
    from collectors
    inner join responses on collectors.submission_uuid = responses.submission_uuid
    left join code_keys on collectors.collector_key = code_keys.code_key
    left join name_keys
        on
            responses.unit_code = name_keys.unit_code
            and collectors.collector_key = name_keys.name_key
),

survey_activity as (
    -- the strongest recorded collector that matches, else the submission stays unmatched
    select distinct on (survey_candidates.activity_id)
        survey_candidates.activity_id,
        survey_candidates.unit_code,
        survey_candidates.activity_on,
        survey_candidates.period_month,
        survey_candidates.collaborator_code
    from survey_candidates
    order by
        survey_candidates.activity_id,
        survey_candidates.collaborator_code is null,
        survey_candidates.collector_rank
),

form_activity as (
    select
        contributions.contribution_key as activity_id,
        contributions.unit_code,
        contributions.contributed_on as activity_on,
        contributions.period_month,
        coalesce(code_keys.collaborator_code, name_keys.collaborator_code) as collaborator_code
    from contributions
    left join code_keys on contributions.collector_key = code_keys.code_key
    left join name_keys
        on
            contributions.unit_code = name_keys.unit_code
            and contributions.collector_key = name_keys.name_key
)

select
    'survey' as activity_source,
    activity_id,
    unit_code,
    activity_on,
    period_month,
    collaborator_code
from survey_activity
union all
select
    'contribution_form' as activity_source,
    activity_id,
    unit_code,
    activity_on,
    period_month,
    collaborator_code
from form_activity
