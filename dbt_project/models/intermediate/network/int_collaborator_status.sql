-- Collaborator x month with the unit's rules: contributions in the month, in the inactive window
-- (the month and the months before it, inactive_months in all) and in the ineffective window.
-- inactive = no contribution in the inactive window; ineffective = contributing, but fewer than
-- ineffective_min_contributions over its window. Contributions count wherever they were made.
with

collaborator_months as (
    select * from {{ ref('int_collaborator_months') }}
),

activity as (
    select * from {{ ref('int_collaborator_activity') }}
    where collaborator_code is not null
),

rules as (
    select * from {{ ref('int_network_rules') }}
),

monthly as (
    select
        activity.collaborator_code,
        activity.period_month,
        count(*) as contributions
    from activity
    group by activity.collaborator_code, activity.period_month
),

with_rules as (
    select
        collaborator_months.*,
        coalesce(rules.inactive_months, 3) as inactive_months,
        rules.ineffective_min_contributions,
        coalesce(rules.ineffective_window_months, 6) as ineffective_window_months
    from collaborator_months
    left join rules
        on
            collaborator_months.unit_code = rules.unit_code
            and {{ span_contains('rules.valid_from', 'rules.valid_to', 'collaborator_months.evaluated_on') }}
),

counted as (
    select
        with_rules.*,
        coalesce((
            select sum(monthly.contributions) from monthly
            where
                monthly.collaborator_code = with_rules.collaborator_code
                and monthly.period_month = with_rules.period_month
        ), 0) as contributions_in_month,
        coalesce((
            select sum(monthly.contributions) from monthly
            where
                monthly.collaborator_code = with_rules.collaborator_code
                and monthly.period_month <= with_rules.period_month
                and monthly.period_month
                > cast(with_rules.period_month - make_interval(months => with_rules.inactive_months) as date)
        ), 0) as contributions_in_inactive_window,
        coalesce((
            select sum(monthly.contributions) from monthly
            where
                monthly.collaborator_code = with_rules.collaborator_code
                and monthly.period_month <= with_rules.period_month
                and monthly.period_month
                > cast(with_rules.period_month - make_interval(months => with_rules.ineffective_window_months) as date)
        ), 0) as contributions_in_ineffective_window
    from with_rules
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
    has_contact,
    inactive_months,
    ineffective_min_contributions,
    ineffective_window_months,
    cast(contributions_in_month as integer) as contributions_in_month,
    cast(contributions_in_inactive_window as integer) as contributions_in_inactive_window,
    cast(contributions_in_ineffective_window as integer) as contributions_in_ineffective_window,
    contributions_in_inactive_window > 0 as is_active,
    contributions_in_inactive_window = 0 as is_inactive,
    contributions_in_inactive_window > 0
    and ineffective_min_contributions is not null
    and contributions_in_ineffective_window < ineffective_min_contributions as is_ineffective
from counted
