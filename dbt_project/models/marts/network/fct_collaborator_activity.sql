-- What the network contributed: collaborator x unit x month x source (survey submissions the
-- collaborator collected, contribution-form rows). Contributions whose collector matches no roster
-- member are kept, per unit, month and source, with collaborator_key null and is_matched false.
with

activity as (
    select * from {{ ref('int_collaborator_activity') }}
)

select
    {{ surrogate_key(['activity.collaborator_code', 'activity.unit_code', 'activity.period_month', 'activity.activity_source']) }}
        as activity_key,
    case when activity.collaborator_code is not null then {{ surrogate_key(['activity.collaborator_code']) }} end as collaborator_key,
    activity.unit_code,
    activity.period_month,
    activity.activity_source,
    activity.collaborator_code is not null as is_matched,
    cast(count(*) as integer) as contributions,
    min(activity.activity_on) as first_contribution_on,
    max(activity.activity_on) as last_contribution_on
from activity
group by activity.collaborator_code, activity.unit_code, activity.period_month, activity.activity_source
