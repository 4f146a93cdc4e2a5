"""Benchmark: a national month through the real DAGs, on an empty warehouse and on 36 months of history.

    .venv/bin/python benchmarks/bench_national.py [--scale 0.02] [--history 36] [--month 2026-11] [--keep]

Each case runs in a fresh DLXH_HOME with its own embedded PostgreSQL (removed afterwards unless
--keep). The month's files come from benchmarks/national_month.py (34 provinces x 40 units
registry; reports as CSV/XLSX forms, DOCX, PDF and scans that need OCR; a KoboToolbox survey
export; two monitoring tools' exports; sized by --scale) and go through `dlxh run`'s runner
(dlxh.orchestration.runner: every DAG with dag.test(), in pipeline order: ingest units, reports,
surveys, scans, build, validate the month, alerts).

1. empty: registry and month on an empty warehouse;
2. history: first --history months are ingested and built through the same DAGs (ingest units,
   reports, surveys, scans, build, validate, alerts; not timed in the ratio): per month one consolidated
   structured form of every unit, the survey's export and the two tools' exports at --scale
   (scale 1: ~5 M survey answers and ~5 M scanned items over 36 months); then the same month's
   files arrive and the pipeline runs again.

Prints, per case, the time of every stage (set-up, writing the files, each DAG) and the total,
then the ratio history / empty of the month's pipeline (target: at most 1.5). Timings on a
shared machine are noisy: read the ratio of one run.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import date, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DLXH = Path(sys.executable).with_name("dlxh")
PY = sys.executable


def run(cmd: list[str], env: dict[str, str], log: Path) -> float:
    t0 = time.perf_counter()
    with log.open("a", encoding="utf-8") as fh:
        fh.write(f"\n$ {' '.join(cmd)[:300]}\n")
        fh.flush()
        proc = subprocess.run(cmd, env=env, stdout=fh, stderr=subprocess.STDOUT)
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)[:200]} failed (exit {proc.returncode}); see {log}")
    return time.perf_counter() - t0


class Case:
    """One fresh DLXH_HOME: PostgreSQL, Airflow's metadata database, the runner."""

    def __init__(self, name: str, keep: bool) -> None:
        self.name, self.keep = name, keep
        self.home = Path(tempfile.mkdtemp(prefix=f"dlxh-bench-national-{name}-"))
        os.chmod(self.home, 0o755)
        env = {k: v for k, v in os.environ.items() if k not in ("DLXH_DATABASE_URL", "DLXH_PG_PORT", "DLXH_AIRFLOW_DATABASE_URL")}
        self.env = {
            **env,
            "DLXH_HOME": str(self.home),
            "DLXH_ALERT_CHANNELS": "log",
            "DLXH_TASK_RETRIES": "1",
            "DLXH_RETRY_DELAY_SECONDS": "5",
        }
        self.log = self.home / "bench.log"
        self.stages: dict[str, float] = {}

    def setup(self) -> None:
        self.stages["PostgreSQL"] = run([str(DLXH), "db", "up"], self.env, self.log)
        code = "from dlxh.airflow_env import ensure_airflow_db; ensure_airflow_db()"
        self.stages["Airflow metadata database"] = run([PY, "-c", code], self.env, self.log)
        af = subprocess.run(
            [PY, "-c", "import json; from dlxh.airflow_env import airflow_environ; print(json.dumps(airflow_environ()))"],
            env=self.env,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        self.af_env = {**self.env, **json.loads(af.strip().splitlines()[-1])}

    def write(self, label: str, args: list[str]) -> dict:
        t0 = time.perf_counter()
        out = subprocess.run(
            [PY, str(ROOT / "benchmarks" / "national_month.py"), str(self.home / "inbox"), *args],
            env=self.env,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        self.stages[label] = time.perf_counter() - t0
        return json.loads(out.strip().splitlines()[-1])

    def pipeline(self, label: str, month: date, only: list[str] | None = None) -> dict[str, float]:
        from dlxh.airflow_env import DAGS_FOLDER

        timings = self.home / f"timings-{label}.json"
        options = {
            "dags_folder": str(DAGS_FOLDER),
            "months": [f"{month:%Y-%m}"],
            "as_of": datetime.now().date().isoformat(),
            "timings": str(timings),
        }
        if only:
            options["only"] = only
        wall = run([PY, "-m", "dlxh.orchestration.runner", json.dumps(options)], self.af_env, self.log)
        dags = json.loads(timings.read_text())
        self.stages[f"{label}: runner process"] = wall
        return {**dags, "runner wall": wall}

    def counts(self) -> dict[str, int]:
        code = (
            "import json\nfrom dlxh.core.db import connect\nc = connect()\ncur = c.cursor()\nout = {}\n"
            "for t in ('raw.units', 'raw.reports', 'raw.survey_answers', 'raw.scan_items', 'ops.quarantine'):\n"
            "    cur.execute(f'select count(*) from {t}'); out[t] = cur.fetchone()[0]\n"
            "cur.execute(\"select status, count(*) from ops.files group by 1\"); out['files'] = dict(cur.fetchall())\n"
            "print(json.dumps(out))"
        )
        out = subprocess.run([PY, "-c", code], env=self.env, capture_output=True, text=True, check=True).stdout
        return json.loads(out.strip().splitlines()[-1])

    def close(self) -> None:
        if self.keep:
            print(f"  kept {self.home}")
            return
        subprocess.run([str(DLXH), "db", "down"], env=self.env, capture_output=True)
        shutil.rmtree(self.home, ignore_errors=True)


def show(title: str, dags: dict[str, float], stages: dict[str, float]) -> float:
    print(f"\n{title}")
    for name, seconds in stages.items():
        print(f"  {name:<40} {seconds:8.1f}s")
    total = 0.0
    for dag_id, seconds in dags.items():
        if dag_id == "runner wall":
            continue
        total += seconds
        print(f"    {dag_id:<38} {seconds:8.1f}s")
    print(f"    {'sum of DAGs':<38} {total:8.1f}s   (runner process {dags['runner wall']:.1f}s: + its start-up, DagBag)")
    return dags["runner wall"]


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--scale", type=float, default=0.02)
    ap.add_argument("--history", type=int, default=36)
    ap.add_argument("--month", default=None, help="YYYY-MM (default: the last month whose report deadline has passed)")
    ap.add_argument("--keep", action="store_true")
    ap.add_argument("--cases", default="empty,history", help="which cases to run (comma-separated; the ratio needs both)")
    args = ap.parse_args()
    cases = set(args.cases.split(","))
    sys.path.insert(0, str(ROOT / "benchmarks"))
    import national_month

    month = date.fromisoformat(args.month + "-01") if args.month else national_month.default_month()
    month_args = ["--month", f"{month:%Y-%m}", "--scale", str(args.scale)]
    t_all = time.perf_counter()

    empty_total = hist_total = 0.0
    if "empty" in cases:
        empty_total = _run_empty(args, month, month_args)
    if "history" in cases:
        hist_total = _run_history(args, month, month_args)
    if not (empty_total and hist_total):
        print(f"benchmark wall: {time.perf_counter() - t_all:.0f}s (one case: no ratio)")
        return 0
    ratio = hist_total / empty_total
    verdict = "ok" if ratio <= 1.5 else "OVER the 1.5 target"
    print(
        f"\nratio month on {args.history} months of history / month on an empty warehouse: "
        f"{hist_total:.1f}s / {empty_total:.1f}s = {ratio:.2f} ({verdict})"
    )
    print(f"benchmark wall: {time.perf_counter() - t_all:.0f}s")
    return 0


def _run_empty(args: argparse.Namespace, month: date, month_args: list[str]) -> float:
    empty = Case("empty", args.keep)
    try:
        empty.setup()
        written = empty.write("write the month's files", month_args)
        print(f"national month {month:%Y-%m} at scale {args.scale}: {json.dumps(written, ensure_ascii=False)}")
        dags = empty.pipeline("month", month)
        empty_total = show("1. the month on an empty warehouse", dags, empty.stages)
        print(f"  loaded: {empty.counts()}")
    finally:
        empty.close()
    return empty_total


def _run_history(args: argparse.Namespace, month: date, month_args: list[str]) -> float:
    import national_month

    from dlxh.core.calendar import add_months

    hist = Case("history", args.keep)
    try:
        hist.setup()
        h = hist.write(
            f"write {args.history} months of history",
            ["--month", f"{month:%Y-%m}", "--history", str(args.history), "--scale", str(args.scale)],
        )
        # The registry (the same file the month brings) is loaded with the history.
        national_month.write_registry(hist.home / "inbox" / "units" / "danh_muc_don_vi_toan_quoc.csv", add_months(month, -48))
        hdags = hist.pipeline(
            "history",
            month,
            # validate and alerts too: a warehouse with 36 months of history has validated them and
            # opened their hot-spot cases, so the month measures a month of operation, not a backlog
            only=[
                "dlxh_ingest_units",
                "dlxh_ingest_reports",
                "dlxh_ingest_surveys",
                "dlxh_ingest_scans",
                "dlxh_build",
                "dlxh_validate",
                "dlxh_alerts",
            ],
        )
        print(
            f"\nhistory: {h['history_months']} months of structured forms ({h['units']} units), "
            f"{h['survey_submissions']} survey submissions, {h['scan_items']} scanned items; "
            f"ingest + build through the DAGs {hdags['runner wall']:.1f}s ({ {k: round(v, 1) for k, v in hdags.items()} })"
        )
        print(f"  loaded: {hist.counts()}")
        hist.write("write the month's files", month_args)
        dags = hist.pipeline("month", month)
        hist_total = show(f"2. the same month on {args.history} months of history", dags, hist.stages)
        print(f"  loaded: {hist.counts()}")
    finally:
        hist.close()
    return hist_total


if __name__ == "__main__":
    sys.exit(main())
