with

source as (
    select * from {{ source('raw', 'document_register') }}
),

renamed as (
    select
        {{ surrogate_key(['file_hash', 'row_number']) }} as register_entry_key,
        received_at,
        sender,
        nullif(upper(trim(unit_code)), '') as unit_code,
        nullif(trim(doc_number), '') as doc_number,
        nullif(trim(summary), '') as summary,
        nullif(trim(attachment_name), '') as attachment_name,
        lower(nullif(trim(attachment_name), '')) as attachment_name_key,
        source_file,
        load_id,
        loaded_at
    from source
)

select * from renamed
