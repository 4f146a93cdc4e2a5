"""The real DAGs run with `dag.test()` on the session's embedded PostgreSQL, in pipeline order.

One module-scoped sequence on demo data (registry + six months of report forms as of today):
ingest units -> ingest reports (a second run short-circuits) -> build (astronomer-cosmos, one
task per dbt model) -> validate (months param) -> alerts (as_of param). Each test checks the
DAG run's state and what landed in the warehouse; durations are printed (`pytest -s`).
"""

from __future__ import annotations

import os
import time
from datetime import date, datetime

import pytest

from dlxh.core.calendar import LOCAL

TODAY = datetime.now(LOCAL).date()
# dag.test() honours retries with real delays: keep a failing task from stalling the suite.
FAST_RETRIES = {"DLXH_TASK_RETRIES": "1", "DLXH_RETRY_DELAY_SECONDS": "1", "DLXH_ALERT_CHANNELS": "log"}


@pytest.fixture(scope="module")
def pipeline(airflow_env, warehouse_target):
    """Emptied warehouse, demo inbox written, the DagBag of dags/ (after the Airflow env is set)."""
    old = {k: os.environ.get(k) for k in FAST_RETRIES}
    os.environ.update(FAST_RETRIES)
    from airflow.dag_processing.dagbag import DagBag

    from dlxh.airflow_env import DAGS_FOLDER
    from dlxh.core.db import connect
    from dlxh.core.settings import load_settings
    from dlxh.demo import demo_months, write_demo
    from tests.conftest import truncate_all

    conn = connect(warehouse_target)
    conn.autocommit = True
    truncate_all(conn)
    settings = load_settings()
    empty_inboxes(settings, ("units", "reports", "surveys", "scans"))
    write_demo(settings.inbox, as_of=TODAY)
    bag = DagBag(dag_folder=str(DAGS_FOLDER))
    assert not bag.import_errors, bag.import_errors
    yield {"bag": bag, "conn": conn, "latest": demo_months(TODAY, 1)[-1]}
    conn.close()
    for k, v in old.items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v


def empty_inboxes(settings, sources: tuple[str, ...]) -> None:
    """Remove every file and sub-folder of the given sources' inboxes (the session shares DLXH_HOME)."""
    for source in sources:
        folder = settings.inbox_for(source)
        if folder.is_dir():
            for path in sorted(folder.rglob("*"), reverse=True):
                path.unlink() if path.is_file() else path.rmdir()


def run_dag(pipeline, dag_id: str, conf: dict | None = None):
    """dag.test() one DAG; returns (state, {task_id: state}, seconds)."""
    from airflow.models.taskinstance import TaskInstance
    from airflow.utils.session import create_session

    dag = pipeline["bag"].get_dag(dag_id)
    assert dag is not None, f"{dag_id} not in the DagBag"
    t0 = time.perf_counter()
    dr = dag.test(logical_date=datetime.now(LOCAL), run_conf=conf)
    seconds = time.perf_counter() - t0
    with create_session() as session:
        rows = (
            session.query(TaskInstance.task_id, TaskInstance.state)
            .filter(TaskInstance.dag_id == dag_id, TaskInstance.run_id == dr.run_id)
            .all()
        )
    states = {task_id: str(state) if state is not None else None for task_id, state in rows}
    print(f"\n{dag_id}: {dr.state} in {seconds:.1f}s ({len(states)} tasks)")
    return str(dr.state), states, seconds


def last_return_value(dag_id: str, task_id: str) -> str | None:
    """The newest return value (XCom) of one task of a DAG, as stored."""
    from airflow.models.xcom import XComModel
    from airflow.utils.session import create_session

    with create_session() as session:
        row = (
            session.query(XComModel.value)
            .filter(XComModel.dag_id == dag_id, XComModel.task_id == task_id, XComModel.key == "return_value")
            .order_by(XComModel.timestamp.desc())
            .first()
        )
    return None if row is None else str(row[0])


def scalar(conn, sql: str, params: tuple = ()):
    with conn.cursor() as cur:
        cur.execute(sql, params)
        return cur.fetchone()[0]


def test_ingest_units_dag_loads_the_registry(pipeline):
    state, tasks, _ = run_dag(pipeline, "dlxh_ingest_units")
    assert state == "success", tasks
    assert tasks == {"detect_new_files": "success", "ingest_units": "success", "publish_units": "success"}
    conn = pipeline["conn"]
    assert scalar(conn, "select count(distinct unit_code) from raw.units") == 12  # province + 8 districts + 3 sectors
    assert scalar(conn, "select count(*) from ops.files where source = 'units'") == 1


