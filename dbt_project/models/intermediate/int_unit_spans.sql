-- Unit versions of the reporting unit types, as effective-dated spans (valid_to inclusive).
-- Only district and city federations, sector unions and the civil-servants' union owe reports.
with

units as (
    select * from {{ ref('stg_raw__units') }}
)

select
    unit_code,
    unit_name,
    unit_type,
    parent_code,
    successor_code,
    valid_from,
    valid_to,
    contact_name,
    contact_email,
    contact_webhook
from units
where unit_type in ('district', 'sector', 'civil_servants')
