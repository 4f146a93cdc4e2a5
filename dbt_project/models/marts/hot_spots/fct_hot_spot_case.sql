{{ config(materialized='view') }}
-- Hot-spot cases for BI: one row per case. A view over the ops tables that hotspots/cases.py
-- writes after each build, so BI sees a case the moment it changes (no rebuild needed).
-- Times are measured from the start of the current cycle (the opening, or the latest reopening).
with

cases as (
    select * from {{ source('ops', 'hot_spot_cases') }}
),

hot_spots as (
    select
        case_id,
        count(*) as hot_spots,
        array_agg(hot_spot_key order by period_month, hot_spot_key) as hot_spot_keys
    from {{ source('ops', 'hot_spot_case_hot_spots') }}
    group by case_id
),

events as (
    select
        case_id,
        count(*) as events
    from {{ source('ops', 'hot_spot_case_events') }}
    group by case_id
)

select
    cases.case_id,
    cases.unit_code,
    cases.topic_code,
    cases.opened_month,
    cases.last_month,
    cases.severity,
    cases.severity_points,
    cases.scenario_code,
    cases.scenario_version,
    cases.owner_kind,
    cases.owner_name,
    cases.status,
    case cases.status
        when 'new' then 'mới'
        when 'in_progress' then 'đang xử lý'
        when 'resolved' then 'đã xử lý'
        when 'closed' then 'đóng'
    end as status_vi,
    cases.cycle as times_reopened,
    cases.opened_at,
    cases.cycle_started_at,
    cases.acknowledged_at,
    cases.resolved_at,
    cases.closed_at,
    cast(round(cast(extract(epoch from cases.acknowledged_at - cases.cycle_started_at) / 3600.0 as numeric), 2) as numeric)
        as hours_to_acknowledge,
    cast(round(cast(extract(epoch from cases.resolved_at - cases.cycle_started_at) / 3600.0 as numeric), 2) as numeric)
        as hours_to_resolve,
    cast(coalesce(hot_spots.hot_spots, 0) as integer) as hot_spots,
    coalesce(hot_spots.hot_spot_keys, cast(array[] as text[]))
        as hot_spot_keys,
    cast(coalesce(events.events, 0) as integer) as events
from cases
left join hot_spots on cases.case_id = hot_spots.case_id
left join events on cases.case_id = events.case_id
