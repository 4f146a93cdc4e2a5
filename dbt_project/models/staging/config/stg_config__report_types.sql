-- Report types and deadlines in force (config report_types.csv).
with

source as (
    select * from {{ source('config', 'report_types') }}
)

select
    report_type,
    name_vi,
    is_periodic,
    due_day,
    due_time_local,
    description
from source
