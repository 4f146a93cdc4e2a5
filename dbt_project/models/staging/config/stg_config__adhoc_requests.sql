-- Ad-hoc report requests in force (config adhoc_requests.csv); owed_by_unit_types is ';'-separated.
with

source as (
    select * from {{ source('config', 'adhoc_requests') }}
)

select
    request_code,
    title_vi,
    period_month,
    due_at,
    nullif(trim(owed_by_unit_types), '') as owed_by_unit_types
from source
