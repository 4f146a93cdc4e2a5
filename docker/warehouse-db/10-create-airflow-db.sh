#!/bin/bash
# Runs once, when the postgres image initialises an empty data volume (official image:
# /docker-entrypoint-initdb.d, executed as POSTGRES_USER over the local socket).
# Creates the Airflow metadata database beside the warehouse, owned by its own login role so
# Airflow can neither read nor write the warehouse. The warehouse database itself (POSTGRES_DB)
# and its superuser (POSTGRES_USER) are created by the image; schemas are applied by the
# application (`dlxh` applies dlxh/core/sql/*.sql idempotently on first use).
set -euo pipefail

: "${AIRFLOW_DB_PASSWORD:?AIRFLOW_DB_PASSWORD must be set for the warehouse-db service}"
AIRFLOW_DB_USER="${AIRFLOW_DB_USER:-airflow}"
AIRFLOW_DB_NAME="${AIRFLOW_DB_NAME:-airflow}"

psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
    -v af_user="$AIRFLOW_DB_USER" -v af_db="$AIRFLOW_DB_NAME" -v af_password="$AIRFLOW_DB_PASSWORD" <<-'EOSQL'
	select format('create role %I login password %L', :'af_user', :'af_password')
	where not exists (select 1 from pg_roles where rolname = :'af_user') \gexec
	select format('create database %I owner %I encoding %L', :'af_db', :'af_user', 'UTF8')
	where not exists (select 1 from pg_database where datname = :'af_db') \gexec
	select format('revoke connect on database %I from public', current_database()) \gexec
	select format('revoke connect on database %I from public', :'af_db') \gexec
	select format('grant connect on database %I to %I', :'af_db', :'af_user') \gexec
EOSQL
echo "created role ${AIRFLOW_DB_USER} and database ${AIRFLOW_DB_NAME}"
