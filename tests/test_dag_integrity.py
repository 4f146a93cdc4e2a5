"""DAG integrity: every file in dags/ imports without errors and every DAG is production-shaped."""

from __future__ import annotations

from pathlib import Path

import pytest

DAGS_DIR = Path(__file__).resolve().parent.parent / "dags"
DAG_FILES = sorted(p.name for p in DAGS_DIR.glob("*.py"))


@pytest.fixture(scope="module")
def dagbag(airflow_env):
    from airflow.dag_processing.dagbag import DagBag

    return DagBag(dag_folder=str(DAGS_DIR))


def test_there_are_dag_files():
    assert {"dlxh_ingest.py", "dlxh_build.py", "dlxh_validate.py", "dlxh_alerts.py"} <= set(DAG_FILES)


def test_every_source_has_its_ingest_dag_emitting_its_asset(dagbag):
    """Derived from the source specs: a new source package gets its DAG with no edit to dags/."""
    from ingestion.sources import specs

    build = dagbag.get_dag("dlxh_build")
    for spec in specs():
        dag = dagbag.get_dag(spec.dag_id)
        assert dag is not None, spec.dag_id
        assert Path(dag.fileloc).name == "dlxh_ingest.py"
        outlets = {o.name for t in dag.tasks for o in t.outlets}
        assert outlets == {spec.asset}, (spec.dag_id, outlets)
        assert dag.get_task(f"ingest_{spec.name}").queue == spec.queue
        assert spec.asset in _asset_names(build.timetable.asset_condition), spec.asset


def _asset_names(condition) -> set[str]:
    """Names of the assets in a schedule's condition (`a | b | …`, nested)."""
    if hasattr(condition, "objects"):
        return set().union(*(_asset_names(o) for o in condition.objects))
    return {condition.name}


@pytest.mark.parametrize("filename", DAG_FILES)
def test_dag_file_imports_without_errors(dagbag, filename):
    errors = {Path(k).name: v for k, v in dagbag.import_errors.items()}
    assert filename not in errors, errors.get(filename)
    dags_in_file = [d for d in dagbag.dags.values() if Path(d.fileloc).name == filename]
    assert dags_in_file, f"{filename} defines no DAG"


@pytest.mark.parametrize("filename", DAG_FILES)
def test_dag_is_production_shaped(dagbag, filename):
    for dag in (d for d in dagbag.dags.values() if Path(d.fileloc).name == filename):
        assert dag.owner and dag.owner != "airflow", f"{dag.dag_id}: set an owner"
        assert dag.tags, f"{dag.dag_id}: no tags"
        assert dag.doc_md and len(dag.doc_md.strip()) > 40, f"{dag.dag_id}: doc_md missing"
        assert dag.max_active_runs == 1, f"{dag.dag_id}: max_active_runs"
        assert dag.tasks, f"{dag.dag_id}: no tasks"
        for t in dag.tasks:
            assert t.retries >= 1, f"{dag.dag_id}.{t.task_id}: no retries"
        # A cycle makes topological sorting impossible.
        assert len(list(dag.topological_sort())) == len(dag.tasks)


def test_alerts_run_daily_at_eight_local(dagbag):
    dag = dagbag.get_dag("dlxh_alerts")
    cron = dag.timetable.timetable  # AssetOrTimeSchedule: the time part
    assert cron.expression == "0 8 * * *"
    assert str(cron.timezone) == "Asia/Ho_Chi_Minh"


def test_airflow_runs_in_ho_chi_minh_city_time(dagbag, airflow_env):
    """[core] default_timezone: naive datetimes, schedules and what the UI's "server time" is read in."""
    from airflow import settings
    from airflow.configuration import conf

    assert airflow_env["AIRFLOW__CORE__DEFAULT_TIMEZONE"] == "Asia/Ho_Chi_Minh"
    assert conf.get("core", "default_timezone") == "Asia/Ho_Chi_Minh"
    assert settings.TIMEZONE.name == "Asia/Ho_Chi_Minh"
    for dag in dagbag.dags.values():
        assert dag.timezone.name == "Asia/Ho_Chi_Minh", dag.dag_id
