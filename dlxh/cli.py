"""`dlxh`: the command line of DLXH Warehouse.

Exit codes: 0 success; 1 failure; 2 bad configuration or usage; 3 database unavailable;
4 bad input path; 5 validation failed with --strict.
"""

from __future__ import annotations

import argparse
import sys
from datetime import date, datetime
from pathlib import Path

from dlxh.core.errors import DlxhError


def _month(value: str) -> date:
    try:
        return datetime.strptime(value, "%Y-%m").date()
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected YYYY-MM, got {value!r}") from None


def _local_today() -> date:
    """Today in Asia/Ho_Chi_Minh (the federation's day), whatever the machine's time zone."""
    from dlxh.core.calendar import LOCAL

    return datetime.now(LOCAL).date()


def _day(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected YYYY-MM-DD, got {value!r}") from None


# -- config -------------------------------------------------------------------------------------
def cmd_config(args: argparse.Namespace) -> int:
    from dlxh import config_report as report

    if args.action == "init":
        written = report.init(force=args.force)
        for path in written:
            print(f"wrote {path}")
        if not written:
            print("nothing written: the config folder already has every file (use --force to overwrite)")
        return 0
    print(report.check_text())
    # The monitoring tools' mappings in force (deployment's and shipped), each validated.
    from ingestion.scans.mapping import available_tools, find_mapping, load_mapping

    tools = available_tools()
    for tool in tools:
        load_mapping(find_mapping(tool))
    print(f"  scan tools: {', '.join(f'{t} ({find_mapping(t)})' for t in tools) or 'none'}")
    return 0


# -- db -----------------------------------------------------------------------------------------
def cmd_db(args: argparse.Namespace) -> int:
    from dlxh.core.db import ensure_up, warehouse_target
    from dlxh.core.settings import load_settings

    settings = load_settings()
    if args.action == "url":
        print(warehouse_target(settings).url())
        return 0
    if args.action == "env":
        # For plain `dbt` (and psql): eval "$(dlxh db env)"; dbt_project/profiles.yml reads these.
        import shlex

        from dlxh.dbt import dbt_env

        target = warehouse_target(settings)
        values = {
            **dbt_env(settings),
            "PGHOST": target.host,
            "PGPORT": str(target.port),
            "PGUSER": target.user,
            "PGPASSWORD": target.password,
            "PGDATABASE": target.dbname,
        }
        for name, value in values.items():
            print(f"export {name}={shlex.quote(value)}")
        return 0
    if not settings.embedded:
        if args.action in ("down",):
            print("DLXH_DATABASE_URL points at an external server; nothing to stop.")
            return 0
        target = ensure_up(settings) if args.action == "up" else warehouse_target(settings)
        from dlxh.core.db import connect

        connect(target).close()
        print(f"external warehouse reachable at {target.host}:{target.port}/{target.dbname}")
        return 0
    from dlxh.core.pg_embedded import EmbeddedPostgres

    server = EmbeddedPostgres(settings)
    if args.action == "up":
        ensure_up(settings)
        print(f"embedded PostgreSQL running on 127.0.0.1:{server.port()} (data: {server.data_dir})")
    elif args.action == "down":
        print("embedded PostgreSQL stopped" if server.stop() else "embedded PostgreSQL was not running")
    else:
        st = server.status()
        print(f"embedded PostgreSQL: {st.detail}; data: {st.data_dir}")
        return 0 if st.running else 1
    return 0


# -- ingest -------------------------------------------------------------------------------------
def cmd_ingest(args: argparse.Namespace) -> int:
    from dlxh.core.db import connection, ensure_up
    from ingestion.framework import run_ingest, stderr_progress
    from ingestion.sources import get_source

    target = ensure_up()
    options = {k.removeprefix("opt_"): v for k, v in vars(args).items() if k.startswith("opt_") and v not in (None, False)}
    source = get_source(args.source, **options)
    paths = args.paths
    with connection(target) as conn:
        summary = run_ingest(source, paths, conn, progress=None if args.quiet else stderr_progress)
    print(summary.to_json() if args.json else summary.render())
    return 0


# -- reports: a person settles what the machine cannot ------------------------------------------
def cmd_reports(args: argparse.Namespace) -> int:
    from dlxh.core.db import connection, ensure_up
    from ingestion.reports import review

    with connection(ensure_up()) as conn:
        with conn, conn.cursor() as cur:
            if args.action == "pending":
                items = review.pending(cur)
                if args.json:
                    import json

                    print(json.dumps(items, ensure_ascii=False, indent=2, default=str))
                else:
                    print(review.render_pending(items))
                return 0
            done = review.assign(cur, Path(args.file), args.unit, args.month, args.type, args.why)
    print(
        f"Đã ghi quyết định #{done['assignment_id']}: tệp {args.file} là báo cáo "
        f"{'đột xuất' if done['report_type'] == 'ad_hoc' else 'tháng'} {done['period_month']:%m/%Y} của đơn vị {done['unit_code']} "
        f'(người ghi: {done["assigned_by"]}). Hãy nạp lại tệp: dlxh ingest reports "{args.file}"'
    )
    return 0


# -- build / validate / alerts ------------------------------------------------------------------
def cmd_build(args: argparse.Namespace) -> int:
    from dlxh.build import build, compile_manifest

    if args.manifest_only:
        print(compile_manifest())
        return 0
    build(as_of=args.as_of, select=args.select, full_refresh=args.full_refresh)
    return 0


def cmd_validate(args: argparse.Namespace) -> int:
    from expectations.runner import validate_month

    result = validate_month(args.month, strict=args.strict)
    print(result.render())
    return 5 if (args.strict and not result.success) else 0


def cmd_freshness(args: argparse.Namespace) -> int:
    from dlxh.freshness import check_freshness

    report = check_freshness()
    print(report.render())
    return 5 if (args.strict and report.stale) else 0


def cmd_alerts(args: argparse.Namespace) -> int:
    from alerts.engine import run_alerts

    as_of = args.as_of or _local_today()
    outcome = run_alerts(as_of, dry_run=args.dry_run)
    print(outcome.render())
    return 0 if outcome.ok else 1


def cmd_report(args: argparse.Namespace) -> int:
    from dlxh.monthly_report import generate_report, parse_formats

    result = generate_report(
        args.month, parse_formats(args.format), Path(args.out) if args.out else None, issued_on=args.date, mail=not args.no_mail
    )
    print(result.render())
    return 0


def cmd_hotspots(args: argparse.Namespace) -> int:
    from hotspots.cli import run

    return run(args)


def cmd_demo(args: argparse.Namespace) -> int:
    from dlxh.core.settings import load_settings
    from dlxh.demo import write_demo

    out = Path(args.out) if args.out else load_settings().inbox
    written = write_demo(out, as_of=args.as_of or _local_today(), months=args.months, seed=args.seed)
    for kind, files in written.items():
        print(f"{kind}: {len(files)} files in {files[0].parent if files else out}")
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    from dlxh.pipeline import run_pipeline

    summary = run_pipeline(as_of=args.as_of or _local_today(), demo=not args.no_demo)
    print(summary)
    return 0


def cmd_airflow(args: argparse.Namespace) -> int:
    from dlxh.airflow_env import exec_airflow

    return exec_airflow(args.airflow_args)


def cmd_docs(args: argparse.Namespace) -> int:
    from expectations.runner import data_docs_index

    if args.action == "where":
        print(data_docs_index())
        return 0
    from dlxh.core.settings import load_settings
    from dlxh.docs import build_docs, docs_port, make_server

    settings = load_settings()
    port = docs_port(settings, args.port) if args.action == "serve" else None
    dirs = build_docs(settings)
    print(f"dbt docs: {dirs['dbt'] / 'index.html'}")
    print(f"Data Docs: {dirs['gx'] / 'index.html'}")
    if args.action == "build":
        return 0
    server = make_server(dirs, port)
    print(
        f"Tài liệu dữ liệu tại http://127.0.0.1:{server.server_address[1]}/ (dbt docs: /dbt/, Data Docs: /gx/); Ctrl-C để dừng", flush=True
    )
    try:
        server.serve_forever()
    finally:
        server.server_close()
    return 0


def cmd_bi(args: argparse.Namespace) -> int:
    from dlxh import bi
    from dlxh.core.settings import load_settings

    settings = load_settings()
    if args.action == "up":
        print(f'Superset: {bi.up(settings)} (bảng điều khiển "Tình hình báo cáo và dư luận xã hội"; dừng: dlxh bi down)')
    elif args.action == "down":
        print("Superset stopped" if bi.down(settings) else "Superset was not running")
    else:
        pid = bi.running_pid(settings)
        print(f"Superset running (pid {pid}) on http://127.0.0.1:{bi.bi_port(settings)}/" if pid else "Superset is not running")
        return 0 if pid else 1
    return 0


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="dlxh", description="DLXH Warehouse: ingest -> raw -> dbt -> marts -> validate -> alert.")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    cfg = sub.add_parser("config", help="the deployment's config folder: check (validate, show what is in force) | show | init")
    cfg.add_argument("action", choices=["check", "show", "init"])
    cfg.add_argument("--force", action="store_true", help="init: overwrite files already in the config folder")
    cfg.set_defaults(func=cmd_config)

    db = sub.add_parser("db", help="embedded PostgreSQL: up | down | status | url | env")
    db.add_argument(
        "action",
        choices=["up", "down", "status", "url", "env"],
        help='env: print `export` lines for plain dbt and psql (eval "$(dlxh db env)")',
    )
    db.set_defaults(func=cmd_db)

    ing = sub.add_parser("ingest", help="load files from the inbox (or given paths) into raw")
    ing_sub = ing.add_subparsers(dest="source", required=True, metavar="SOURCE")
    from ingestion.sources import specs  # spec modules only: nothing heavy

    for spec in specs():  # one subcommand per source package (ingestion/<source>/spec.py)
        sp = ing_sub.add_parser(spec.name, help=spec.title)
        sp.add_argument("paths", nargs="+", metavar="PATH", help="files or folders")
        for option in spec.options:
            if option.kind == "flag":
                sp.add_argument(option.flag, dest=f"opt_{option.name}", action="store_true", help=option.help)
            else:
                sp.add_argument(option.flag, dest=f"opt_{option.name}", required=option.required, help=option.help)
        sp.add_argument("--json", action="store_true", help="print the import summary as JSON")
        sp.add_argument("--quiet", action="store_true", help="no per-file progress lines")
        sp.set_defaults(func=cmd_ingest)

    rep = sub.add_parser("reports", help="reports a person must settle: pending | assign")
    rep_sub = rep.add_subparsers(dest="action", required=True, metavar="ACTION")
    rp = rep_sub.add_parser("pending", help="quarantined and low-confidence reports with their witnesses")
    rp.add_argument("--json", action="store_true", help="print as JSON")
    rp.set_defaults(func=cmd_reports)
    ra = rep_sub.add_parser("assign", help="record who sent a report file and for which month (re-ingest it afterwards)")
    ra.add_argument("file", metavar="FILE")
    ra.add_argument("--unit", required=True, help="unit code in the registry")
    ra.add_argument("--month", required=True, type=_month, help="report month YYYY-MM")
    ra.add_argument("--type", default="monthly", choices=["monthly", "ad_hoc"])
    ra.add_argument("--why", default=None, help="why (kept with the decision)")
    ra.set_defaults(func=cmd_reports)

    b = sub.add_parser("build", help="run dbt: seeds, models and tests into staging, intermediate, marts")
    b.add_argument("--as-of", type=_day, help="evaluate statuses as of this day (default: now)")
    b.add_argument("--select", help="dbt selection")
    b.add_argument("--full-refresh", action="store_true")
    b.add_argument("--manifest-only", action="store_true", help="only compile dbt_project/target/manifest.json (for the Airflow build DAG)")
    b.set_defaults(func=cmd_build)

    v = sub.add_parser("validate", help="run the Great Expectations checkpoint for a month")
    v.add_argument("--month", type=_month, required=True, help="YYYY-MM")
    v.add_argument("--strict", action="store_true", help="exit 5 when any expectation fails (late units included)")
    v.set_defaults(func=cmd_validate)

    fr = sub.add_parser("freshness", help="dbt source freshness of the raw tables (also run by the dlxh_validate DAG)")
    fr.add_argument("--strict", action="store_true", help="exit 5 when a source is stale or empty")
    fr.set_defaults(func=cmd_freshness)

    a = sub.add_parser("alerts", help="send due reminders, late notices, escalations and digests")
    a.add_argument("--as-of", type=_day, help="the day to evaluate (YYYY-MM-DD, default today in Asia/Ho_Chi_Minh)")
    a.add_argument("--dry-run", action="store_true", help="print what would be sent, to whom and why; send nothing")
    a.set_defaults(func=cmd_alerts)

    rp = sub.add_parser("report", help="draft the monthly consolidated report upward (DOCX, PDF, HTML) from the marts")
    rp.add_argument("--month", type=_month, required=True, help="YYYY-MM")
    rp.add_argument("--format", help="comma-separated: docx,pdf,html (default: all three)")
    rp.add_argument("--out", help="folder for a new version's files (default: $DLXH_HOME/reports/monthly/YYYY-MM)")
    rp.add_argument("--date", type=_day, help="date on the place-date line (default: today, Asia/Ho_Chi_Minh)")
    rp.add_argument("--no-mail", action="store_true", help="do not mail the report even when recipients are configured")
    rp.set_defaults(func=cmd_report)
    hs = sub.add_parser("hotspots", help="hot-spot cases: list | show ID | ack ID | resolve ID | close ID | sync | serve")
    from hotspots.cli import add_arguments

    add_arguments(hs)
    hs.set_defaults(func=cmd_hotspots)

    d = sub.add_parser("demo", help="write realistic demo inputs (units, reports, register) into the inbox")
    d.add_argument("--out", help="folder (default: $DLXH_INBOX)")
    d.add_argument("--as-of", type=_day, help="the demo's 'today' (default: today in Asia/Ho_Chi_Minh)")
    d.add_argument("--months", type=int, default=6)
    d.add_argument("--seed", type=int, default=2025)
    d.set_defaults(func=cmd_demo)

    r = sub.add_parser("run", help="the whole pipeline through the real Airflow DAGs, then a summary")
    r.add_argument("--as-of", type=_day)
    r.add_argument("--no-demo", action="store_true", help="do not write demo inputs first")
    r.set_defaults(func=cmd_run)

    af = sub.add_parser(
        "airflow",
        help="run an `airflow` command on this instance's state (e.g. `dlxh airflow standalone`; "
        "`dlxh airflow standalone --executor celery`: Redis and two Celery workers)",
    )
    af.add_argument("airflow_args", nargs=argparse.REMAINDER)
    af.set_defaults(func=cmd_airflow)

    bi_p = sub.add_parser("bi", help="local Apache Superset with the dashboard of bi/superset/bundle: up | down | status")
    bi_p.add_argument("action", choices=["up", "down", "status"])
    bi_p.set_defaults(func=cmd_bi)

    docs = sub.add_parser("docs", help="dbt docs and GX Data Docs: where (default) | build | serve (127.0.0.1)")
    docs.add_argument("action", nargs="?", default="where", choices=["where", "build", "serve"])
    docs.add_argument("--port", type=int, help="serve: port on 127.0.0.1 (default DLXH_DOCS_PORT, else 8090; 0 = any free port)")
    docs.set_defaults(func=cmd_docs)
    return p


