-- Who to tell about each unit version: contact person, e-mail and webhook URL, by (unit_code,
-- valid_from) as in marts.dim_unit. Kept out of the marts because BI (bi_reader) reads the marts
-- and must not read personal contacts or webhook URLs (which carry tokens); alerts/source.py
-- joins this to marts.dim_unit.
select
    units.unit_code,
    units.valid_from,
    units.contact_name,
    units.contact_email,
    units.contact_webhook
from {{ ref('stg_raw__units') }} as units
