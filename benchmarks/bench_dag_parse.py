"""Benchmark: how long the scheduler's DAG processor takes to parse each file in dags/.

    .venv/bin/python benchmarks/bench_dag_parse.py [--repeat 3] [--budget 1.0]

In a temporary DLXH_HOME with its own embedded PostgreSQL (removed afterwards) and the Airflow
metadata database migrated, runs `airflow dags report -o json` (the DagBag the DAG processor
uses) --repeat times with the instance's Airflow environment, and prints per DAG file the
best and median parse time against the per-file budget (default 1 s; ratio = time / budget)
with its DAG and task counts. The build DAG (dlxh_build.py: one `dbt build` producer and a
light task per dbt model, from the precompiled manifest; docs/orchestration.md) is the heaviest
file and is called out. Parse
speed is measured here, never asserted in a timed test.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

BUILD_DAG_FILE = "dlxh_build.py"


def _seconds(duration) -> float:
    """`duration` in the report is a timedelta rendered as text ("0:00:00.123456") or seconds."""
    if isinstance(duration, (int, float)):
        return float(duration)
    text = str(duration)
    if ":" in text:
        h, m, s = text.split(":")
        return int(h) * 3600 + int(m) * 60 + float(s)
    return float(text)


def dags_report(env: dict[str, str]) -> tuple[list[dict], float]:
    from dlxh.airflow_env import airflow_bin

    t0 = time.perf_counter()
    proc = subprocess.run([airflow_bin(), "dags", "report", "-o", "json"], env=env, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        raise SystemExit(f"`airflow dags report` failed (exit {proc.returncode}):\n{proc.stdout[-3000:]}{proc.stderr[-3000:]}")
    # Warnings are logged to stdout before the JSON list (a line starting with "[{").
    for line in proc.stdout.splitlines():
        if line.startswith("[{") or line.strip() == "[]":
            return json.loads(line), wall
    raise SystemExit(f"no JSON in `airflow dags report` output:\n{proc.stdout[-3000:]}")


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--budget", type=float, default=1.0, help="seconds allowed per DAG file")
    args = ap.parse_args()

    home = Path(tempfile.mkdtemp(prefix="dlxh-bench-dagparse-"))
    os.chmod(home, 0o755)
    os.environ["DLXH_HOME"] = str(home)
    for name in ("DLXH_DATABASE_URL", "DLXH_PG_PORT", "DLXH_AIRFLOW_DATABASE_URL"):
        os.environ.pop(name, None)
    from dlxh.airflow_env import airflow_environ, ensure_airflow_db
    from dlxh.core.db import ensure_up
    from dlxh.core.pg_embedded import EmbeddedPostgres
    from dlxh.core.settings import load_settings
    from dlxh.orchestration.manifest import manifest_path

    try:
        manifest_path()  # the build DAG needs the precompiled manifest; fail clearly if missing
        t0 = time.perf_counter()
        ensure_up()
        ensure_airflow_db()
        print(f"embedded PostgreSQL up, Airflow DB migrated ({time.perf_counter() - t0:.1f}s)", flush=True)
        env = {**os.environ, **airflow_environ()}
        runs: dict[str, list[float]] = {}
        shape: dict[str, tuple[int, int, str]] = {}
        walls = []
        for _ in range(args.repeat):
            rows, wall = dags_report(env)
            walls.append(wall)
            for row in rows:
                name = Path(row["file"]).name
                runs.setdefault(name, []).append(_seconds(row["duration"]))
                # Airflow lists a DAG twice when it is both a module global and auto-registered
                # by @dag (same object): count distinct DAG ids and divide the task count accordingly.
                ids = sorted(set(row.get("dags") or []))
                copies = max(1, len(row.get("dags") or []) // max(1, len(ids)))
                shape[name] = (len(ids), int(row.get("task_num", 0)) // copies, ", ".join(ids))
        print(f"\nDAG file parse times over {args.repeat} run(s) of `airflow dags report` (budget {args.budget:.2f}s per file)")
        print(f"{'file':<26} {'dags':>4} {'tasks':>5} {'best s':>8} {'median s':>9} {'ratio':>6}  verdict")
        over = []
        for name in sorted(runs):
            best, median = min(runs[name]), statistics.median(runs[name])
            ratio = median / args.budget
            verdict = "ok" if ratio <= 1 else "OVER BUDGET"
            if ratio > 1:
                over.append(name)
            dags, tasks, _ = shape[name]
            print(f"{name:<26} {dags:>4} {tasks:>5} {best:>8.3f} {median:>9.3f} {ratio:>6.2f}  {verdict}")
        total = sum(statistics.median(v) for v in runs.values())
        print(f"{'total (sum of medians)':<37} {total:>18.3f}")
        print(f"`airflow dags report` wall time per run (process start + imports + parse): median {statistics.median(walls):.2f}s")
        if BUILD_DAG_FILE in runs:
            dags, tasks, ids = shape[BUILD_DAG_FILE]
            m = statistics.median(runs[BUILD_DAG_FILE])
            print(f"cosmos build DAG ({ids}): {tasks} tasks from the dbt manifest, parsed in {m:.3f}s = {m / args.budget:.2f} x budget")
        else:
            print(f"cosmos build DAG: {BUILD_DAG_FILE} missing from the report (import error?)")
        if over:
            print(f"over budget: {', '.join(over)}")
        return 0
    finally:
        EmbeddedPostgres(load_settings()).stop()
        shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
