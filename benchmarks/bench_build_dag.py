"""Benchmark: the build DAG against a bare `dbt build` of the same project on the same data, and
`dlxh run` (what `make run` runs) against the sum of its stages.

    .venv/bin/python benchmarks/bench_build_dag.py [--repeat 2] [--keep]

In a temporary DLXH_HOME with its own embedded PostgreSQL (removed afterwards unless --keep):

1. `dlxh run` once (demo data, every DAG through dag.test()): its wall time, against the stage
   times it records in $DLXH_HOME/logs/run-timings.json (PostgreSQL, demo inputs, Airflow DB,
   dbt manifest, each DAG). The gap is process start, imports and the summary query.
2. Then, on the data that run left, --repeat rounds of, side by side:
   * `dlxh build`: one `dbt build` of the whole project (seeds, models, unit and data tests),
     the floor any orchestration of it can reach;
   * the `dlxh_build` DAG through the same runner `dlxh run` uses: its dag.test() time, after
     a warm-up DAG took the runner process's one-off start-up (as in `dlxh run`).
   It prints each pair and the ratio DAG / bare (target: at most 1.5). Timings on a shared
   machine are noisy: read the ratio of a round, never an absolute figure alone.
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
DLXH = Path(sys.executable).with_name("dlxh")


def timed(cmd: list[str], env: dict[str, str], log: Path, show: bool = False) -> float:
    """Wall seconds of a command; its output goes to the log (and, with show, indented here too)."""
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    seconds = time.perf_counter() - t0
    with log.open("a", encoding="utf-8") as fh:
        fh.write(proc.stdout)
    if show:
        print("\n".join("    | " + line for line in proc.stdout.splitlines()))
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed (exit {proc.returncode}); see {log}")
    return seconds


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--keep", action="store_true", help="keep the temporary DLXH_HOME")
    args = ap.parse_args()

    home = Path(tempfile.mkdtemp(prefix="dlxh-bench-build-"))
    os.chmod(home, 0o755)
    env = {**os.environ, "DLXH_HOME": str(home)}
    for name in ("DLXH_DATABASE_URL", "DLXH_PG_PORT", "DLXH_AIRFLOW_DATABASE_URL"):
        env.pop(name, None)
    log = home / "bench.log"
    try:
        print("`dlxh run` console:")
        total = timed([str(DLXH), "run"], env, log, show=True)
        timings = json.loads((home / "logs" / "run-timings.json").read_text())
        stages = timings["stages"]
        print(f"`dlxh run` (make run without the venv sync): {total:.1f}s wall")
        for name, seconds in stages.items():
            print(f"  {name:<28} {seconds:7.1f}s")
            if name == "DAGs":
                for dag_id, s in timings["dags"].items():
                    print(f"    {dag_id:<26} {s:7.1f}s")
        staged = sum(stages.values())
        print(f"  {'sum of stages':<28} {staged:7.1f}s  (wall - stages = {total - staged:.1f}s: process start, imports, summary)")

        os.environ["DLXH_HOME"] = str(home)
        from dlxh.airflow_env import DAGS_FOLDER, airflow_environ

        af_env = {**env, **airflow_environ()}  # retries lowered by the runner, as in `dlxh run`
        # dlxh_ingest_units first (nothing new in its inbox: it short-circuits) takes the process's
        # one-off start-up of the in-process execution API, as in `dlxh run`; only dlxh_build's
        # dag.test() time is compared.
        options = json.dumps(
            {
                "dags_folder": str(DAGS_FOLDER),
                "only": ["dlxh_ingest_units", "dlxh_build"],
                "timings": str(home / "logs" / "bench-dag.json"),
                "retries": 1,
                "retry_delay_seconds": 5,
            }
        )
        rounds = []
        for i in range(args.repeat):
            bare = timed([str(DLXH), "build"], env, log)
            process = timed([sys.executable, "-m", "dlxh.orchestration.runner", options], af_env, log)
            dag = json.loads((home / "logs" / "bench-dag.json").read_text())["dlxh_build"]
            rounds.append((bare, dag))
            print(
                f"round {i + 1}: bare `dlxh build` {bare:6.1f}s | dlxh_build DAG (dag.test()) {dag:6.1f}s "
                f"| ratio {dag / bare:.2f}   (runner process {process:.1f}s)"
            )
        ratio = statistics.median(d / b for b, d in rounds)
        verdict = "ok" if ratio <= 1.5 else "OVER the 1.5 target"
        print(f"median ratio build DAG / bare dbt build: {ratio:.2f} ({verdict})")
    finally:
        if args.keep:
            print(f"kept {home}")
        else:
            subprocess.run([str(DLXH), "db", "down"], env=env, capture_output=True)
            shutil.rmtree(home, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
