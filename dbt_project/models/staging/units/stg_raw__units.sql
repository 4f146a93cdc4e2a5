-- Unit registry versions from the latest registry load (each load is a complete snapshot).
with

source as (
    select * from {{ source('raw', 'units') }}
),

latest_load as (
    select max(load_id) as load_id from source
),

renamed as (
    select
        source.unit_code,
        source.unit_name,
        source.unit_type,
        nullif(trim(source.parent_code), '') as parent_code,
        source.valid_from,
        source.valid_to,
        nullif(trim(source.successor_code), '') as successor_code,
        nullif(trim(source.contact_name), '') as contact_name,
        nullif(trim(source.contact_email), '') as contact_email,
        nullif(trim(source.contact_webhook), '') as contact_webhook,
        source.load_id,
        source.source_file,
        source.loaded_at,
        row_number() over (
            partition by source.unit_code, source.valid_from
            order by source.row_number desc
        ) as duplicate_rank
    from source
    inner join latest_load on source.load_id = latest_load.load_id
)

select
    unit_code,
    unit_name,
    unit_type,
    parent_code,
    valid_from,
    valid_to,
    successor_code,
    contact_name,
    contact_email,
    contact_webhook,
    load_id,
    source_file,
    loaded_at
from renamed
where duplicate_rank = 1
