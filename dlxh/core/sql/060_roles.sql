-- The BI role: SELECT on marts only. Its password is set by `dlxh build` (DLXH_BI_PASSWORD, else
-- a generated one in $DLXH_HOME/bi_reader-password). dbt's `grants` config on the marts keeps
-- the grant on every rebuilt table. It reads nothing in raw, restricted, ops, staging or
-- intermediate and writes nowhere.
do $roles$
begin
    if not exists (select 1 from pg_roles where rolname = 'bi_reader') then
        create role bi_reader login;
    end if;
    execute format('grant connect on database %I to bi_reader', current_database());
    revoke all on schema raw, restricted, ops, staging, intermediate from bi_reader;
    revoke all on all tables in schema raw, restricted, ops, staging, intermediate from bi_reader;
    revoke create on schema public from bi_reader;
    grant usage on schema marts to bi_reader;
    grant select on all tables in schema marts to bi_reader;
    alter default privileges in schema marts grant select on tables to bi_reader;
exception
    when insufficient_privilege then
        raise notice 'cannot manage role bi_reader (needs CREATEROLE): %', sqlerrm;
end
$roles$;
