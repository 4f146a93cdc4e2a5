-- The network of each unit, month by month (counted on the month's last day, or the as-of day):
-- the quota and who is appointed, active, inactive and ineffective; vacancies; the required areas
-- and sectors no collaborator covers; the gender and ethnicity mix; contributions and those whose
-- collector matched no roster member. Counts only: no names, no contacts.
with

months as (
    select * from {{ ref('int_network_months') }}
),

rules as (
    select * from {{ ref('int_network_rules') }}
),

status as (
    select * from {{ ref('int_collaborator_status') }}
),

activity as (
    select * from {{ ref('int_collaborator_activity') }}
),

ruled_units as (
    select
        months.period_month,
        rules.unit_code,
        rules.min_collaborators,
        rules.required_areas,
        rules.required_sectors
    from months
    inner join rules on {{ span_contains('rules.valid_from', 'rules.valid_to', 'months.evaluated_on') }}
),

unit_months as (
    select * from ruled_units
    union
    -- units with collaborators but no rule: listed, with no quota
    select distinct
        status.period_month,
        status.unit_code,
        0 as min_collaborators,
        cast(null as text) as required_areas,
        cast(null as text) as required_sectors
    from status
    where not exists (
        select 1 from ruled_units
        where ruled_units.unit_code = status.unit_code and ruled_units.period_month = status.period_month
    )
),

counts as (
    select
        status.period_month,
        status.unit_code,
        count(*) as appointed,
        count(*) filter (where status.is_active) as active,
        count(*) filter (where status.is_inactive) as inactive,
        count(*) filter (where status.is_ineffective) as ineffective,
        count(*) filter (where status.is_active and not status.has_contact) as active_without_contact,
        count(*) filter (where status.gender = 'female') as female,
        count(*) filter (where status.gender = 'male') as male,
        count(*) filter (where status.gender is null) as gender_unknown,
        count(*) filter (where {{ collaborator_match_key('status.ethnicity') }} = 'kinh') as ethnicity_kinh,
        count(*) filter (
            where status.ethnicity is not null and {{ collaborator_match_key('status.ethnicity') }} <> 'kinh'
        ) as ethnicity_minority,
        count(*) filter (where status.ethnicity is null) as ethnicity_unknown,
        count(distinct {{ collaborator_match_key('status.ethnicity') }}) as ethnicities
    from status
    group by status.period_month, status.unit_code
),

required as (
    select
        unit_months.period_month,
        unit_months.unit_code,
        'area' as kind,
        trim(required_area.item) as item
    from unit_months
    cross join lateral unnest(string_to_array(unit_months.required_areas, ';')) as required_area (item)
    where trim(required_area.item) <> ''
    union all
    select
        unit_months.period_month,
        unit_months.unit_code,
        'sector' as kind,
        trim(required_sector.item) as item
    from unit_months
    cross join lateral unnest(string_to_array(unit_months.required_sectors, ';')) as required_sector (item)
    where trim(required_sector.item) <> ''
),

coverage as (
    select
        required.period_month,
        required.unit_code,
        required.kind,
        required.item,
        exists(
            select 1 from status
            where
                status.unit_code = required.unit_code
                and status.period_month = required.period_month
                and position(
                    {{ collaborator_match_key('required.item') }}
                    in coalesce({{ collaborator_match_key("case when required.kind = 'area' then status.area else status.sector end") }}, '')
                ) > 0
        ) as is_covered
    from required
),

coverage_by_unit as (
    select
        coverage.period_month,
        coverage.unit_code,
        count(*) filter (where coverage.kind = 'area') as required_areas,
        count(*) filter (where coverage.kind = 'area' and not coverage.is_covered) as areas_uncovered,
        string_agg(coverage.item, '; ' order by coverage.item) filter (
            where coverage.kind = 'area' and not coverage.is_covered
        ) as areas_uncovered_list,
        count(*) filter (where coverage.kind = 'sector') as required_sectors,
        count(*) filter (where coverage.kind = 'sector' and not coverage.is_covered) as sectors_uncovered,
        string_agg(coverage.item, '; ' order by coverage.item) filter (
            where coverage.kind = 'sector' and not coverage.is_covered
        ) as sectors_uncovered_list
    from coverage
    group by coverage.period_month, coverage.unit_code
),

contributions as (
    select
        activity.period_month,
        activity.unit_code,
        count(*) filter (where activity.collaborator_code is not null) as contributions,
        count(*) filter (where activity.collaborator_code is not null and activity.activity_source = 'survey') as survey_contributions,
        count(*) filter (
            where activity.collaborator_code is not null and activity.activity_source = 'contribution_form'
        ) as form_contributions,
        count(*) filter (where activity.collaborator_code is null) as unmatched_contributions
    from activity
    group by activity.period_month, activity.unit_code
),

joined as (
    select
        unit_months.period_month,
        unit_months.unit_code,
        unit_months.min_collaborators,
        coalesce(counts.appointed, 0) as appointed,
        coalesce(counts.active, 0) as active,
        coalesce(counts.inactive, 0) as inactive,
        coalesce(counts.ineffective, 0) as ineffective,
        coalesce(counts.active_without_contact, 0) as active_without_contact,
        coalesce(coverage_by_unit.required_areas, 0) as required_areas,
        coalesce(coverage_by_unit.areas_uncovered, 0) as areas_uncovered,
        coverage_by_unit.areas_uncovered_list,
        coalesce(coverage_by_unit.required_sectors, 0) as required_sectors,
        coalesce(coverage_by_unit.sectors_uncovered, 0) as sectors_uncovered,
        coverage_by_unit.sectors_uncovered_list,
        coalesce(counts.female, 0) as female,
        coalesce(counts.male, 0) as male,
        coalesce(counts.gender_unknown, 0) as gender_unknown,
        coalesce(counts.ethnicity_kinh, 0) as ethnicity_kinh,
        coalesce(counts.ethnicity_minority, 0) as ethnicity_minority,
        coalesce(counts.ethnicity_unknown, 0) as ethnicity_unknown,
        coalesce(counts.ethnicities, 0) as ethnicities,
        coalesce(contributions.contributions, 0) as contributions,
        coalesce(contributions.survey_contributions, 0) as survey_contributions,
        coalesce(contributions.form_contributions, 0) as form_contributions,
        coalesce(contributions.unmatched_contributions, 0) as unmatched_contributions
    from unit_months
    left join counts on unit_months.unit_code = counts.unit_code and unit_months.period_month = counts.period_month
    left join coverage_by_unit
        on unit_months.unit_code = coverage_by_unit.unit_code and unit_months.period_month = coverage_by_unit.period_month
    left join contributions
        on unit_months.unit_code = contributions.unit_code and unit_months.period_month = contributions.period_month
)

select
    {{ surrogate_key(['joined.unit_code', 'joined.period_month']) }} as unit_month_key,
    joined.period_month,
    joined.unit_code,
    cast(joined.min_collaborators as integer) as required_collaborators,
    cast(joined.appointed as integer) as appointed,
    cast(joined.active as integer) as active,
    cast(joined.inactive as integer) as inactive,
    cast(joined.ineffective as integer) as ineffective,
    cast(greatest(joined.min_collaborators - joined.appointed, 0) as integer) as vacancies,
    joined.appointed >= joined.min_collaborators as quota_met,
    cast(joined.required_areas as integer) as required_areas,
    cast(joined.areas_uncovered as integer) as areas_uncovered,
    joined.areas_uncovered_list,
    cast(joined.required_sectors as integer) as required_sectors,
    cast(joined.sectors_uncovered as integer) as sectors_uncovered,
    joined.sectors_uncovered_list,
    joined.areas_uncovered = 0 and joined.sectors_uncovered = 0 as coverage_met,
    cast(joined.active_without_contact as integer) as active_without_contact,
    cast(joined.female as integer) as female,
    cast(joined.male as integer) as male,
    cast(joined.gender_unknown as integer) as gender_unknown,
    cast(joined.ethnicity_kinh as integer) as ethnicity_kinh,
    cast(joined.ethnicity_minority as integer) as ethnicity_minority,
    cast(joined.ethnicity_unknown as integer) as ethnicity_unknown,
    cast(joined.ethnicities as integer) as ethnicities,
    cast(joined.contributions as integer) as contributions,
    cast(joined.survey_contributions as integer) as survey_contributions,
    cast(joined.form_contributions as integer) as form_contributions,
    cast(joined.unmatched_contributions as integer) as unmatched_contributions
from joined
