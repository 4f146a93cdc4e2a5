"""DAG factories. DAG files in `dags/` call these; heavy imports happen inside tasks only.

Every DAG has an owner, tags, doc_md, retries with exponential backoff and max_active_runs=1
(runs of the same DAG never overlap, so loads and alert sends never race each other).
"""

from __future__ import annotations

import os
from datetime import datetime, timedelta
from typing import Any

from airflow.sdk import Asset, Param, dag, get_current_context, task

from dlxh.orchestration.assets import MARTS_ASSET, QUALITY_ASSET, RAW_ASSETS

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


def _common() -> dict[str, Any]:
    """What every DLXH DAG shares: start, no catch-up, one run at a time, owner and retries."""
    return {"start_date": START, "catchup": False, "max_active_runs": 1, "default_args": DEFAULT_ARGS}


def _in_caller_file(dag_object):
    """DAGs built by these factories belong to the dags/ file that called the factory, so the
    scheduler re-parses (and the UI shows) that file."""
    import sys

    # sys._getframe, not inspect.stack(): the latter reads source lines of every frame at parse time.
    dag_object.fileloc = sys._getframe(2).f_code.co_filename
    return dag_object


def _settings_get(name: str, default: str) -> str:
    return os.environ.get(name, default)


def ingest_dag(source: str, doc: str):
    """Poll the source's inbox; ingest new files; emit the raw asset with the months touched."""
    asset = Asset(RAW_ASSETS[source])

    @dag(
        dag_id=f"dlxh_ingest_{source}",
        schedule=_settings_get("DLXH_INBOX_POLL_CRON", "*/2 * * * *"),
        **_common(),
        tags=["dlxh", "ingest", source],
        doc_md=doc,
    )
    def _ingest():
        @task.short_circuit(task_id="detect_new_files")
        def detect_new_files() -> list[str]:
            from dlxh.orchestration import tasks

            return tasks.new_files(source)

        @task(task_id=f"ingest_{source}", outlets=[asset])
        def ingest(files: list[str]) -> dict[str, Any]:
            from dlxh.orchestration import tasks

            result = tasks.ingest(source, files)
            context = get_current_context()
            context["outlet_events"][asset].extra = {"months": result["months"], "load_id": result["load_id"]}
            return result

        ingest(detect_new_files())

    return _in_caller_file(_ingest())


def validate_dag(doc: str):
    @dag(
        dag_id="dlxh_validate",
        schedule=[Asset(MARTS_ASSET)],
        **_common(),
        tags=["dlxh", "validate", "great-expectations"],
        doc_md=doc,
        params={"months": Param([], type="array", description="YYYY-MM months to validate; empty = the months the new data touched")},
    )
    def _validate():
        @task(task_id="validate_months", outlets=[Asset(QUALITY_ASSET)])
        def validate_months() -> dict[str, Any]:
            from dlxh.orchestration import tasks

            context = get_current_context()
            months = list(context["params"].get("months") or []) or tasks.months_from_events(
                context.get("triggering_asset_events")
            ) or tasks.default_months()
            result = tasks.validate(months)
            context["outlet_events"][Asset(QUALITY_ASSET)].extra = {"months": months}
            return result

        @task(task_id="check_source_freshness")
        def check_source_freshness() -> dict[str, Any]:
            from dlxh.orchestration import tasks

            return tasks.source_freshness()

        validate_months()
        check_source_freshness()

    return _in_caller_file(_validate())


