-- Effective-dated unit history (SCD type 2): one row per registry version of a unit. Renames,
-- parent changes and mergers are new versions; dissolution closes the last version (valid_to)
-- and names the successor. is_current marks the version in effect on the as-of day.
-- Contacts (names, e-mails, webhook URLs) are not here: BI reads this table; the alerts read
-- them from intermediate.int_unit_contacts.
with

units as (
    select * from {{ ref('stg_raw__units') }}
),

as_of as (
    select cast({{ as_of_ts() }} at time zone {{ local_tz() }} as date) as as_of_day
)

select
    {{ surrogate_key(['units.unit_code', 'units.valid_from']) }} as unit_key,
    units.unit_code,
    units.unit_name,
    units.unit_type,
    units.parent_code,
    units.successor_code,
    units.valid_from,
    units.valid_to,
    cast(
        row_number() over (partition by units.unit_code order by units.valid_from) as integer
    ) as version_no,
    {{ span_contains('units.valid_from', 'units.valid_to', 'as_of.as_of_day') }} as is_current
from units
cross join as_of
