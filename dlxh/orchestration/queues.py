"""Celery queues (CeleryExecutor; other executors ignore them). A source's spec names its queue
(ingestion/<source>/spec.py: `queue`), the dbt build runs on DBT; every other task on DEFAULT."""

DEFAULT = "default"
OCR = "ocr"  # report files: scanned documents and photos are OCR'd while loading
DBT = "dbt"  # the one `dbt build` of the project: its own worker, dbt's threads