def test_ingest_reports_dag_lands_reports_then_short_circuits(pipeline):
    conn = pipeline["conn"]
    state, tasks, _ = run_dag(pipeline, "dlxh_ingest_reports")
    assert state == "success", tasks
    assert tasks == {"detect_new_files": "success", "ingest_reports": "success", "publish_reports": "success"}
    reports = scalar(conn, "select count(*) from raw.reports")
    files = scalar(conn, "select count(*) from ops.files where source = 'reports'")
    assert reports > 0 and files > 0
    assert scalar(conn, "select count(*) from raw.reports where unit_code = 'LDLD-SH' and period_month = %s", (pipeline["latest"],)) == 1

    # Nothing new in the inbox: the sensor short-circuits, the ingest and publish tasks are skipped
    # (no asset event: the build is not triggered), nothing is loaded.
    loads_before = scalar(conn, "select count(*) from ops.loads")
    state, tasks, _ = run_dag(pipeline, "dlxh_ingest_reports")
    assert state == "success", tasks
    assert tasks == {"detect_new_files": "success", "ingest_reports": "skipped", "publish_reports": "skipped"}
    assert scalar(conn, "select count(*) from raw.reports") == reports
    assert scalar(conn, "select count(*) from ops.loads") == loads_before


def test_ingest_surveys_dag_reads_each_survey_folder_with_its_form(pipeline):
    conn = pipeline["conn"]
    state, tasks, _ = run_dag(pipeline, "dlxh_ingest_surveys")
    assert state == "success", tasks
    assert tasks == {"detect_new_files": "success", "ingest_surveys": "success", "publish_surveys": "success"}
    # The demo writes a Kobo export per month for the two last complete months, 60 submissions each.
    assert scalar(conn, "select count(*) from raw.survey_responses") == 120
    assert scalar(conn, "select count(*) from ops.files where source = 'surveys' and status = 'loaded'") == 2


def test_ingest_scans_dag_dedupes_the_two_tools(pipeline):
    conn = pipeline["conn"]
    state, tasks, _ = run_dag(pipeline, "dlxh_ingest_scans")
    assert state == "success", tasks
    assert tasks == {"detect_new_files": "success", "ingest_scans": "success", "publish_scans": "success"}
    # 40 posts a month over three months, each seen by one or both tools: one item each.
    assert scalar(conn, "select count(*) from raw.scan_items") == 120
    assert scalar(conn, "select count(*) from raw.scan_items where cardinality(tools) = 2") == 39
    # the publish task refreshed the planner's statistics once the batches were in
    assert scalar(conn, "select reltuples from pg_class where oid = 'raw.scan_items'::regclass") == 120


def test_build_dag_runs_every_dbt_model_with_cosmos(pipeline):
    state, tasks, seconds = run_dag(pipeline, "dlxh_build")
    failed = {t: s for t, s in tasks.items() if s != "success"}
    assert state == "success", failed
    dbt_tasks = [t for t in tasks if t.startswith("dbt.")]
    assert any("fct_report_submission" in t for t in dbt_tasks), sorted(tasks)
    assert tasks["publish_marts"] == "success" and tasks["relationship_tests"] == "success"
    if "dbt.build" in tasks:  # DLXH_BUILD_TASKS=dbt_build: everything passed there, nothing is re-run
        assert "relationship tests passed in the project build" in (last_return_value("dlxh_build", "relationship_tests") or "")
    print(f"cosmos build: {len(dbt_tasks)} dbt tasks in {seconds:.1f}s ({seconds / max(1, len(dbt_tasks)):.1f}s per task)")
    conn = pipeline["conn"]
    with conn.cursor() as cur:
        cur.execute(
            "select unit_code, status, days_late from marts.fct_report_submission "
            "where period_month = %s and report_type = 'monthly' and unit_code in ('LDLD-SH', 'CDVC') order by unit_code",
            (pipeline["latest"],),
        )
        rows = {code: (status, days_late) for code, status, days_late in cur.fetchall()}
    # The demo's latest month always has a late report (LDLD-SH) and a missing one (CDVC).
    assert rows["LDLD-SH"][0] == "late" and rows["LDLD-SH"][1] >= 1
    assert rows["CDVC"][0] == "missing"
    assert scalar(conn, "select count(*) from marts.fct_report_submission") >= 6 * 10


def test_validate_dag_records_a_run_per_month(pipeline):
    latest: date = pipeline["latest"]
    month = latest.strftime("%Y-%m")
    conn = pipeline["conn"]
    before = scalar(conn, "select count(*) from quality.validation_runs where period_month = %s", (latest,))
    state, tasks, _ = run_dag(pipeline, "dlxh_validate", {"months": [month]})
    assert state == "success", tasks
    assert tasks == {"validate_months": "success", "check_source_freshness": "success"}
    assert scalar(conn, "select count(*) from quality.source_freshness where source_table = 'raw.reports' and status = 'pass'") >= 1
    assert scalar(conn, "select count(*) from quality.validation_runs where period_month = %s", (latest,)) > before
    # The missing CDVC report is a business finding stored with the run, not a task failure.
    assert (
        scalar(
            conn,
            "select count(*) from quality.validation_results where period_month = %s and not success and 'CDVC' = any(offending_keys)",
            (latest,),
        )
        >= 1
    )


