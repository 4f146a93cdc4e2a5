"""Celery queue names of the DLXH DAGs, in one place (docs/orchestration.md, "CeleryExecutor").

Under the CeleryExecutor a task goes to the queue its operator names (`queue=`); a worker takes
tasks from the queues it was started with (`airflow celery worker --queues a,b`). Under the
LocalExecutor and in `dag.test()` the queue is ignored.

* `DEFAULT`: every task that names no queue (Airflow's `[operators] default_queue`);
* `OCR`: report files, whose scanned documents and photos are OCR'd while loading (a source's
  spec names its queue: ingestion/<source>/spec.py `queue`; the mapped ingest tasks use it), so
  OCR-heavy work runs on workers sized for it and never starves the rest;
* `DBT`: the one `dbt build` of the project (dlxh/orchestration/dbt_groups.py), dbt's threads.

`WORKER_QUEUES` is how `dlxh airflow standalone --executor celery` and the docker compose
`celery` profile start their workers: one for dbt and the default queue, one for OCR and the
default queue (so the default queue always has two workers, and one worker lost never stops it).
"""

from __future__ import annotations

import os

DEFAULT = "default"
OCR = "ocr"
DBT = "dbt"

# (worker name, queues it consumes), in start order.
WORKER_QUEUES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("worker-dbt", (DEFAULT, DBT)),
    ("worker-ocr", (OCR, DEFAULT)),
)


def worker_hostname() -> str:
    """`[core] hostname_callable` of the workers started on one machine: the machine's name with
    the worker's (DLXH_WORKER_NAME), so a task instance's `hostname` says which worker ran it.
    Only for workers whose task logs are read from local files (one machine); workers on their
    own machines keep Airflow's default (the machine's name, where their log server answers)."""
    import socket

    name = os.environ.get("DLXH_WORKER_NAME")
    host = socket.getfqdn()
    return f"{name}@{host}" if name else host
