"""The logic behind the Airflow tasks: importable and unit-tested, so DAG files stay thin."""
