{{ config(materialized='view') }}
-- The steps of each hot-spot case's response scenario, one row per case x cycle x step: what is
-- to be done, the lead and coordinating bodies, the deadline, the status that satisfies the step
-- and whether it was escalated. A view over ops (hotspots/cases.py), like fct_hot_spot_case.
with

steps as (
    select * from {{ source('ops', 'hot_spot_case_steps') }}
),

cases as (
    select * from {{ source('ops', 'hot_spot_cases') }}
)

select
    steps.case_id,
    steps.cycle,
    steps.step_no,
    steps.step_code,
    steps.what,
    steps.lead_body,
    array_to_string(steps.coordinating, '; ') as coordinating,
    steps.until_status,
    steps.due_at,
    steps.escalated_at,
    steps.cycle = cases.cycle as is_current_cycle,
    -- satisfied by the case's status (as hotspots/cases.py decides escalation); earlier cycles are over
    steps.cycle < cases.cycle
    or case
        when steps.until_status = 'acknowledged' then cases.status <> 'new'
        else cases.status in ('resolved', 'closed')
    end as is_done
from steps
inner join cases on steps.case_id = cases.case_id
