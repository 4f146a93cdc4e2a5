-- One row per received report version. report_key is the hash of the normalised report content,
-- so the same report delivered again (renamed, re-exported) lands once.
create table if not exists raw.reports (
    report_key text primary key,
    load_id bigint not null,
    source_file text not null,
    file_hash text not null,
    loaded_at timestamptz not null default now(),
    source_format text not null,
    unit_code text not null,
    unit_name_raw text,
    period_month date not null,
    report_type text not null,
    due_at timestamptz,
    doc_number text,
    place_date_line text,
    issued_on date,
    title text,
    -- Received time candidates; dbt applies the rule register > form > inbox (see README).
    form_received_at timestamptz,
    inbox_received_at timestamptz not null,
    situation text,
    causes text,
    forecast text,
    proposals text,
    extraction jsonb
);
create index if not exists reports_unit_period on raw.reports (unit_code, period_month, report_type);

-- Opinion items of structured forms: one row per topic item in a report.
create table if not exists raw.report_items (
    report_key text not null references raw.reports (report_key),
    item_no integer not null,
    topic_raw text,
    topic_code text,
    summary text,
    sentiment text,
    is_hot_spot boolean not null default false,
    cause text,
    forecast text,
    proposal text,
    primary key (report_key, item_no)
);

-- Topics mentioned in a report (multi-label) with the evidence that matched.
create table if not exists raw.report_topics (
    report_key text not null references raw.reports (report_key),
    topic_code text not null,
    evidence text,
    is_hot_spot boolean not null default false,
    primary key (report_key, topic_code)
);

-- The office's incoming-documents register (so cong van den): the authority on received time.
create table if not exists raw.document_register (
    load_id bigint not null,
    source_file text not null,
    file_hash text not null,
    loaded_at timestamptz not null default now(),
    row_number integer not null,
    received_at timestamptz not null,
    sender text,
    unit_code text,
    doc_number text,
    attachment_name text,
    primary key (file_hash, row_number)
);
