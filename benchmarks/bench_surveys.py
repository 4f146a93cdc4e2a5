"""Benchmark: survey ingestion end to end vs a raw COPY of the same normalised rows vs pandas to_sql.

    .venv/bin/python benchmarks/bench_surveys.py [--submissions 50000] [--to-sql-rows 200000]

Generates a realistic KoboToolbox export (semicolon CSV, group paths, select_multiple summary
plus 0/1 columns, metadata) of N submissions x ~21 answered questions (>= 1M answer rows at the
default), in a temporary DLXH_HOME with its own embedded PostgreSQL (removed afterwards), and
prints side by side:

* ours      — `dlxh ingest surveys` path: parse, normalise, validate, hash, upsert (one transaction);
* raw COPY  — COPY FROM of the very rows ours produced (responses + answers + free text), into the
              same tables with the same keys and indexes: the floor for loading these rows;
* to_sql    — pandas DataFrame.to_sql of the same answer rows (default insert, chunksize 10,000),
              on a sample of --to-sql-rows rows (it is slow), reported as rows/s.

Each phase runs in its own process so its peak memory (max RSS) is its own.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TABLES = ("raw.survey_responses", "raw.survey_answers", "restricted.survey_free_text")


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def phase_ingest(work: Path) -> dict:
    from dlxh.core.db import connect
    from ingestion.framework import run_ingest
    from ingestion.surveys.source import SurveysSource

    conn = connect()
    t0 = time.perf_counter()
    summary = run_ingest(SurveysSource(form=str(work / "form.xlsx")), [work / "kobo_export.csv"], conn, progress=None)
    seconds = time.perf_counter() - t0
    with conn.cursor() as cur:
        cur.execute("select count(*) from raw.survey_answers")
        answers = cur.fetchone()[0]
    conn.close()
    return {"seconds": seconds, "answers": answers, "totals": summary.totals(), "peak_mb": _peak_mb()}


def phase_copy(work: Path) -> dict:
    from dlxh.core.db import connect

    conn = connect()
    with conn, conn.cursor() as cur:
        cur.execute("truncate raw.survey_responses, raw.survey_answers, restricted.survey_free_text")
    t0 = time.perf_counter()
    with conn, conn.cursor() as cur:
        for table in TABLES:
            with (work / f"{table}.tsv").open() as fh:
                cur.copy_expert(f"copy {table} from stdin", fh)
    seconds = time.perf_counter() - t0
    conn.close()
    return {"seconds": seconds, "peak_mb": _peak_mb()}


def phase_to_sql(work: Path, rows: int) -> dict:
    import pandas as pd
    from sqlalchemy import create_engine

    from dlxh.core.db import warehouse_target

    cols = [
        "submission_uuid",
        "question_name",
        "topic_code",
        "choice_codes",
        "choice_labels",
        "numeric_score",
        "raw_value",
        "updated_at",
        "numeric_value",
    ]
    df = pd.read_csv(work / "raw.survey_answers.tsv", sep="\t", names=cols, nrows=rows, na_values=["\\N"], keep_default_na=False)
    engine = create_engine(warehouse_target().url("postgresql+psycopg2"))
    t0 = time.perf_counter()
    df.to_sql("bench_answers_to_sql", engine, schema="staging", if_exists="replace", index=False, chunksize=10_000)
    seconds = time.perf_counter() - t0
    with engine.begin() as c:
        c.exec_driver_sql("drop table staging.bench_answers_to_sql")
    engine.dispose()
    return {"seconds": seconds, "rows": len(df), "peak_mb": _peak_mb()}


def _child(phase: str, work: Path, extra: list[str]) -> dict:
    out = subprocess.run(
        [sys.executable, __file__, "--phase", phase, "--work", str(work), *extra],
        check=True,
        capture_output=True,
        text=True,
        env=os.environ.copy(),
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--submissions", type=int, default=50_000)
    ap.add_argument("--to-sql-rows", type=int, default=200_000)
    ap.add_argument("--phase", choices=["ingest", "copy", "to_sql"])
    ap.add_argument("--work")
    args = ap.parse_args()
    if args.phase:
        work = Path(args.work)
        result = {
            "ingest": lambda: phase_ingest(work),
            "copy": lambda: phase_copy(work),
            "to_sql": lambda: phase_to_sql(work, args.to_sql_rows),
        }[args.phase]()
        print(json.dumps(result, default=str))
        return 0

    home = Path(tempfile.mkdtemp(prefix="dlxh-bench-surveys-"))
    os.chmod(home, 0o755)
    os.environ["DLXH_HOME"] = str(home)
    os.environ.pop("DLXH_DATABASE_URL", None)
    os.environ.pop("DLXH_PG_PORT", None)
    os.environ.setdefault("DLXH_SURVEY_SALT", "benchmark-only-salt")
    from dlxh.core.db import connect, ensure_up
    from dlxh.core.pg_embedded import EmbeddedPostgres
    from dlxh.core.settings import load_settings
    from ingestion.framework import run_ingest
    from ingestion.surveys import sample
    from ingestion.units.source import UnitsSource

    try:
        work = home / "work"
        work.mkdir()
        shape = sample.FormShape(extra=11)
        t0 = time.perf_counter()
        sample.write_xlsform(work / "form.xlsx", shape)
        sample.write_units(work / "units.csv")
        header = sample.kobo_header(shape)
        rows = (sample.kobo_row(a, i, shape) for i, a in enumerate(sample.generate(args.submissions, (2025, 3), shape=shape), 1))
        sample.write_csv(work / "kobo_export.csv", header, rows)
        size_mb = (work / "kobo_export.csv").stat().st_size / 1e6
        print(f"generated Kobo export: {args.submissions:,} submissions, {size_mb:.1f} MB ({time.perf_counter() - t0:.1f}s)", flush=True)
        ensure_up()
        conn = connect()
        run_ingest(UnitsSource(), [work / "units.csv"], conn, progress=None)

        ours = _child("ingest", work, [])
        # dump exactly what ours produced, for the raw COPY baseline and to_sql
        with conn, conn.cursor() as cur:
            for table in TABLES:
                with (work / f"{table}.tsv").open("w") as fh:
                    cur.copy_expert(f"copy {table} to stdout", fh)
        conn.close()
        copy = _child("copy", work, [])
        to_sql = _child("to_sql", work, ["--to-sql-rows", str(args.to_sql_rows)])

        n = ours["answers"]
        t = ours["totals"]
        print(
            f"answer rows: {n:,} (submissions read {t['rows_read']:,}, loaded {t['rows_loaded']:,}, quarantined {t['rows_quarantined']:,})"
        )
        print(f"{'path':<44}{'seconds':>9}{'answer rows/s':>16}{'peak MB':>10}")
        print(f"{'ours: parse+normalise+validate+upsert':<44}{ours['seconds']:>9.2f}{n / ours['seconds']:>16,.0f}{ours['peak_mb']:>10.0f}")
        print(f"{'raw COPY of the same normalised rows':<44}{copy['seconds']:>9.2f}{n / copy['seconds']:>16,.0f}{copy['peak_mb']:>10.0f}")
        print(
            f"{'pandas to_sql (' + format(to_sql['rows'], ',') + '-row sample)':<44}{to_sql['seconds']:>9.2f}"
            f"{to_sql['rows'] / to_sql['seconds']:>16,.0f}{to_sql['peak_mb']:>10.0f}"
        )
        ratio = copy["seconds"] / ours["seconds"]
        print(
            f"ours / raw COPY throughput: {ratio:.2f} (target >= 0.5)  ·  ours / to_sql: "
            f"{(n / ours['seconds']) / (to_sql['rows'] / to_sql['seconds']):.1f}x"
        )
        return 0
    finally:
        EmbeddedPostgres(load_settings()).stop()
        shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
