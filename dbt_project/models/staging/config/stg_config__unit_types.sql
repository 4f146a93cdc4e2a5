-- Unit types in force (config unit_types.csv).
with

source as (
    select * from {{ source('config', 'unit_types') }}
)

select
    unit_type,
    name_vi,
    level,
    owes_reports,
    is_territorial,
    aliases
from source
