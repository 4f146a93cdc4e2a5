"""What this instance's Airflow processes import as `airflow_local_settings` (Airflow's hook for
local policies and settings, imported by every Airflow process at start, before its executor).

`dlxh/airflow_env.py` writes `$AIRFLOW_HOME/config/airflow_local_settings.py`, a one-line
module that star-imports this one (Airflow puts `$AIRFLOW_HOME/config` on `sys.path`). Every
public name here becomes an attribute of `airflow.settings` and names that match Airflow's
policy hooks are registered as policies, so `__all__` lists exactly what Airflow is to see.

At import: the Celery compatibility shim (dlxh/orchestration/celery_compat.py).
"""

from __future__ import annotations

from dlxh.orchestration import celery_compat

celery_compat.install()

__all__: list[str] = []
