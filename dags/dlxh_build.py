"""Airflow DAG: build the marts with dbt (one `dbt build`, then one task per model) when raw data lands."""

from __future__ import annotations

from airflow.sdk import Metadata, dag, get_current_context, task

from dlxh.orchestration.assets import MARTS, any_raw_asset
from dlxh.orchestration.dbt_groups import build_mode, dbt_group
from dlxh.orchestration.defaults import COMMON
from dlxh.orchestration.manifest import manifest_path

MODE = build_mode()
MANIFEST = manifest_path()


@dag(
    schedule=any_raw_asset(),
    **COMMON,
    tags=["dlxh", "build", "dbt"],
    doc_md="""
### Build
Scheduled on the raw assets (one per source): any new load triggers it. `dbt.build` runs the
whole project in one `dbt build` (dbt's threads, Celery queue `dbt`); then one task per dbt model
(`dbt.<model>`, rendered from the precompiled `dbt_project/target/manifest.json`, so parsing this
file never runs dbt) shows the model's and its tests' outcome, and on retry builds that model
alone. `DLXH_BUILD_TASKS=cosmos_watcher` renders it with astronomer-cosmos' ExecutionMode.WATCHER
instead (docs/orchestration.md). Emits `warehouse.marts` carrying the months the new data touched,
which triggers `dlxh_validate`.
""",
)
def dlxh_build():
    @task
    def collect_months() -> list[str]:
        """Publish the config folder's reference tables (read by dbt); the months the loads touched."""
        from dlxh.build import publish_config
        from dlxh.orchestration import tasks

        publish_config()
        return tasks.months_from_events(get_current_context().get("triggering_asset_events"))

    @task
    def relationship_tests() -> str:
        """The fact -> dimension relationship tests, once every model is built: they ran in the
        project build; they run again when a model failed there (its task rebuilt it) or when the
        build ran elsewhere (cosmos watcher: its results are per model)."""
        from dlxh.orchestration.dbt_tasks import models_of, relationship_tests_after

        produced = get_current_context()["ti"].xcom_pull(task_ids="dbt.build") if MODE == "dbt_build" else None
        return relationship_tests_after(produced, models_of(MANIFEST))

    @task(outlets=[MARTS])
    def publish_marts(months: list[str]):
        yield Metadata(MARTS, {"months": months})
        return months

    months = collect_months()
    months >> dbt_group(MANIFEST, MODE) >> relationship_tests() >> publish_marts(months)


dlxh_build()
