-- Validation results, readable by BI.
create table if not exists quality.validation_runs (
    run_id bigserial primary key,
    run_at timestamptz not null default now(),
    period_month date not null,
    checkpoint text not null,
    success boolean not null,
    evaluated integer not null,
    failed integer not null,
    gx_run_name text,
    data_docs_path text
);

create table if not exists quality.validation_results (
    run_id bigint not null references quality.validation_runs (run_id) on delete cascade,
    period_month date not null,
    suite text not null,
    expectation text not null,
    column_name text,
    success boolean not null,
    observed_value text,
    unexpected_count bigint,
    offending_keys text[] not null default '{}',
    details jsonb
);
create index if not exists validation_results_month on quality.validation_results (period_month, suite);
