-- Scored survey questions with their scale bounds: declared on the question, else the range of
-- the scores of its choice list. Identifying questions never contribute to opinion figures.
with

questions as (
    select * from {{ ref('stg_raw__survey_questions') }}
),

choices as (
    select * from {{ ref('stg_raw__survey_choices') }}
),

choice_ranges as (
    select
        form_id,
        list_name,
        min(score) as score_min,
        max(score) as score_max
    from choices
    where score is not null
    group by form_id, list_name
)

select
    questions.form_id,
    questions.question_name,
    questions.topic_code,
    coalesce(questions.scale_min, choice_ranges.score_min) as scale_min,
    coalesce(questions.scale_max, choice_ranges.score_max) as scale_max,
    questions.is_reversed
from questions
left join choice_ranges
    on
        questions.form_id = choice_ranges.form_id
        and questions.list_name = choice_ranges.list_name
where
    not questions.is_identifying
    and coalesce(questions.scale_max, choice_ranges.score_max) > coalesce(questions.scale_min, choice_ranges.score_min)
