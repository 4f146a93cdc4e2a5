"""Celery 5.7 with apache-airflow-providers-celery 3.26 and a database result backend: two fixes.

1. The provider's executor module imports `retry` from `celery.backends.database` (it decorates
   its result-backend query with it); Celery 5.7 removed that decorator (the database backend
   retries by itself now, `result_backend_always_retry`), so `airflow celery worker` and a
   scheduler with the CeleryExecutor fail at import with "cannot import name 'retry'".
   `install()` defines the decorator Celery <= 5.6 had (retry a database call up to three times
   on database errors) when it is missing.
2. Celery 5.7's database backend stores a result encoded (bytes) and decodes it when it reads
   it itself; the provider's scheduler-side bulk state fetch reads the rows directly and hands
   the still-encoded bytes to `meta_from_decoded`, which for a failed Celery task (an exception
   result, e.g. a worker that could not reach the API server) raises "If the stored exception
   isn't an instance of BaseException, it must be a dictionary" and stops the scheduler.
   `install()` makes the database backend's `meta_from_decoded` decode such a result first
   (only for exception states, whose result is never legitimately bytes or a string).

Each fix applies only when the installed Celery needs it. It runs from the `airflow_local_settings` the
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
    changed = _decode_exception_results(database.DatabaseBackend)
    if hasattr(database, "retry"):
        return changed
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


def _decode_exception_results(backend_cls) -> bool:
    """Let `meta_from_decoded` accept the encoded exception a Celery 5.7 database backend stored."""
    if not hasattr(backend_cls, "_decode_stored_result") or getattr(backend_cls.meta_from_decoded, "_dlxh_compat", False):
        return False
    from celery import states

    original = backend_cls.meta_from_decoded

    def meta_from_decoded(self, meta):
        if meta.get("status") in states.EXCEPTION_STATES and isinstance(meta.get("result"), (bytes, bytearray, memoryview, str)):
            meta = {**meta, "result": self._decode_stored_result(meta["result"])}
        return original(self, meta)

    meta_from_decoded._dlxh_compat = True
    backend_cls.meta_from_decoded = meta_from_decoded
    return True
