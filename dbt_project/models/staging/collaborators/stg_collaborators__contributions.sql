-- Contributions of the contribution forms, with the key the collaborator is matched on (the name or
-- code as written stays in restricted).
with

contributions as (
    select * from {{ source('raw', 'collaborator_contributions') }}
),

texts as (
    select * from {{ source('restricted', 'collaborator_contribution_text') }}
)

select
    contributions.contribution_key,
    contributions.unit_code,
    contributions.contributed_on,
    contributions.period_month,
    contributions.topic_raw,
    {{ collaborator_match_key('texts.collaborator_written') }} as collector_key,
    contributions.load_id,
    contributions.source_file,
    contributions.loaded_at
from contributions
inner join texts on contributions.contribution_key = texts.contribution_key
