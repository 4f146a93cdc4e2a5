-- Indexes the incremental marts need on raw (dbt_project/models/marts/opinion/fct_opinion_signal.sql
-- recomputes the survey cells unit x month touched since its last run).
create index if not exists survey_responses_unit_month on raw.survey_responses (unit_code, period_month);

-- The safe point of each incremental opinion model's last run: its next run reads the rows written
-- from then on (dbt_project/macros/advanced/incremental.sql, record_build_watermark).
create table if not exists ops.build_watermarks (
    model text primary key,
    safe_from timestamptz not null,
    recorded_at timestamptz not null default now()
);
