-- Who collected each survey submission, as the tool recorded it: a question of the submission's
-- form marked as the collector (rank 0), Kobo `_submitted_by` (1), ODK Central `SubmitterName` (2)
-- and `SubmitterID` (3). Only the match key leaves restricted; a respondent's own name is never read.
with

free_text as (
    select * from {{ source('restricted', 'survey_free_text') }}
),

responses as (
    select * from {{ ref('stg_raw__survey_responses') }}
),

questions as (
    select * from {{ ref('stg_raw__survey_questions') }}
),

collector_answers as (
    select
        free_text.submission_uuid,
        free_text.question_name,
        free_text.answer_text,
        coalesce(questions.is_collector, false) as is_collector_question
    from free_text
    inner join responses on free_text.submission_uuid = responses.submission_uuid
    left join questions
        on
            responses.form_id = questions.form_id
            and free_text.question_name = questions.question_name
    where
        coalesce(questions.is_collector, false)
        or lower(free_text.question_name) in ('_submitted_by', 'submittername', 'submitterid')
)

select
    collector_answers.submission_uuid,
    collector_answers.question_name,
    case
        when collector_answers.is_collector_question then 0
        when lower(collector_answers.question_name) = '_submitted_by' then 1
        when lower(collector_answers.question_name) = 'submittername' then 2
        else 3
    end as collector_rank,
    {{ collaborator_match_key('collector_answers.answer_text') }} as collector_key
from collector_answers
