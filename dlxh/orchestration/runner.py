"""Run the real DAGs in order with `dag.test()` (no scheduler needed): `python -m dlxh.orchestration.runner`.

Used by `dlxh run`; each DAG run is recorded in the Airflow metadata database like any other.

Options (one JSON argument): `dags_folder`, `months`, `as_of`, optionally `only` (DAG ids to run,
in pipeline order) and `timings` (a file the per-DAG wall times are written to, JSON).

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


def run_with_progress(dag, conf, console) -> tuple[object, float]:
    """dag.test() one DAG while a bar per DAG (and per task group) shows finished/total tasks."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    logical_date = datetime.now(LOCAL)
    task_ids = sorted(dag.task_dict)
    groups = {g: ids for g, ids in _groups(task_ids).items() if g}
    label = f"{dag.dag_id} {json.dumps(conf, ensure_ascii=False) if conf else ''}".strip()
    progress = Progress(
        TextColumn("{task.description:<48}"), BarColumn(bar_width=24), MofNCompleteColumn(), TextColumn("{task.fields[state]:<8}"),
        TimeElapsedColumn(), console=console, transient=False, auto_refresh=True, refresh_per_second=4,
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
            progress.update(bars[group], completed=len(done & set(ids)),
                            state="failed" if failed else "retry" if retrying else ("ok" if final else ""))

    def poll() -> None:
        while not stop.wait(0.5):
            update()

    t0 = time.perf_counter()
    with progress:
        thread = threading.Thread(target=poll, daemon=True)
        thread.start()
        try:
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
    for dag_id, param in pipeline():
        if only and dag_id not in only:
            continue
        dag = bag.get_dag(dag_id)
        conf = {param: options[param]} if param and options.get(param) is not None else None
        print(f"▶ {dag_id} {json.dumps(conf, ensure_ascii=False) if conf else ''}", flush=True)
        dr, seconds = run_with_progress(dag, conf, console)
        timings[dag_id] = round(seconds, 2)
        state = getattr(dr, "state", None)
        print(f"  {dag_id}: {state} in {seconds:.1f}s", flush=True)
        if state != DagRunState.SUCCESS:
            failed.append(dag_id)
            break
    if options.get("timings"):
        with open(options["timings"], "w", encoding="utf-8") as fh:
            json.dump(timings, fh, indent=1)
    if failed:
        message = f"pipeline stopped: {failed[0]} did not succeed"
        print(f"{message} (see its task logs above)", file=sys.stderr)
        if out is not sys.stdout:
            console.print(message)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
