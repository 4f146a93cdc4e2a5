with

source as (
    select * from {{ source('raw', 'survey_questions') }}
),

renamed as (
    select
        form_id,
        question_name,
        question_type,
        list_name,
        topic_code,
        scale_min,
        scale_max,
        is_reversed,
        is_identifying,
        is_unit_question,
        is_collector
    from source
)

select * from renamed
