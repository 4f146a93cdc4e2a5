-- One row per ingestion run of one source.
create table if not exists ops.loads (
    load_id bigserial primary key,
    source text not null,
    started_at timestamptz not null default now(),
    finished_at timestamptz,
    status text not null default 'running' check (status in ('running', 'succeeded', 'failed')),
    files_read integer not null default 0,
    rows_read bigint not null default 0,
    rows_loaded bigint not null default 0,
    rows_updated bigint not null default 0,
    rows_unchanged bigint not null default 0,
    rows_quarantined bigint not null default 0,
    summary jsonb
);

-- Every file ever read, keyed by content hash: the same bytes under another name load once.
create table if not exists ops.files (
    source text not null,
    file_hash text not null,
    first_path text not null,
    first_seen_at timestamptz not null default now(),
    file_mtime timestamptz,
    last_path text not null,
    last_seen_at timestamptz not null default now(),
    status text not null check (status in ('loaded', 'quarantined', 'partial')),
    load_id bigint references ops.loads (load_id),
    rows_read bigint not null default 0,
    rows_loaded bigint not null default 0,
    rows_quarantined bigint not null default 0,
    detail jsonb,
    primary key (source, file_hash)
);

-- Rows or files that could not be loaded, with a reason a person can act on.
create table if not exists ops.quarantine (
    quarantine_id bigserial primary key,
    source text not null,
    load_id bigint references ops.loads (load_id),
    file_path text not null,
    file_hash text not null,
    row_number integer,
    field text,
    reason_code text not null,
    reason text not null,
    record jsonb,
    created_at timestamptz not null default now(),
    resolved_at timestamptz
);
-- One entry per file path: identical bad files sent by two units are two entries (each sender
-- has to be told), a re-run of the same path updates its entries.
drop index if exists ops.quarantine_once;
create unique index if not exists quarantine_once_per_path
on ops.quarantine (source, file_hash, file_path, coalesce(row_number, -1), reason_code, coalesce(field, ''));

-- Every alert, keyed so that re-running a day, retrying a task or racing schedulers sends nothing twice.
create table if not exists ops.alert_log (
    alert_id bigserial primary key,
    unit_code text not null,
    period_month date not null,
    report_type text not null,
    rule text not null,
    recipient text not null,
    channel text not null,
    as_of date not null,
    status text not null default 'pending' check (status in ('pending', 'sent', 'failed')),
    attempts integer not null default 0,
    last_error text,
    next_attempt_at timestamptz,
    subject text,
    body_text text,
    body_html text,
    payload jsonb,
    created_at timestamptz not null default now(),
    sent_at timestamptz,
    unique (unit_code, period_month, report_type, rule, recipient, channel)
);

-- Alerts: why an alert was due (Vietnamese, shown in run reports and dry runs).
alter table ops.alert_log add column if not exists reason text;
-- The outbox scan: pending rows whose next attempt is due.
create index if not exists alert_log_due
on ops.alert_log (next_attempt_at, alert_id) where status = 'pending';
-- The deliverer's cursor: the next pending row after the last one tried, in id order.
create index if not exists alert_log_pending on ops.alert_log (alert_id) where status = 'pending';
