-- The effective-dated unit registry as landed. Each registry file is a complete snapshot;
-- staging reads the latest load. One row per unit version (renames and parent changes are
-- new versions with their own valid_from/valid_to).
create table if not exists raw.units (
    load_id bigint not null,
    source_file text not null,
    file_hash text not null,
    loaded_at timestamptz not null default now(),
    row_number integer not null,
    unit_code text not null,
    unit_name text not null,
    unit_type text not null,
    parent_code text,
    valid_from date not null,
    valid_to date,
    successor_code text,
    contact_name text,
    contact_email text,
    contact_webhook text,
    primary key (load_id, file_hash, row_number)
);

-- The registry's abbreviation column (Tên viết tắt: «LĐLĐ Tam Đường», «CĐN Giáo dục»), used by the unit resolver.
alter table raw.units add column if not exists short_name text;

-- Keyed by load: a registry file can be applied again (`dlxh ingest units --reapply`), and a change
-- file's load carries the unchanged units over. Upgrade from the earlier (file_hash, row_number) key.
do $$
begin
    if exists (
        select 1 from pg_constraint
        where conrelid = 'raw.units'::regclass and contype = 'p'
            and pg_get_constraintdef(oid) = 'PRIMARY KEY (file_hash, row_number)'
    ) then
        alter table raw.units drop constraint units_pkey;
        alter table raw.units add primary key (load_id, file_hash, row_number);
    end if;
end $$;
