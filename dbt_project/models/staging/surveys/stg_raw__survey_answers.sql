with

source as (
    select * from {{ source('raw', 'survey_answers') }}
),

renamed as (
    select
        submission_uuid,
        question_name,
        topic_code,
        numeric_score,
        updated_at
    from source
)

select * from renamed
