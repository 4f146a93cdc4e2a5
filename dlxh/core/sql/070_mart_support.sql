-- Indexes the incremental marts need on raw (dbt_project/models/marts/opinion/fct_opinion_signal.sql
-- recomputes the survey cells unit x month touched since its last run).
create index if not exists survey_responses_unit_month on raw.survey_responses (unit_code, period_month);