def alerts_dag(doc: str):
    from airflow.sdk import AssetOrTimeSchedule, CronTriggerTimetable

    @dag(
        dag_id="dlxh_alerts",
        # Daily at 08:00 local time, and after every validation so acknowledgements go out promptly.
        schedule=AssetOrTimeSchedule(
            timetable=CronTriggerTimetable("0 8 * * *", timezone="Asia/Ho_Chi_Minh"), assets=[Asset(QUALITY_ASSET)]
        ),
        **_common(),
        tags=["dlxh", "alerts"],
        doc_md=doc,
        params={"as_of": Param(None, type=["null", "string"], description="YYYY-MM-DD day to evaluate; empty = the run's day")},
    )
    def _alerts():
        @task(task_id="send_alerts")
        def send_alerts() -> dict[str, Any]:
            from datetime import date

            from dlxh.orchestration import tasks

            context = get_current_context()
            as_of_param = context["params"].get("as_of")
            dag_run = context["dag_run"]
            as_of = date.fromisoformat(as_of_param) if as_of_param else tasks.local_day(getattr(dag_run, "run_after", None))
            return tasks.send_alerts(as_of)

        @task(task_id="sync_hot_spot_cases")
        def sync_hot_spot_cases() -> dict[str, Any]:
            """Open/join/reopen hot-spot cases, escalate overdue steps (hotspots/cases.py)."""
            from datetime import date

            from dlxh.orchestration import tasks
            from hotspots.cases import sync_cases

            context = get_current_context()
            as_of_param = context["params"].get("as_of")
            as_of = date.fromisoformat(as_of_param) if as_of_param else tasks.local_day(getattr(context["dag_run"], "run_after", None))
            return {"as_of": as_of.isoformat(), "summary": sync_cases(as_of).render()}

        send_alerts()
        sync_hot_spot_cases()

    return _in_caller_file(_alerts())


def build_dag(doc: str):
    """dbt models as Airflow tasks, rendered from the precompiled manifest (parsing never runs dbt).

    DLXH_BUILD_TASKS picks how (docs/orchestration.md compares them):

    * `dbt_build` (default): one task runs `dbt build` of the whole project (what `dlxh build`
      runs: one dbt start, dbt's threads), then one light task per model (`dbt.<model>`) reports
      the model's and its tests' outcome and, on retry, builds that model alone
      (dlxh/orchestration/dbt_tasks.py);
    * `cosmos_watcher`: astronomer-cosmos ExecutionMode.WATCHER: one producer task
      (`dbt.dbt_producer_watcher`) runs `dbt build`; `dbt.<model>.run` / `dbt.<model>.test`
      sensors read each node's outcome from its XCom and, on retry, run the model alone.
    """
    mode = os.environ.get("DLXH_BUILD_TASKS", "dbt_build")
    if mode not in ("dbt_build", "cosmos_watcher"):
        raise ValueError(f"DLXH_BUILD_TASKS must be dbt_build or cosmos_watcher, not {mode!r}")
    from dlxh.orchestration.manifest import manifest_path

    manifest = manifest_path()
    raw_assets = [Asset(name) for name in RAW_ASSETS.values()]
    schedule = raw_assets[0]
    for a in raw_assets[1:]:
        schedule = schedule | a

    @dag(
        dag_id="dlxh_build",
        schedule=schedule,
        **_common(),
        tags=["dlxh", "build", "dbt"],
        doc_md=doc,
    )
    def _build():
        @task(task_id="collect_months")
        def collect_months() -> list[str]:
            from dlxh.build import publish_config
            from dlxh.orchestration import tasks

            publish_config()  # the config folder's reference tables, read by dbt
            context = get_current_context()
            return tasks.months_from_events(context.get("triggering_asset_events"))

        dbt = _dbt_build_group(manifest) if mode == "dbt_build" else _cosmos_watcher_group(manifest)

        @task(task_id="relationship_tests")
        def relationship_tests() -> str:
            """The fact -> dimension relationship tests, once every model is built. They ran in the
            project build; they run again here when a model was rebuilt since (a retry) or when
            the build ran elsewhere (cosmos watcher: its results are per model)."""
            import logging

            from dlxh.build import build
            from dlxh.orchestration.dbt_tasks import relationship_results

            context = get_current_context()
            ti = context["ti"]
            if mode == "dbt_build":
                produced = ti.xcom_pull(task_ids="dbt.build")
                rebuilt = [r["model"] for r in ti.xcom_pull(task_ids=list(_model_task_ids(manifest))) or [] if r and r.get("rebuilt")]
                ran, failed = relationship_results(produced)
                if ran and not failed and not rebuilt:
                    message = f"{ran} relationship tests passed in the project build (dbt.build)"
                    logging.getLogger("dlxh").info(message)
                    return message
            summary = build(select="test_name:relationships")
            logging.getLogger("dlxh").info(summary.render())
            return summary.render()

        @task(task_id="publish_marts", outlets=[Asset(MARTS_ASSET)])
        def publish(months: list[str]) -> list[str]:
            context = get_current_context()
            context["outlet_events"][Asset(MARTS_ASSET)].extra = {"months": months}
            return months

        months = collect_months()
        months >> dbt >> relationship_tests() >> publish(months)

    return _in_caller_file(_build())


