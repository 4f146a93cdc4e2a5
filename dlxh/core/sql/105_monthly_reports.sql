-- The monthly consolidated report upward (dlxh report, DAG dlxh_monthly_report): one row per
-- version of a month's report. A version is a set of figures (fingerprint = sha256 of the figures
-- as canonical JSON); regenerating with the same figures adds nothing, changed figures add
-- version N+1 with its own files (the version is in every file name: nothing is overwritten).
create table if not exists ops.monthly_reports (
    report_id bigserial primary key,
    period_month date not null,
    version integer not null check (version >= 1),
    fingerprint text not null,
    figures jsonb not null,
    out_dir text not null,
    paths jsonb not null default '{}',
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    unique (period_month, version)
);
