-- Surveys (KoboToolbox, ODK Central, Google Forms). The questionnaire (XLSForm) lands first;
-- responses are upserted by submission uuid (a re-export updates, never duplicates).
create table if not exists raw.survey_forms (
    form_id text primary key,
    form_version text,
    title text,
    platform text,
    unit_code text,
    source_file text not null,
    file_hash text not null,
    load_id bigint not null,
    loaded_at timestamptz not null default now()
);

create table if not exists raw.survey_questions (
    form_id text not null references raw.survey_forms (form_id) on delete cascade,
    question_name text not null,
    question_path text,
    question_type text not null,
    list_name text,
    label_vi text,
    topic_code text,
    scale_min numeric,
    scale_max numeric,
    is_reversed boolean not null default false,
    is_identifying boolean not null default false,
    is_unit_question boolean not null default false,
    primary key (form_id, question_name)
);

create table if not exists raw.survey_choices (
    form_id text not null references raw.survey_forms (form_id) on delete cascade,
    list_name text not null,
    choice_name text not null,
    label_vi text,
    score numeric,
    primary key (form_id, list_name, choice_name)
);

-- One row per submission; respondent identifiers are salted hashes.
create table if not exists raw.survey_responses (
    submission_uuid text primary key,
    form_id text not null,
    respondent_hash text,
    unit_code text not null,
    submitted_at timestamptz not null,
    period_month date not null,
    content_hash text not null,
    load_id bigint not null,
    source_file text not null,
    file_hash text not null,
    loaded_at timestamptz not null default now(),
    updated_at timestamptz not null default now()
);
create index if not exists survey_responses_updated on raw.survey_responses (updated_at);
-- a month's responses: the month's validation reads them (expectations/context.py, month_bounded)
create index if not exists survey_responses_period_month on raw.survey_responses (period_month);

-- Long format: one row per response x question (no free text here: see restricted.survey_free_text).
create table if not exists raw.survey_answers (
    submission_uuid text not null references raw.survey_responses (submission_uuid) on delete cascade,
    question_name text not null,
    topic_code text,
    choice_codes text[],
    choice_labels text[],
    numeric_score numeric,
    raw_value text,
    updated_at timestamptz not null default now(),
    primary key (submission_uuid, question_name)
);
create index if not exists survey_answers_updated on raw.survey_answers (updated_at);

-- Free text and identifying answers: readable only by the warehouse owner, never by bi_reader.
create table if not exists restricted.survey_free_text (
    submission_uuid text not null,
    question_name text not null,
    answer_text text not null,
    updated_at timestamptz not null default now(),
    primary key (submission_uuid, question_name)
);

-- Additive columns (issue #4): provenance and platform metadata of a submission, the salt
-- fingerprint that hashed respondent_hash, and the unreversed numeric answer.
alter table raw.survey_responses add column if not exists platform text;
alter table raw.survey_responses add column if not exists validation_status text;
alter table raw.survey_responses add column if not exists started_at timestamptz;
alter table raw.survey_responses add column if not exists ended_at timestamptz;
alter table raw.survey_responses add column if not exists respondent_salt_id text;
alter table raw.survey_responses add column if not exists source_row integer;
alter table raw.survey_answers add column if not exists numeric_value numeric;
