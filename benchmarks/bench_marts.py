"""Benchmark the dbt marts: full build, cost of one new month on 36 vs 1 month of history, BI queries.

Runs in its own DLXH_HOME (a fresh embedded PostgreSQL) unless --home is given:

    .venv/bin/python benchmarks/bench_marts.py --scale 0.05

Prints: raw COPY time of the new month (baseline), full build time on the history, the
incremental build time after adding one month to 36 months vs to 1 month (target ratio <= 1.5),
and the time of typical BI queries run as bi_reader.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from datetime import date, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

BI_QUERIES = {
    "compliance by month": """select period_start, on_time_rate, missing from marts.mart_report_compliance
                              where grain = 'province_month' and report_type = 'monthly' order by period_start""",
    "late units, latest month": """select unit_code, unit_name, status, days_late from marts.fct_report_submission
                                   where period_month = %(month)s and status in ('late', 'missing') order by days_late desc""",
    "topics, latest month": """select topic_code, sum(signals), avg(mean_sentiment), sum(negative_signals)
                               from marts.mart_unit_topic_month where period_month = %(month)s group by 1 order by 1""",
    "one unit, 12 months": """select period_month, topic_code, mean_sentiment, mean_sentiment_change from marts.mart_unit_topic_month
                              where unit_code = 'P01-U01' and period_month > %(month)s::date - interval '12 months' order by 1, 2""",
    "hot spots, latest month": """select unit_code, topic_code, rules, evidence_count from marts.mart_hot_spots
                                  where period_month = %(month)s order by negative_signals desc limit 50""",
}


def _timed(fn, *args, **kwargs) -> tuple[float, object]:
    started = time.perf_counter()
    result = fn(*args, **kwargs)
    return time.perf_counter() - started, result


def _reset_raw(conn) -> None:
    with conn, conn.cursor() as cur:
        cur.execute("""select format('%I.%I', schemaname, tablename) from pg_tables
                       where schemaname in ('raw', 'restricted', 'ops', 'marts', 'intermediate')""")
        tables = [r[0] for r in cur.fetchall()]
        cur.execute(f"truncate {', '.join(tables)} cascade")


def scenario(conn, shape, first: date, history: int, seed: int) -> dict[str, float]:
    from benchmarks.generate_national import generate, load_month
    from dlxh.build import build
    from dlxh.core.calendar import add_months

    _reset_raw(conn)
    generate(conn, shape, first, history, seed)
    last = add_months(first, history - 1)
    full, _ = _timed(build, as_of=_month_end(last), full_refresh=True)
    new_month = add_months(first, history)
    with conn, conn.cursor() as cur:
        copy_s, _ = _timed(load_month, cur, shape, new_month, seed, True)
    incremental, summary = _timed(build, as_of=_month_end(new_month))
    print("  slowest nodes of the incremental build: " + ", ".join(f"{n} {t:.1f}s" for n, t in slowest_nodes()), flush=True)
    return {
        "full_build_s": full,
        "new_month_copy_s": copy_s,
        "incremental_build_s": incremental,
        "incremental_dbt_s": summary.elapsed_s,
        "month": new_month,
    }


def slowest_nodes(count: int = 6) -> list[tuple[str, float]]:
    import json

    from dlxh.build import target_path
    from dlxh.core.settings import load_settings

    results = json.loads((target_path(load_settings()) / "run_results.json").read_text(encoding="utf-8"))["results"]
    timed = sorted(((r["unique_id"].split(".")[-1], float(r["execution_time"])) for r in results), key=lambda x: -x[1])
    return timed[:count]


def _month_end(month: date) -> date:
    from dlxh.core.calendar import add_months

    return date.fromordinal(add_months(month, 1).toordinal() - 1)


def bi_queries(month: date) -> dict[str, float]:
    import psycopg2

    from dlxh.build import bi_password
    from dlxh.core.db import warehouse_target
    from dlxh.core.settings import load_settings

    t = warehouse_target()
    conn = psycopg2.connect(host=t.host, port=t.port, dbname=t.dbname, user="bi_reader", password=bi_password(load_settings()))
    times = {}
    try:
        with conn.cursor() as cur:
            for name, sql in BI_QUERIES.items():
                started = time.perf_counter()
                cur.execute(sql, {"month": month})
                cur.fetchall()
                times[name] = time.perf_counter() - started
    finally:
        conn.close()
    return times


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--scale", type=float, default=0.05, help="fraction of the national size (1 = 34 provinces, 5M answers, 5M items)")
    p.add_argument("--months", type=int, default=36, help="months of history of the large scenario")
    p.add_argument("--home", help="DLXH_HOME to use (default: a new temporary one)")
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args()
    home = Path(args.home or tempfile.mkdtemp(prefix="dlxh-bench-marts-"))
    home.mkdir(parents=True, exist_ok=True)
    os.chmod(home, 0o755)
    os.environ["DLXH_HOME"] = str(home)
    os.environ.pop("DLXH_DATABASE_URL", None)

    from benchmarks.generate_national import Shape
    from dlxh.core.db import connect, ensure_up

    ensure_up()
    conn = connect(autocommit=False)
    shape = Shape.national(args.scale, args.months)
    first = date(2023, 1, 1)
    print(f"DLXH_HOME={home} scale={args.scale} {shape}", flush=True)
    small = scenario(conn, shape, first, 1, args.seed)
    print(
        f"1 month of history:  full build {small['full_build_s']:.1f}s; new month COPY {small['new_month_copy_s']:.1f}s, "
        f"incremental build {small['incremental_build_s']:.1f}s",
        flush=True,
    )
    large = scenario(conn, shape, first, args.months, args.seed)
    print(
        f"{args.months} months of history: full build {large['full_build_s']:.1f}s; new month COPY {large['new_month_copy_s']:.1f}s, "
        f"incremental build {large['incremental_build_s']:.1f}s",
        flush=True,
    )
    with conn.cursor() as cur:
        for table in ("raw.survey_answers", "raw.scan_items", "marts.fct_opinion_signal", "marts.fct_report_submission"):
            cur.execute(f"select count(*) from {table}")
            print(f"  {table:28} {cur.fetchone()[0]:>12,}")
    conn.rollback()
    ratio = large["incremental_build_s"] / small["incremental_build_s"]
    dbt_ratio = large["incremental_dbt_s"] / small["incremental_dbt_s"]
    print(
        f"new month on {args.months} months vs on 1 month: ratio {ratio:.2f} wall, {dbt_ratio:.2f} inside dbt (target <= 1.5); "
        f"vs raw COPY of the month: {large['incremental_build_s'] / large['new_month_copy_s']:.2f}x"
    )
    for name, seconds in bi_queries(large["month"]).items():
        print(f"  BI query {name:28} {seconds * 1000:8.1f} ms")
    print(f"finished {datetime.now():%Y-%m-%d %H:%M:%S}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
