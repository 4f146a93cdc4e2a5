"""Airflow's asset manager, minus the runs `dlxh run` starts itself.

`dlxh run` (dlxh/orchestration/runner.py) runs the pipeline's DAGs in order: ingest → build →
validate → alerts. Each of those runs emits its assets, and Airflow's asset manager queues a run of
every DAG scheduled on them (`asset_dag_run_queue`). The runner starts the next DAG itself a moment
later, so every queued run would be a second build / validate / alerts run: created at once when a
scheduler is up, or by the first scheduler started afterwards (`dlxh airflow standalone`).

The runner marks its runs: their conf holds `dlxh_run_then`, the DAG ids it runs after this one.
For an event of such a run, this manager records the event as usual (lineage, the UI's asset
view) and queues every consumer except those DAGs; a consumer the runner does not run (the monthly
report) is queued as before. Events of any other run are handled exactly like Airflow does.

Set for every Airflow process of an instance by `dlxh/airflow_env.py`
(`[core] asset_manager_class`); it is loaded while `airflow.assets.manager` is being imported, so it
imports nothing else of Airflow at module level.
"""

from __future__ import annotations

from typing import Any

from airflow.assets.manager import AssetManager

from dlxh.orchestration.runner import RUNNER_CONF_KEY


def followed_by_runner(conf: Any) -> set[str]:
    """The DAG ids a run's conf says `dlxh run` starts after it (empty for any other run)."""
    if not isinstance(conf, dict):
        return set()
    then = conf.get(RUNNER_CONF_KEY)
    return {str(d) for d in then} if isinstance(then, list) else set()


class PipelineAssetManager(AssetManager):
    @classmethod
    def _queue_dagruns(cls, *, dags_to_queue, task_instance=None, session, **kwargs) -> None:
        if task_instance is not None and dags_to_queue:
            from airflow.models.dagrun import DagRun
            from sqlalchemy import select

            conf = session.scalar(select(DagRun.conf).where(DagRun.dag_id == task_instance.dag_id, DagRun.run_id == task_instance.run_id))
            skip = followed_by_runner(conf)
            if skip:
                kept = {dag for dag in dags_to_queue if dag.dag_id not in skip}
                cls.logger().info(
                    "dlxh run starts %s itself after %s: not queued by this asset event",
                    sorted(d.dag_id for d in dags_to_queue - kept),
                    task_instance.run_id,
                )
                dags_to_queue = kept
        return super()._queue_dagruns(dags_to_queue=dags_to_queue, task_instance=task_instance, session=session, **kwargs)
