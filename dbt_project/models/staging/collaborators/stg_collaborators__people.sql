-- The key each roster row's name is matched on (collaborator_match_key): names themselves stay in
-- restricted.collaborator_people.
with

people as (
    select * from {{ source('restricted', 'collaborator_people') }}
)

select
    people.load_id,
    people.file_hash,
    people.row_number,
    people.collaborator_code,
    people.unit_code,
    {{ collaborator_match_key('people.full_name') }} as name_key,
    people.email is not null or people.phone is not null as has_contact
from people