def test_alerts_dag_logs_alerts_for_the_day(pipeline):
    conn = pipeline["conn"]
    state, tasks, _ = run_dag(pipeline, "dlxh_alerts", {"as_of": TODAY.isoformat()})
    assert state == "success", tasks
    with conn.cursor() as cur:
        cur.execute(
            "select unit_code, rule, status from ops.alert_log where as_of = %s and period_month = %s",
            (TODAY, pipeline["latest"]),
        )
        rows = {(code, rule): status for code, rule, status in cur.fetchall()}
    assert rows.get(("CDVC", "late")) == "sent", rows
    assert rows.get(("LDLD-SH", "ack")) == "sent", rows
    # Re-running the day sends nothing twice.
    total = scalar(conn, "select count(*) from ops.alert_log")
    state, _, _ = run_dag(pipeline, "dlxh_alerts", {"as_of": TODAY.isoformat()})
    assert state == "success"
    assert scalar(conn, "select count(*) from ops.alert_log") == total


def test_backfill_dag_rebuilds_and_revalidates_a_range(pipeline):
    conn = pipeline["conn"]
    latest: date = pipeline["latest"]
    first = demo_first_month(latest)
    before = scalar(conn, "select count(*) from quality.validation_runs")
    state, tasks, _ = run_dag(
        pipeline, "dlxh_backfill", {"start_month": first.strftime("%Y-%m"), "end_month": latest.strftime("%Y-%m"), "full_refresh": True}
    )
    assert state == "success", tasks
    assert tasks == {"rebuild": "success", "revalidate": "success"}
    # One validation run per month of the range.
    assert scalar(conn, "select count(*) from quality.validation_runs") - before == 6
    assert scalar(conn, "select count(*) from marts.fct_report_submission where period_month = %s", (first,)) > 0


def demo_first_month(latest: date) -> date:
    from dlxh.core.calendar import add_months

    return add_months(latest, -5)


def test_build_dag_retries_a_model_that_failed_once(pipeline):
    """A model whose source column is missing fails in the project's `dbt build`; once the column
    is back, the model's task retry builds the model alone, and its downstream models follow.

    A raw column the model reads is renamed away before the run (the schema migrations, applied
    by every build, re-create missing tables but not a renamed column) and renamed back by a
    watcher thread as soon as the model's task is up for retry (an operator fixing the cause)."""
    import threading

    from airflow.models.taskinstance import TaskInstance
    from airflow.utils.session import create_session

    conn = pipeline["conn"]
    # the model's task: `dbt.<model>` (DLXH_BUILD_TASKS=dbt_build) or `dbt.<model>.run` (cosmos_watcher)
    dag = pipeline["bag"].get_dag("dlxh_build")
    model_task = next(t for t in ("dbt.stg_raw__scan_items", "dbt.stg_raw__scan_items.run") if t in dag.task_dict)
    fine_task = next(t for t in ("dbt.stg_config__topics", "dbt.stg_config__topics.run") if t in dag.task_dict)
    items = scalar(conn, "select count(*) from raw.scan_items")
    with conn.cursor() as cur:
        cur.execute("alter table raw.scan_items rename column canonical_url to canonical_url_away")
    restored = threading.Event()
    stop = threading.Event()

    def restore_when_retrying() -> None:
        while not stop.wait(0.5):
            with create_session() as session:
                retrying = (
                    session.query(TaskInstance)
                    .filter(
                        TaskInstance.dag_id == "dlxh_build",
                        TaskInstance.task_id == model_task,
                        TaskInstance.state == "up_for_retry",
                    )
                    .count()
                )
            if retrying:
                with conn.cursor() as cur:
                    cur.execute("alter table raw.scan_items rename column canonical_url_away to canonical_url")
                restored.set()
                return

    watcher = threading.Thread(target=restore_when_retrying, daemon=True)
    watcher.start()
    try:
        state, tasks, _ = run_dag(pipeline, "dlxh_build")
    finally:
        stop.set()
        watcher.join()
        if not restored.is_set():
            with conn.cursor() as cur:
                cur.execute("alter table raw.scan_items rename column canonical_url_away to canonical_url")
    assert restored.is_set(), f"{model_task} never went up for retry: {tasks}"
    assert state == "success", {t: s for t, s in tasks.items() if s != "success"}
    assert tasks[model_task] == "success" and tasks["publish_marts"] == "success"
    with create_session() as session:
        tries = dict(
            session.query(TaskInstance.task_id, TaskInstance.try_number)
            .filter(
                TaskInstance.dag_id == "dlxh_build",
                TaskInstance.task_id.in_([model_task, fine_task]),
            )
            .order_by(TaskInstance.start_date)
            .all()
        )
    assert tries[model_task] == 2, tries  # failed in the producer's build, succeeded on its retry
    assert tries[fine_task] == 1, tries  # models that built fine are not re-run
    # A model was rebuilt after the project build: the relationship tests ran again (a dbt build).
    assert (last_return_value("dlxh_build", "relationship_tests") or "").startswith("dbt build (as_of")
    # The model and what is built from it hold the data again.
    assert scalar(conn, "select count(*) from staging.stg_raw__scan_items") == items
    assert scalar(conn, "select count(*) from marts.fct_opinion_signal") > 0
