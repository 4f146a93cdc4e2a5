"""Run the real DAGs in order with `dag.test()` (no scheduler needed): `python -m dlxh.orchestration.runner`.

Used by `dlxh run`; each DAG run is recorded in the Airflow metadata database like any other.

Options (one JSON argument): `dags_folder`, `months`, `as_of`, optionally `only` (DAG ids to run,
in pipeline order), `timings` (a file the per-DAG wall times are written to, JSON) and
`retries` / `retry_delay_seconds` (at most that many retries, that delay, for the runs it makes
with `dag.test()`).

Retries are lowered on the runner's own DAG objects only, never through the environment the DAG
files are parsed in: `dag.test()` writes the DAGs to the metadata database from a fresh parse of
the DAG folder (Airflow 3.3, `sync_bag_to_db`), and that parse must give what the dag-processor
gives, or every `dlxh run` writes a new version of every DAG (and the scheduler's runs use the
runner's retries). The run itself is made from the DAG object `dag.test()` was called on.

With a scheduler running on the same metadata database (`dlxh airflow standalone`), the runner
does not run the DAGs itself: it triggers each one (run id `dlxh_run__…`) and waits for the
scheduler to finish it. Running them in-process with `dag.test()` beside a scheduler would run
each task twice: the scheduler queues the tasks of any running DAG run, `dag.test()`'s included.

Either way, each run's conf names the DAGs the runner starts after it (`dlxh_run_then`), so
their asset events queue no second run of those (dlxh/orchestration/asset_manager.py).

Console: when `DLXH_PROGRESS_FD` names an open file descriptor, the runner writes its progress
there (one line per DAG and per task group, with a bar, task counts and the time taken) while
stdout/stderr (Airflow's, cosmos' and dbt's logs) go wherever the caller sent them: `dlxh run`
sends them to a log file it names. Without it, the progress lines go to stdout among the logs.
"""

from __future__ import annotations

import json
import os
import sys
import threading
import time
from datetime import datetime

from dlxh.core.calendar import LOCAL


def pipeline() -> tuple[tuple[str, str | None], ...]:
    """(DAG id, the option passed as its param): every source's ingest DAG in its spec's order,
    then build, validate and alerts."""
    from ingestion.sources import specs

    return (
        *((spec.dag_id, None) for spec in specs()),
        ("dlxh_build", None),
        ("dlxh_validate", "months"),
        ("dlxh_alerts", "as_of"),
    )


FINISHED = {"success", "failed", "skipped", "upstream_failed", "removed"}
# conf key of the runs this runner starts: the DAG ids it runs after that one (see asset_manager.py)
RUNNER_CONF_KEY = "dlxh_run_then"
DAG_PARSE_WAIT_SECONDS = 120


def _progress_stream():
    fd = os.environ.get("DLXH_PROGRESS_FD")
    if fd and fd.isdigit():
        try:
            return os.fdopen(int(fd), "w", buffering=1, encoding="utf-8", closefd=False)
        except OSError:
            pass
    return sys.stdout


class TaskStates:
    """Polls the metadata database for the task states of one DAG run (by DAG id and logical date)."""

    def __init__(self, dag_id: str, logical_date: datetime) -> None:
        from airflow.settings import Session

        self.dag_id, self.logical_date = dag_id, logical_date
        self.session_factory = Session

    def read(self) -> dict[str, str]:
        from airflow.models.dagrun import DagRun
        from airflow.models.taskinstance import TaskInstance

        session = self.session_factory()
        try:
            rows = (
                session.query(TaskInstance.task_id, TaskInstance.state)
                .join(DagRun, (DagRun.dag_id == TaskInstance.dag_id) & (DagRun.run_id == TaskInstance.run_id))
                .filter(DagRun.dag_id == self.dag_id, DagRun.logical_date == self.logical_date)
                .all()
            )
            return {task_id: str(getattr(state, "value", state)) if state is not None else "none" for task_id, state in rows}
        finally:
            session.close()


