"""Celery 5.7 with apache-airflow-providers-celery 3.26: put back `celery.backends.database.retry`.

The provider's executor module imports `retry` from `celery.backends.database` (it decorates its
result-backend query with it); Celery 5.7 removed that decorator (the database backend retries
by itself now, `result_backend_always_retry`), so `airflow celery worker` and a scheduler with
the CeleryExecutor fail at import with "cannot import name 'retry'". `install()` defines the
decorator Celery <= 5.6 had (retry a database call up to three times on database errors) when
it is missing, and does nothing when it exists. It runs from the `airflow_local_settings` the
tool writes (dlxh/orchestration/local_settings.py), which every Airflow process imports before
its executor. Remove this module once the locked versions import cleanly (pin `celery<5.7` or
a provider release that no longer imports it).
"""

from __future__ import annotations

import functools
import logging

log = logging.getLogger(__name__)


def install() -> bool:
    """Define `celery.backends.database.retry` if Celery lacks it; True when it was added."""
    try:
        import celery.backends.database as database
    except ImportError:  # no Celery (or no SQLAlchemy): nothing imports the provider's executor
        return False
    if hasattr(database, "retry"):
        return False
    from sqlalchemy.exc import DatabaseError, InvalidRequestError
    from sqlalchemy.orm.exc import StaleDataError

    def retry(fun):
        @functools.wraps(fun)
        def _inner(*args, **kwargs):
            max_retries = kwargs.pop("max_retries", 3)
            for attempt in range(max_retries):
                try:
                    return fun(*args, **kwargs)
                except (DatabaseError, InvalidRequestError, StaleDataError):
                    log.warning("Failed operation %s; retrying %d more times.", fun.__name__, max_retries - attempt - 1, exc_info=True)
                    if attempt + 1 >= max_retries:
                        raise
            return None

        return _inner

    database.retry = retry
    return True
