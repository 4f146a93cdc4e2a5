-- Validation results (Great Expectations, expectations/runner.py), readable by BI.
-- One quality.validation_runs row per `validate_month` call: re-validating a month adds a run,
-- it never overwrites an earlier one. quality.v_latest_validation shows the latest run per
-- month and suite.
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
alter table quality.validation_runs add column if not exists finished_at timestamptz;
alter table quality.validation_runs add column if not exists strict boolean not null default false;
alter table quality.validation_runs add column if not exists duration_ms integer;
create index if not exists validation_runs_month on quality.validation_runs (period_month, run_id);

-- One row per expectation evaluated in a run. offending_keys lists what failed by code:
-- unit codes for the report suites, submission uuids for surveys, item keys for scans,
-- file keys for the import reconciliation.
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
alter table quality.validation_results add column if not exists expectation_type text;
alter table quality.validation_results add column if not exists checkpoint text;
alter table quality.validation_results add column if not exists description text;
alter table quality.validation_results add column if not exists element_count bigint;
create index if not exists validation_results_month on quality.validation_results (period_month, suite);
create index if not exists validation_results_run on quality.validation_results (run_id);

-- Views are dropped and re-created (nothing depends on them), so their columns may evolve.
drop view if exists quality.v_latest_validation;
drop view if exists quality.v_import_reconciliation;

-- The latest run per month and suite, with the union of its offending keys.
create view quality.v_latest_validation as
with suite_runs as (
    select
        res.period_month,
        res.suite,
        res.run_id,
        max(res.checkpoint) as checkpoint,
        bool_and(res.success) as success,
        count(*) as evaluated,
        count(*) filter (where not res.success) as failed
    from quality.validation_results as res
    group by res.period_month, res.suite, res.run_id
),

latest as (
    select distinct on (period_month, suite)
        period_month,
        suite,
        run_id,
        checkpoint,
        success,
        evaluated,
        failed
    from suite_runs
    order by period_month asc, suite asc, run_id desc
)

select
    latest.period_month,
    latest.suite,
    latest.run_id,
    runs.run_at,
    latest.checkpoint,
    latest.success,
    latest.evaluated,
    latest.failed,
    coalesce((
        select array_agg(distinct k.key order by k.key)
        from quality.validation_results as res
        cross join lateral unnest(res.offending_keys) as k (key)
        where res.run_id = latest.run_id and res.suite = latest.suite
    ), '{}') as offending_keys,
    runs.data_docs_path
from latest
inner join quality.validation_runs as runs on latest.run_id = runs.run_id;

-- Import reconciliation: the latest import of every survey or scan file, as its import summary
-- (ops.loads.summary) recorded it, against the quarantine. A file reconciles when
-- read = loaded + updated + unchanged + quarantined and every quarantined row has a reason in
-- ops.quarantine (or the whole file was quarantined with a file-level reason).
create view quality.v_import_reconciliation as
with file_imports as (
    select distinct on (loads.source, f.file ->> 'file_hash')
        loads.source,
        loads.load_id,
        loads.status as load_status,
        loads.started_at,
        f.file ->> 'file_hash' as file_hash,
        -- the file's name only: BI never sees the folders files came from
        regexp_replace(f.file ->> 'path', '^.*[/\\]', '') as file_name,
        f.file ->> 'status' as file_status,
        coalesce((f.file ->> 'rows_read')::bigint, 0) as rows_read,
        coalesce((f.file ->> 'rows_loaded')::bigint, 0) as rows_loaded,
        coalesce((f.file ->> 'rows_updated')::bigint, 0) as rows_updated,
        coalesce((f.file ->> 'rows_unchanged')::bigint, 0) as rows_unchanged,
        coalesce((f.file ->> 'rows_quarantined')::bigint, 0) as rows_quarantined
    from ops.loads as loads
    cross join lateral jsonb_array_elements(loads.summary -> 'files') as f (file)
    where
        loads.summary is not null
        and jsonb_typeof(loads.summary -> 'files') = 'array'
        and f.file ->> 'status' <> 'duplicate'
    order by loads.source asc, f.file ->> 'file_hash' asc, loads.load_id desc
),

logged as (
    select
        q.source,
        q.file_hash,
        count(distinct q.row_number) as rows_logged,
        bool_or(q.row_number is null) as file_level
    from ops.quarantine as q
    group by q.source, q.file_hash
),

checked as (
    select
        fi.*,
        coalesce(lg.rows_logged, 0) as quarantine_rows_logged,
        coalesce(lg.file_level, false) as quarantine_file_level,
        fi.rows_read - (fi.rows_loaded + fi.rows_updated + fi.rows_unchanged + fi.rows_quarantined)
            as rows_unaccounted,
        case
            when fi.rows_quarantined = 0 or coalesce(lg.file_level, false) then 0
            else greatest(fi.rows_quarantined - coalesce(lg.rows_logged, 0), 0)
        end as quarantined_without_reason
    from file_imports as fi
    left join logged as lg on fi.source = lg.source and fi.file_hash = lg.file_hash
)

select
    checked.*,
    checked.source || '#' || checked.load_id || ':'
    || coalesce(checked.file_name, checked.file_hash) as file_key,
    checked.rows_unaccounted = 0 and checked.quarantined_without_reason = 0 as reconciles
from checked;

-- Source freshness checks (dlxh.freshness: `dbt source freshness` over the raw landing tables).
create table if not exists quality.source_freshness (
    check_id bigserial primary key,
    checked_at timestamptz not null,
    source_table text not null,
    status text not null,
    max_loaded_at timestamptz,
    age_seconds double precision,
    warn_after text,
    error text
);
create index if not exists source_freshness_checked on quality.source_freshness (checked_at);

-- BI reads the validation results (tables and views of this schema), nothing else of ops.
do $grants$
begin
    if exists (select 1 from pg_roles where rolname = 'bi_reader') then
        grant usage on schema quality to bi_reader;
        grant select on all tables in schema quality to bi_reader;
    end if;
exception
    when insufficient_privilege then
        raise notice 'cannot grant quality to bi_reader: %', sqlerrm;
end
$grants$;
