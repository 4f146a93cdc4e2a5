-- Survey submissions. respondent_hash stays in staging (not BI-readable) to count distinct respondents.
with

source as (
    select * from {{ source('raw', 'survey_responses') }}
),

renamed as (
    select
        submission_uuid,
        form_id,
        coalesce(nullif(respondent_hash, ''), submission_uuid) as respondent_key,
        unit_code,
        submitted_at,
        cast(period_month as date) as period_month,
        loaded_at,
        updated_at
    from source
)

select * from renamed
