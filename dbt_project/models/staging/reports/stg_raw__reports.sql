with

source as (
    select * from {{ source('raw', 'reports') }}
),

renamed as (
    select
        report_key,
        unit_code,
        unit_name_raw,
        cast(period_month as date) as period_month,
        report_type,
        due_at as requested_due_at,
        nullif(trim(doc_number), '') as doc_number,
        source_format,
        source_file,
        {{ basename('source_file') }} as source_file_name,
        lower({{ basename('source_file') }}) as source_file_key,
        file_hash,
        load_id,
        loaded_at,
        issued_on,
        title,
        form_received_at,
        inbox_received_at,
        nullif(trim(situation), '') as situation,
        nullif(trim(causes), '') as causes,
        nullif(trim(forecast), '') as forecast,
        nullif(trim(proposals), '') as proposals
    from source
)

select * from renamed