def _model_task_ids(manifest) -> list[str]:
    from dlxh.orchestration.dbt_tasks import models_of

    return [f"dbt.{m.name}" for m in models_of(manifest).values()]


def _dbt_build_group(manifest):
    """TaskGroup `dbt`: `build` (the whole project, one dbt command), then a task per model."""
    from airflow.sdk import TaskGroup

    from dlxh.orchestration.dbt_tasks import models_of

    models = models_of(manifest)
    with TaskGroup(group_id="dbt", tooltip="dbt build, then one task per model") as group:

        @task(task_id="build", doc_md="`dbt build` of the whole project (dlxh build): every model and test, dbt's threads.")
        def build_all() -> dict[str, Any]:
            from dlxh.orchestration.dbt_tasks import produce

            return produce()

        produced = build_all()
        model_tasks = {}
        for uid, model in models.items():

            @task(task_id=model.name, doc_md=f"dbt model `{model.name}` and its {len(model.checks)} tests: "
                  "their outcome in `dbt.build`; a retry builds the model alone.")
            def model_task(produced: dict[str, Any], _model=model) -> dict[str, Any]:
                from dlxh.orchestration.dbt_tasks import run_model

                return run_model(_model, produced, get_current_context()["ti"].try_number)

            model_tasks[uid] = model_task(produced)
        for uid, model in models.items():
            for parent in model.parents:
                model_tasks[parent] >> model_tasks[uid]
    return group


def _cosmos_watcher_group(manifest):
    """astronomer-cosmos DbtTaskGroup in ExecutionMode.WATCHER (DLXH_BUILD_TASKS=cosmos_watcher)."""
    from cosmos import DbtTaskGroup, ExecutionConfig, ProfileConfig, ProjectConfig, RenderConfig
    from cosmos.constants import ExecutionMode, LoadMode, TestBehavior, TestIndirectSelection
    from cosmos.profiles import PostgresUserPasswordProfileMapping

    from dlxh.airflow_env import WAREHOUSE_CONN_ID
    from dlxh.orchestration.manifest import DBT_PROJECT_DIR, dbt_executable

    dbt = DbtTaskGroup(
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
    _after_producer(dbt)
    return dbt


# dbt threads of the producer's `dbt build` (the warehouse target uses 4 as well).
DBT_THREADS = int(os.environ.get("DLXH_DBT_THREADS", "4"))


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


def backfill_dag(doc: str):
    @dag(
        dag_id="dlxh_backfill",
        schedule=None,
        **_common(),
        tags=["dlxh", "backfill"],
        doc_md=doc,
        params={
            "start_month": Param("2025-01", type="string", pattern=r"^\d{4}-\d{2}$"),
            "end_month": Param("2025-12", type="string", pattern=r"^\d{4}-\d{2}$"),
            "full_refresh": Param(False, type="boolean"),
        },
    )
    def _backfill():
        @task(task_id="rebuild")
        def rebuild() -> list[str]:
            from datetime import date

            from dlxh.build import build
            from dlxh.core.calendar import add_months

            params = get_current_context()["params"]
            build(full_refresh=bool(params["full_refresh"]))
            start = date.fromisoformat(params["start_month"] + "-01")
            end = date.fromisoformat(params["end_month"] + "-01")
            months, m = [], start
            while m <= end:
                months.append(m.strftime("%Y-%m"))
                m = add_months(m, 1)
            return months

        @task(task_id="revalidate", outlets=[Asset(QUALITY_ASSET)])
        def revalidate(months: list[str]) -> dict[str, Any]:
            from dlxh.orchestration import tasks

            return tasks.validate(months)

        revalidate(rebuild())

    return _in_caller_file(_backfill())
