-- Survey forms as their owners write them (issue 13): a question's topic value as the form wrote
-- it (kept when it resolves to no topic of the taxonomy: topic_code is then null), whether its
-- answer names the collector (a collaborator; answers restricted), and how the unit question was
-- found (annotation | mapping | choices: its choice list resolves to registry units).
alter table raw.survey_questions add column if not exists topic_raw text;
alter table raw.survey_questions add column if not exists is_collector boolean not null default false;
alter table raw.survey_questions add column if not exists unit_from text;
