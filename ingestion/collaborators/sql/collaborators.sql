-- Source `collaborators` (ingestion/collaborators): rosters of the public-opinion collaborator
-- network and the contribution forms units attach to reports. Idempotent: applied before every
-- ingest and every build. Names, phones and e-mails are only in schema restricted.
create schema if not exists raw;
create schema if not exists restricted;

-- One row per roster file loaded: what it is a snapshot of (scope_unit_code null = all units).
create table if not exists raw.collaborator_rosters (
    roster_seq bigserial not null unique,
    load_id bigint not null,
    file_hash text not null,
    source_file text not null,
    scope_all boolean not null,
    scope_unit_code text,
    scope_stated_by text not null,
    as_of_date date,
    rows_loaded integer not null,
    loaded_at timestamptz not null default now(),
    primary key (load_id, file_hash),
    check (scope_all or scope_unit_code is not null)
);

-- One row per collaborator version in a roster (a move or a re-appointment is a second version).
create table if not exists raw.collaborator_roster_rows (
    load_id bigint not null,
    file_hash text not null,
    row_number integer not null,
    source_file text not null,
    collaborator_code text not null,
    code_derived boolean not null default false,
    unit_code text not null,
    unit_written text not null,
    unit_rule text,
    level text,
    area text,
    sector text,
    position text,
    gender text,
    ethnicity text,
    decision_no text,
    appointed_on date not null,
    ended_on date,
    end_reason text,
    end_reason_written text,
    has_phone boolean not null default false,
    has_email boolean not null default false,
    loaded_at timestamptz not null default now(),
    primary key (load_id, file_hash, row_number),
    check (ended_on is null or ended_on >= appointed_on),
    check (gender is null or gender in ('female', 'male')),
    check (end_reason is null or end_reason in ('replaced', 'moved', 'resigned', 'other'))
);
create index if not exists collaborator_roster_rows_code on raw.collaborator_roster_rows (collaborator_code);

-- Who the collaborators are: readable by the warehouse owner only (alerts read names at send time).
create table if not exists restricted.collaborator_people (
    load_id bigint not null,
    file_hash text not null,
    row_number integer not null,
    collaborator_code text not null,
    unit_code text not null,
    full_name text not null,
    phone text,
    email text,
    loaded_at timestamptz not null default now(),
    primary key (load_id, file_hash, row_number)
);

-- One row per contribution listed in a contribution form (phiếu tổng hợp ý kiến của CTV).
-- The key is the content (unit, day, who, topic, opinion): a form sent again, or extended, never
-- counts a contribution twice.
create table if not exists raw.collaborator_contributions (
    contribution_key text primary key,
    unit_code text not null,
    contributed_on date not null,
    period_month date not null,
    topic_raw text,
    load_id bigint not null,
    source_file text not null,
    file_hash text not null,
    row_number integer not null,
    loaded_at timestamptz not null default now()
);
create index if not exists collaborator_contributions_load on raw.collaborator_contributions (load_id);

create table if not exists restricted.collaborator_contribution_text (
    contribution_key text primary key references raw.collaborator_contributions (contribution_key) on delete cascade,
    collaborator_written text not null,
    opinion_summary text
);

-- bi_reader reads marts only; make it explicit for the restricted tables created here.
do $$
begin
    if exists (select 1 from pg_roles where rolname = 'bi_reader') then
        revoke all on restricted.collaborator_people, restricted.collaborator_contribution_text from bi_reader;
    end if;
end
$$;
