"""The foundation: settings, database, errors, calendar, text, parsing, tabular files, privacy and
secrets, the embedded PostgreSQL, the warehouse schema and the deployment's configuration folder.

It imports nothing of the project above it (an import-linter contract in pyproject.toml keeps it
so): ingestion, alerts, expectations, hot spots and the application (`dlxh.cli`, the pipeline,
the dbt runner, orchestration) build on it.
"""
