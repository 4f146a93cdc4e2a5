"""What every DLXH DAG shares: start, no catch-up, one run at a time (runs of a DAG never overlap,
so loads and alert sends never race), owner, and retries with exponential backoff."""

from __future__ import annotations

import os
from datetime import datetime, timedelta
from typing import Any

START = datetime(2025, 1, 1)
DEFAULT_ARGS: dict[str, Any] = {
    "owner": "dlxh-data-eng",
    # Transient failures (database restart, SMTP timeout) are retried with exponential backoff;
    # `dlxh run` and tests lower these through the environment.
    "retries": int(os.environ.get("DLXH_TASK_RETRIES", "3")),
    "retry_delay": timedelta(seconds=int(os.environ.get("DLXH_RETRY_DELAY_SECONDS", "30"))),
    "retry_exponential_backoff": True,
    "max_retry_delay": timedelta(minutes=10),
}
COMMON: dict[str, Any] = {"start_date": START, "catchup": False, "max_active_runs": 1, "default_args": DEFAULT_ARGS}
# How often the ingest DAGs look at their inbox.
INBOX_POLL = os.environ.get("DLXH_INBOX_POLL_CRON", "*/2 * * * *")
# dbt threads of the one `dbt build` (the warehouse target uses 4 as well).
DBT_THREADS = int(os.environ.get("DLXH_DBT_THREADS", "4"))
