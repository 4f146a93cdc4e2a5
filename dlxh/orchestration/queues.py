"""The Celery queue names for the DAGs: defined in dlxh/core/queues.py (below every layer, so the
Airflow environment builder and the source specs can name them too); re-exported here."""

from dlxh.core.queues import DBT, DEFAULT, OCR, WORKER_QUEUES, worker_hostname

__all__ = ["DBT", "DEFAULT", "OCR", "WORKER_QUEUES", "worker_hostname"]
