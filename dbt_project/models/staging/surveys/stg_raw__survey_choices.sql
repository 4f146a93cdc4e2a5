with

source as (
    select * from {{ source('raw', 'survey_choices') }}
),

renamed as (
    select
        form_id,
        list_name,
        choice_name,
        score
    from source
)

select * from renamed