def _groups(task_ids: list[str]) -> dict[str, list[str]]:
    """Task ids by top-level task group (`dbt.stg_x.run` -> `dbt`); ungrouped tasks under ''."""
    groups: dict[str, list[str]] = {}
    for task_id in task_ids:
        groups.setdefault(task_id.split(".", 1)[0] if "." in task_id else "", []).append(task_id)
    return groups


def scheduler_alive() -> bool:
    """A scheduler heartbeats on this instance's metadata database (Airflow's own liveness rule)."""
    from airflow.jobs.job import most_recent_job
    from airflow.utils.session import create_session

    with create_session() as session:
        job = most_recent_job("SchedulerJob", session=session)
        return bool(job is not None and job.is_alive())


def trigger_and_wait(dag, conf, logical_date: datetime):
    """Trigger one run of `dag` for the running scheduler and wait until it has finished."""
    from airflow.api.common.trigger_dag import trigger_dag
    from airflow.exceptions import DagNotFound
    from airflow.models.dagrun import DagRun
    from airflow.utils.session import create_session
    from airflow.utils.state import DagRunState
    from airflow.utils.types import DagRunTriggeredByType

    run_id = f"dlxh_run__{logical_date.isoformat()}"
    deadline = time.monotonic() + DAG_PARSE_WAIT_SECONDS
    while True:  # a DAG the dag-processor has not written to the database yet cannot be triggered
        try:
            with create_session() as session:
                trigger_dag(
                    dag.dag_id,
                    triggered_by=DagRunTriggeredByType.CLI,
                    triggering_user_name="dlxh run",
                    run_id=run_id,
                    conf=conf or {},
                    logical_date=logical_date,
                    replace_microseconds=False,
                    session=session,
                )
            break
        except DagNotFound:
            if time.monotonic() > deadline:
                raise
            time.sleep(2)
    while True:
        with create_session() as session:
            dr = session.query(DagRun).filter(DagRun.dag_id == dag.dag_id, DagRun.run_id == run_id).one()
            if dr.state in (DagRunState.SUCCESS, DagRunState.FAILED):
                session.expunge(dr)
                return dr
        time.sleep(1)


