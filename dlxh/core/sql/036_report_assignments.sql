-- A person's decision on a report file the machine could not attribute (or attributed with low
-- confidence): `dlxh reports assign FILE --unit CODE --month YYYY-MM [--type] [--why]`.
-- Keyed by the file's content hash; the latest decision for a file wins (assigned_at).
create table if not exists ops.report_assignments (
    assignment_id bigserial primary key,
    file_hash text not null,
    file_path text not null,
    unit_code text not null,
    period_month date not null,
    report_type text not null default 'monthly' check (report_type in ('monthly', 'ad_hoc')),
    why text,
    assigned_by text not null,
    assigned_at timestamptz not null default now(),
    applied_load_id bigint
);
create index if not exists report_assignments_file on ops.report_assignments (file_hash, assigned_at desc);

-- `dlxh reports assign` marks the file 'assigned' so the next `dlxh ingest reports` of the same
-- bytes processes it again (files already 'loaded' are skipped as duplicates).
alter table ops.files drop constraint if exists files_status_check;
alter table ops.files add constraint files_status_check check (status in ('loaded', 'quarantined', 'partial', 'assigned'));
