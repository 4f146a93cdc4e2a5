"""The dbt part of the build DAG, in one place: how dbt models become Airflow tasks.

DLXH_BUILD_TASKS picks how (docs/orchestration.md compares them):

* `dbt_build` (default): one task runs `dbt build` of the whole project (what `dlxh build`
  runs: one dbt start, dbt's threads), then one light task per model (`dbt.<model>`) reports
  the model's and its tests' outcome and, on retry, builds that model alone
  (dlxh/orchestration/dbt_tasks.py);
* `cosmos_watcher`: astronomer-cosmos ExecutionMode.WATCHER: one producer task
  (`dbt.dbt_producer_watcher`) runs `dbt build`; `dbt.<model>.run` / `dbt.<model>.test`
  sensors read each node's outcome from its XCom and, on retry, run the model alone.

Both render from the precompiled manifest (parsing a DAG file never runs dbt). The one `dbt build`
runs on the DBT Celery queue.
"""

from __future__ import annotations

import os
from typing import Any

from airflow.sdk import get_current_context, task

from dlxh.core.queues import DBT
from dlxh.orchestration.defaults import DBT_THREADS

MODES = ("dbt_build", "cosmos_watcher")


def build_mode() -> str:
    mode = os.environ.get("DLXH_BUILD_TASKS", "dbt_build")
    if mode not in MODES:
        raise ValueError(f"DLXH_BUILD_TASKS must be dbt_build or cosmos_watcher, not {mode!r}")
    return mode


def dbt_group(manifest, mode: str):
    return dbt_build_group(manifest) if mode == "dbt_build" else cosmos_watcher_group(manifest)


def dbt_build_group(manifest):
    """TaskGroup `dbt`: `build` (the whole project, one dbt command), then a task per model."""
    from airflow.sdk import TaskGroup

    from dlxh.orchestration.dbt_tasks import models_of

    models = models_of(manifest)
    with TaskGroup(group_id="dbt", tooltip="dbt build, then one task per model") as group:
        # One XCom (not one per key): the model tasks read it whole.
        @task(
            task_id="build",
            queue=DBT,
            multiple_outputs=False,
            doc_md="`dbt build` of the whole project (dlxh build): every model and test, dbt's threads.",
        )
        def build_all() -> dict[str, Any]:
            from dlxh.orchestration.dbt_tasks import produce

            return produce()

        produced = build_all()
        model_tasks = {}
        for uid, model in models.items():
            # The producer's outcome is pulled inside the task, not passed as an argument: an
            # argument is a rendered template field, serialised and written to the metadata
            # database by every model task (28 KB each for the demo project).
            @task(
                task_id=model.name,
                doc_md=f"dbt model `{model.name}` and its {len(model.checks)} tests: "
                "their outcome in `dbt.build`; a retry builds the model alone.",
            )
            def model_task(_model=model) -> str | None:
                from dlxh.orchestration.dbt_tasks import run_model

                ti = get_current_context()["ti"]
                return run_model(_model, ti.xcom_pull(task_ids=produced.operator.task_id), ti.try_number)

            model_tasks[uid] = model_task()
        for uid, model in models.items():
            for parent in model.parents:
                model_tasks[parent] >> model_tasks[uid]
            if not model.parents:
                produced >> model_tasks[uid]
    return group


def cosmos_watcher_group(manifest):
    """astronomer-cosmos DbtTaskGroup in ExecutionMode.WATCHER (DLXH_BUILD_TASKS=cosmos_watcher)."""
    from cosmos import DbtTaskGroup, ExecutionConfig, ProfileConfig, ProjectConfig, RenderConfig
    from cosmos.constants import PRODUCER_WATCHER_TASK_ID, ExecutionMode, LoadMode, TestBehavior, TestIndirectSelection
    from cosmos.profiles import PostgresUserPasswordProfileMapping

    from dlxh.airflow_env import WAREHOUSE_CONN_ID
    from dlxh.orchestration.manifest import DBT_PROJECT_DIR, dbt_executable

    group = DbtTaskGroup(
        group_id="dbt",
        project_config=ProjectConfig(
            dbt_project_path=DBT_PROJECT_DIR,
            manifest_path=manifest,
            install_dbt_deps=False,
            env_vars={"DBT_SEND_ANONYMOUS_USAGE_STATS": "False"},
        ),
        profile_config=ProfileConfig(
            profile_name="dlxh",
            target_name="airflow",
            profile_mapping=PostgresUserPasswordProfileMapping(
                conn_id=WAREHOUSE_CONN_ID, profile_args={"schema": "public", "threads": DBT_THREADS}
            ),
        ),
        # AFTER_EACH: the producer's `dbt build` runs each model's tests right after it (a failing
        # test still skips everything downstream); the `test` task of a model reports them.
        # Exposures (BI dashboards) are documentation, not work: no task (and no cosmos warning).
        render_config=RenderConfig(
            load_method=LoadMode.DBT_MANIFEST,
            test_behavior=TestBehavior.AFTER_EACH,
            exclude=["resource_type:exposure"],
        ),
        # BUILDABLE: a model's retry (`dbt run/test --select <model>`) runs only the tests whose other
        # parents are already built; the producer's whole-project build runs every test in dbt order.
        execution_config=ExecutionConfig(
            execution_mode=ExecutionMode.WATCHER,
            dbt_executable_path=dbt_executable(),
            test_indirect_selection=TestIndirectSelection.BUILDABLE,
        ),
        # Model tasks are plain (non-deferrable) sensors: they need no triggerer, and dag.test()
        # runs them in-process. They start once the producer is done (see below), so their first
        # poke finds the outcome. No per-table Airflow assets: `publish_marts` emits the one asset
        # the other DAGs listen to.
        operator_args={"deferrable": False, "poke_interval": 5, "emit_datasets": False},
    )
    group.dag.get_task(f"dbt.{PRODUCER_WATCHER_TASK_ID}").queue = DBT
    _after_producer(group)
    return group


def _after_producer(group) -> None:
    """Start the model tasks of a WATCHER task group once its producer has finished.

    Cosmos (DbtTaskGroup) starts them beside the producer, polling its XCom. Here they wait for it
    instead, whatever its outcome (ALL_DONE): dag.test() runs tasks one after another in-process, so
    a model sensor scheduled before the producer would poll forever, and under the scheduler ~30
    sensors polling on a 2-core machine would slow the one task doing the work.
    """
    from airflow.task.trigger_rule import TriggerRule
    from cosmos.constants import PRODUCER_WATCHER_DONE_TASK_ID, PRODUCER_WATCHER_TASK_ID

    producer_id = f"{group.group_id}.{PRODUCER_WATCHER_TASK_ID}"
    done_id = f"{group.group_id}.{PRODUCER_WATCHER_DONE_TASK_ID}"
    producer = group.dag.get_task(producer_id)
    for root in list(group.get_roots()):
        if root.task_id in (producer_id, done_id):
            continue
        producer >> root
        root.trigger_rule = TriggerRule.ALL_DONE