def run_with_progress(dag, conf, console, via_scheduler: bool = False) -> tuple[object, float]:
    """Run one DAG (dag.test(), or triggered for the running scheduler) while a bar per DAG (and
    per task group) shows finished/total tasks."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    logical_date = datetime.now(LOCAL)
    task_ids = sorted(dag.task_dict)
    groups = {g: ids for g, ids in _groups(task_ids).items() if g}
    shown = {k: v for k, v in (conf or {}).items() if k != RUNNER_CONF_KEY}
    label = " ".join([dag.dag_id, *([json.dumps(shown, ensure_ascii=False)] if shown else []), *(["(scheduler)"] if via_scheduler else [])])
    progress = Progress(
        TextColumn("{task.description:<48}"),
        BarColumn(bar_width=24),
        MofNCompleteColumn(),
        TextColumn("{task.fields[state]:<8}"),
        TimeElapsedColumn(),
        console=console,
        transient=False,
        auto_refresh=True,
        refresh_per_second=4,
    )
    bars = {"": progress.add_task(f"▶ {label}", total=len(task_ids), state="")}
    for group, ids in groups.items():
        bars[group] = progress.add_task(f"    └ {group} ({len(ids)} tasks)", total=len(ids), state="")
    states = TaskStates(dag.dag_id, logical_date)
    stop = threading.Event()

    def update(final: bool = False) -> None:
        try:
            current = states.read()
        except Exception:  # the poller must never break the run it watches
            return
        done = {t for t, s in current.items() if s in FINISHED}
        progress.update(bars[""], completed=len(done))
        for group, ids in groups.items():
            failed = any(current.get(t) in ("failed", "upstream_failed") for t in ids)
            retrying = any(current.get(t) == "up_for_retry" for t in ids)
            progress.update(
                bars[group], completed=len(done & set(ids)), state="failed" if failed else "retry" if retrying else ("ok" if final else "")
            )

    def poll() -> None:
        while not stop.wait(0.5):
            update()

    t0 = time.perf_counter()
    with progress:
        thread = threading.Thread(target=poll, daemon=True)
        thread.start()
        try:
            if via_scheduler:
                dr = trigger_and_wait(dag, conf, logical_date)
            else:
                dr = dag.test(logical_date=logical_date, run_conf=conf)
        finally:
            stop.set()
            thread.join()
        seconds = time.perf_counter() - t0
        update(final=True)
        state = str(getattr(getattr(dr, "state", None), "value", getattr(dr, "state", None)))
        progress.update(bars[""], state="ok" if state == "success" else state)
        for task in progress.tasks:  # freeze the elapsed column at the run's end
            task.finished_time = seconds
            task.stop_time = (task.start_time or 0) + seconds
    return dr, seconds


def lower_retries(dag, retries: int | None, delay_seconds: int | None) -> None:
    """At most `retries` retries, `delay_seconds` apart, for every task of this in-memory DAG."""
    from datetime import timedelta

    for task in dag.tasks:
        if retries is not None and (task.retries or 0) > retries:
            task.retries = retries
        if delay_seconds is not None:
            task.retry_delay = timedelta(seconds=delay_seconds)


def main(argv: list[str]) -> int:
    from airflow.dag_processing.dagbag import DagBag
    from airflow.utils.state import DagRunState
    from rich.console import Console

    options = json.loads(argv[0]) if argv else {}
    out = _progress_stream()
    console = Console(file=out, highlight=False, force_terminal=out.isatty() or None)
    bag = DagBag(dag_folder=options["dags_folder"])
    if bag.import_errors:
        for path, err in bag.import_errors.items():
            print(f"DAG import error in {path}:\n{err}", file=sys.stderr)
            console.print(f"DAG import error in {path} (details in the log)")
        return 1
    only = options.get("only")
    timings: dict[str, float] = {}
    failed = []
    steps = pipeline()
    params = dict(steps)
    dag_ids = [dag_id for dag_id, _ in steps if not only or dag_id in only]
    for i, dag_id in enumerate(dag_ids):
        dag = bag.get_dag(dag_id)
        param = params[dag_id]
        conf = {param: options[param]} if param and options.get(param) is not None else {}
        if dag_ids[i + 1 :]:
            conf[RUNNER_CONF_KEY] = dag_ids[i + 1 :]
        via_scheduler = scheduler_alive()
        if not via_scheduler:  # the scheduler runs the DAG as the dag-processor serialised it
            lower_retries(dag, options.get("retries"), options.get("retry_delay_seconds"))
        print(
            f"▶ {dag_id} {json.dumps(conf, ensure_ascii=False)}{' (triggered for the running scheduler)' if via_scheduler else ''}",
            flush=True,
        )
        dr, seconds = run_with_progress(dag, conf or None, console, via_scheduler=via_scheduler)
        timings[dag_id] = round(seconds, 2)
        state = getattr(dr, "state", None)
        print(f"  {dag_id}: {state} in {seconds:.1f}s", flush=True)
        if state != DagRunState.SUCCESS:
            failed.append(dag_id)
            where = (
                f"run {dr.run_id}: its task logs are in the Airflow UI and under "
                f"{os.environ.get('AIRFLOW__LOGGING__BASE_LOG_FOLDER', 'the Airflow log folder')}/dag_id={dag_id}"
                if via_scheduler
                else "see its task logs above"
            )
            break
    if options.get("timings"):
        with open(options["timings"], "w", encoding="utf-8") as fh:
            json.dump(timings, fh, indent=1)
    if failed:
        message = f"pipeline stopped: {failed[0]} did not succeed"
        print(f"{message} ({where})", file=sys.stderr)
        if out is not sys.stdout:
            console.print(f"{message} ({where})" if "Airflow UI" in where else message)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
