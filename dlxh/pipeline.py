"""`dlxh run`: the whole pipeline through the real Airflow DAGs on this instance, then a summary."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date

from dlxh.core.calendar import add_months, month_start
from dlxh.core.errors import DlxhError
from dlxh.core.settings import load_settings


def run_pipeline(as_of: date, demo: bool = True) -> str:
    """Every stage on one line with its time; Airflow's, cosmos' and dbt's logs go to a log file
    under $DLXH_HOME/logs (named on the console), per-stage times to run-timings.json beside it."""
    import time

    from dlxh.airflow_env import DAGS_FOLDER, airflow_environ, ensure_airflow_db
    from dlxh.build import compile_manifest
    from dlxh.core.db import ensure_up

    settings = load_settings()
    settings.logs_dir.mkdir(parents=True, exist_ok=True)
    log_path = settings.logs_dir / "dlxh-run.log"
    timings_path = settings.logs_dir / "run-timings.json"
    stages: dict[str, float] = {}

    def stage(name: str, action):
        print(f"• {name} …", end=" ", flush=True)
        t0 = time.perf_counter()
        result = action()
        stages[name] = round(time.perf_counter() - t0, 2)
        print(f"{stages[name]:.1f}s", flush=True)
        return result

    stage("PostgreSQL", lambda: ensure_up(settings))
    if demo:
        from dlxh.demo import write_demo

        written = stage("demo inputs", lambda: write_demo(settings.inbox, as_of=as_of))
        print(f"  {sum(len(v) for v in written.values())} files in {settings.inbox}", flush=True)
    stage("Airflow metadata database", lambda: ensure_airflow_db(settings))
    stage("dbt manifest", lambda: None if _manifest_is_current() else compile_manifest())
    months = [add_months(month_start(as_of), -1).strftime("%Y-%m"), month_start(as_of).strftime("%Y-%m")]
    dag_timings = settings.logs_dir / "run-dag-timings.json"
    # dag.test() waits out retry delays for real: fail fast in the one-shot demo run. Lowered on the
    # runner's DAG objects, not through DLXH_TASK_RETRIES: the DAGs it writes to the metadata
    # database must be the ones the dag-processor parses (no new DAG version on every run).
    options = {
        "dags_folder": str(DAGS_FOLDER),
        "months": months,
        "as_of": as_of.isoformat(),
        "timings": str(dag_timings),
        "retries": 1,
        "retry_delay_seconds": 5,
    }
    env = {**os.environ, **airflow_environ(settings)}
    print("• running DAGs: ingest units, reports, surveys, scans → build → validate → alerts", flush=True)
    print(f"  (Airflow, cosmos and dbt logs: {log_path})", flush=True)
    read_fd, write_fd = os.pipe()
    env["DLXH_PROGRESS_FD"] = str(write_fd)
    t0 = time.perf_counter()
    with log_path.open("w", encoding="utf-8") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "dlxh.orchestration.runner", json.dumps(options)],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            pass_fds=(write_fd,),
        )
        os.close(write_fd)
        with os.fdopen(read_fd, encoding="utf-8", errors="replace") as progress:
            for line in progress:
                sys.stdout.write(line)
                sys.stdout.flush()
        returncode = proc.wait()
    stages["DAGs"] = round(time.perf_counter() - t0, 2)
    timings = {"stages": stages, "dags": json.loads(dag_timings.read_text()) if dag_timings.is_file() else {}}
    timings_path.write_text(json.dumps(timings, indent=1), encoding="utf-8")
    if returncode != 0:
        raise DlxhError(f"the pipeline failed; the DAG and task logs are in {log_path}")
    return summary_text(as_of)


def _manifest_is_current() -> bool:
    """dbt_project/target/manifest.json is newer than every source file of the dbt project and was
    written by the installed dbt: `dbt parse` (~20 s here) would write the same graph."""
    from importlib.metadata import version

    from dlxh.build import MANIFEST
    from dlxh.dbt import DBT_PROJECT_DIR

    if not MANIFEST.is_file():
        return False
    try:
        written_by = json.loads(MANIFEST.read_text(encoding="utf-8"))["metadata"]["dbt_version"]
    except (ValueError, KeyError):
        return False
    if written_by != version("dbt-core"):
        return False
    built = MANIFEST.stat().st_mtime
    skip = {"target", "logs", "dbt_packages"}
    for path in DBT_PROJECT_DIR.rglob("*"):
        rel = path.relative_to(DBT_PROJECT_DIR)
        if rel.parts[0] in skip or not path.is_file():
            continue
        if path.stat().st_mtime > built:
            return False
    return True


def _exists(cur, relation: str) -> bool:
    cur.execute("select to_regclass(%s) is not null", (relation,))
    return bool(cur.fetchone()[0])


def summary_text(as_of: date) -> str:
    from dlxh.core.db import connect, warehouse_target

    conn = connect(warehouse_target())
    try:
        with conn.cursor() as cur:
            cur.execute(
                """select count(distinct unit_code) from marts.dim_unit
                   where unit_type in (select unit_type from config.unit_types where owes_reports)"""
            )
            units = cur.fetchone()[0]
            cur.execute(
                """select count(*), count(*) filter (where status in ('on_time', 'late')),
                          count(*) filter (where status = 'on_time'), count(*) filter (where status = 'late'),
                          count(*) filter (where status = 'missing'), count(*) filter (where status = 'pending'),
                          count(distinct period_month)
                   from marts.fct_report_submission"""
            )
            expected, received, on_time, late, missing, pending, months = cur.fetchone()
            cur.execute(
                "select count(*), count(*) filter (where status = 'sent'), count(*) filter (where status <> 'sent') from ops.alert_log"
            )
            alerts, sent, unsent = cur.fetchone()
            cur.execute("select count(*) filter (where resolved_at is null) from ops.quarantine")
            quarantined = cur.fetchone()[0]
            cur.execute("select count(*) from raw.survey_responses")
            responses = cur.fetchone()[0]
            cur.execute("select count(*) from raw.scan_items")
            scan_items = cur.fetchone()[0]
            hot_spots = 0
            if _exists(cur, "marts.mart_hot_spots"):
                cur.execute("select count(*) from marts.mart_hot_spots")
                hot_spots = cur.fetchone()[0]
            cases_open = cases_done = 0
            if _exists(cur, "ops.hot_spot_cases"):
                cur.execute(
                    """select count(*) filter (where status in ('new', 'in_progress')),
                              count(*) filter (where status in ('resolved', 'closed'))
                       from ops.hot_spot_cases"""
                )
                cases_open, cases_done = cur.fetchone()
            network = None
            if _exists(cur, "marts.mart_collaborator_network"):
                # the network in the latest month counted (collaborators, active, inactive, vacancies)
                cur.execute(
                    """select period_month, sum(appointed), sum(active), sum(inactive), sum(vacancies)
                       from marts.mart_collaborator_network
                       where period_month = (select max(period_month) from marts.mart_collaborator_network)
                       group by period_month"""
                )
                network = cur.fetchone()
            # the latest source freshness check (dlxh_validate): tables that need attention
            cur.execute(
                """select source_table from quality.source_freshness
                   where checked_at = (select max(checked_at) from quality.source_freshness) and status <> 'pass'
                   order by source_table"""
            )
            stale = [r[0] for r in cur.fetchall()]
    finally:
        conn.close()
    due = expected - pending
    rate = f"{100 * on_time / due:.1f}%" if due else "—"
    return "\n".join(
        [
            f"DLXH Warehouse — tóm tắt (tính đến ngày {as_of:%d/%m/%Y})",
            f"  Đơn vị phải báo cáo:   {units}",
            f"  Báo cáo phải nộp:      {expected} ({months} tháng{f', {pending} chưa đến hạn' if pending else ''})",
            f"  Đã nhận:               {received}",
            f"  Đúng hạn:              {on_time}  (tỷ lệ đúng hạn {rate})",
            f"  Trễ hạn:               {late}",
            f"  Chưa nộp:              {missing}",
            f"  Cảnh báo đã ghi nhận:  {alerts} (đã gửi {sent}, chờ/lỗi {unsent})",
            f"  Phiếu khảo sát:        {responses}",
            f"  Tin bài rà quét:       {scan_items} (sau khi loại trùng)",
            f"  Điểm nóng phát hiện:   {hot_spots}",
            f"  Vụ việc điểm nóng:     {cases_open} đang mở, {cases_done} đã xử lý",
            f"  Bản ghi bị cách ly:    {quarantined}",
            (
                f"  Mạng lưới CTV:         {network[1]} người, {network[2]} hoạt động, {network[3]} không hoạt động, "
                f"{network[4]} chỉ tiêu còn thiếu (tháng {network[0]:%m/%Y})"
            )
            if network
            else "  Mạng lưới CTV:         chưa có danh sách",
            f"  Nguồn cần chú ý:       {', '.join(stale) if stale else 'không'} (độ mới dữ liệu, xem `dlxh freshness`)",
        ]
    )