INGEST_OPTIONS = frozenset({"--json", "--quiet", "--form", "--tool", "-h", "--help"})


def _dash_paths(argv: list[str]) -> list[str]:
    """`dlxh ingest units -bao-cao.csv`: an existing file whose name starts with '-' is a path,
    not an option (argparse would refuse it); `--` before the paths works too."""
    if argv[:1] != ["ingest"] or "--" in argv:
        return argv
    out = []
    for arg in argv:
        if arg.startswith("-") and len(arg) > 1 and arg.split("=", 1)[0] not in INGEST_OPTIONS and Path(arg).exists():
            arg = "./" + arg
        out.append(arg)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(_dash_paths(list(sys.argv[1:] if argv is None else argv)))
    try:
        return args.func(args)
    except DlxhError as exc:
        print(f"dlxh: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("dlxh: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:
        # A server that went away mid-command: one line and exit 3, not a traceback.
        lost = _lost_database(exc)
        if lost is None:
            raise
        print(f"dlxh: error: {lost}", file=sys.stderr)
        return 3


def _lost_database(exc: BaseException) -> str | None:
    try:
        import psycopg2
    except ImportError:
        return None
    if isinstance(exc, (psycopg2.OperationalError, psycopg2.InterfaceError)) and not isinstance(exc, psycopg2.errors.QueryCanceled):
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        return f"lost the connection to PostgreSQL: {first}"
    return None


if __name__ == "__main__":
    sys.exit(main())
