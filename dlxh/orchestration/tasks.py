"""Task bodies for the DAGs. Each returns small JSON-able dicts (XCom) and logs what happened in numbers."""

from __future__ import annotations

import logging
from datetime import date, datetime
from pathlib import Path
from typing import Any

from dlxh.core.calendar import LOCAL, add_months, month_start
from dlxh.core.settings import load_settings

log = logging.getLogger("dlxh")


def inbox(source: str) -> Path:
    path = load_settings().inbox_for(source)
    path.mkdir(parents=True, exist_ok=True)
    return path


def _inbox_files(spec: Any) -> list[Path]:
    from ingestion.framework import expand_paths

    return [f for f in expand_paths([inbox(spec.name)], spec.suffixes) if f.name not in spec.side_files]


def new_files(source: str) -> list[str]:
    """Inbox files whose content has never been seen by this source (the sensor's question)."""
    from dlxh.core.db import connect, ensure_up
    from ingestion.framework import sha256_file
    from ingestion.sources import spec_of

    target = ensure_up()
    files = _inbox_files(spec_of(source))
    if not files:
        return []
    conn = connect(target)
    try:
        with conn.cursor() as cur:
            cur.execute("select file_hash from ops.files where source = %s", (source,))
            seen = {r[0] for r in cur.fetchall()}
    finally:
        conn.close()
    fresh = [str(f) for f in files if sha256_file(f) not in seen]
    log.info("inbox %s: %d files, %d new", inbox(source), len(files), len(fresh))
    return fresh


def plan_batches(source: str, paths: list[str] | None = None) -> list[dict[str, Any]]:
    """Split files into batches for mapped ingest tasks: by the options their inbox folder gives
    (a survey's form, a scan tool), then by the spec's batch size. A file not where its source
    needs it (a survey export outside a survey folder) is left in the inbox with a warning."""
    from ingestion.sources import spec_of

    spec = spec_of(source)
    files = [Path(p) for p in paths] if paths is not None else _inbox_files(spec)
    root = inbox(source)
    groups: dict[tuple[tuple[str, str], ...], list[str]] = {}
    for f in files:
        if f.name in spec.side_files:
            continue
        options = spec.options_for(root, f)
        if options is None:
            log.warning("%s: not in %s; left in the inbox.", f, spec.placement)
            continue
        groups.setdefault(tuple(sorted(options.items())), []).append(str(f))
    batches = []
    for options, group in groups.items():
        for i in range(0, len(group), spec.batch_size):
            batches.append({"options": dict(options), "files": group[i : i + spec.batch_size]})
    return batches


def ingest_batch(source: str, batch: dict[str, Any]) -> dict[str, Any]:
    """Load one batch of files (one source instance, one load); already-loaded files are skipped by hash."""
    from dlxh.core.db import connect, ensure_up
    from ingestion.framework import run_ingest
    from ingestion.sources import get_source

    conn = connect(ensure_up())
    try:
        # statistics once per ingest, after the last batch (refresh_statistics), not once per batch
        summary = run_ingest(
            get_source(source, **batch["options"]), [Path(p) for p in batch["files"]], conn, progress=log.info, analyze=False
        )
        log.info(summary.render())
        for outcome in summary.files:  # findings a file's import recorded (e.g. a survey's unit choices)
            for warning in outcome.detail.get("warnings", []):
                log.warning("%s: %s", outcome.path, warning)
        months = _months_of_load(conn, source, summary.load_id)
    finally:
        conn.close()
    return {"source": source, "load_id": summary.load_id, "totals": summary.totals(), "months": months, "reconciles": summary.reconciles()}


def merge_results(source: str, results: list[dict[str, Any]], skipped: list[str] | None = None) -> dict[str, Any]:
    """One summary of a source's batches: the months they touched travel in the asset event."""
    totals: dict[str, int] = {}
    months: set[str] = set()
    for r in results:
        for k, v in r["totals"].items():
            totals[k] = totals.get(k, 0) + v
        months |= set(r["months"])
    load_ids = [r["load_id"] for r in results]
    log.info(
        "%s: files=%d rows_loaded=%d rows_updated=%d rows_unchanged=%d rows_quarantined=%d batches=%d months=%s",
        source,
        totals.get("files_read", 0),
        totals.get("rows_loaded", 0),
        totals.get("rows_updated", 0),
        totals.get("rows_unchanged", 0),
        totals.get("rows_quarantined", 0),
        len(results),
        sorted(months),
    )
    return {
        "source": source,
        "load_ids": load_ids,
        "load_id": load_ids[-1] if load_ids else None,
        "totals": totals,
        "months": sorted(months),
        "reconciles": all(r["reconciles"] for r in results),
        "skipped": skipped or [],
    }


def refresh_statistics(source: str, totals: dict[str, int]) -> bool:
    """After an ingest's last batch: the planner's statistics of the source's tables, when the
    batches wrote rows (ingestion/framework.py, analyze_tables). True when refreshed."""
    from dlxh.core.db import connect, ensure_up
    from ingestion.framework import analyze_tables, rows_changed
    from ingestion.sources import spec_of

    if not rows_changed(totals):
        return False
    conn = connect(ensure_up())
    try:
        analyze_tables(conn, spec_of(source).table_names)
    finally:
        conn.close()
    return True


def ingest(source: str, paths: list[str] | None = None) -> dict[str, Any]:
    """Ingest the given files (default: the whole inbox) batch by batch, in this process."""
    from ingestion.sources import spec_of

    spec = spec_of(source)
    files = [Path(p) for p in paths] if paths else _inbox_files(spec)
    batches = plan_batches(source, [str(f) for f in files])
    planned = {f for b in batches for f in b["files"]}
    skipped = [str(f) for f in files if str(f) not in planned and f.name not in spec.side_files]
    result = merge_results(source, [ingest_batch(source, b) for b in batches], skipped)
    refresh_statistics(source, result["totals"])
    return result


def _months_of_load(conn, source: str, load_id: int) -> list[str]:
    from ingestion.sources import spec_of

    sql = spec_of(source).months_sql()
    if sql is None:
        return []
    with conn.cursor() as cur:
        cur.execute(sql, (load_id,))
        return sorted(r[0].strftime("%Y-%m") for r in cur.fetchall())


def default_months(today: date | None = None) -> list[str]:
    """When nothing says which months changed: the current and the previous reporting month."""
    today = today or datetime.now(LOCAL).date()
    this = month_start(today)
    return [add_months(this, -1).strftime("%Y-%m"), this.strftime("%Y-%m")]


def months_from_events(events: Any) -> list[str]:
    """Union of `months` in the extras of triggering asset events (ingest -> build -> validate)."""
    months: set[str] = set()
    if not events:
        return []
    for _asset, asset_events in dict(events).items():
        for event in asset_events:
            for m in (getattr(event, "extra", None) or {}).get("months", []):
                months.add(m)
    return sorted(months)


def validate(months: list[str], strict: bool = False) -> dict[str, Any]:
    from expectations.runner import validate_month

    results = {}
    for m in months:
        month = datetime.strptime(m, "%Y-%m").date()
        outcome = validate_month(month, strict=False)
        log.info(outcome.render())
        results[m] = bool(outcome.success)
    failed = [m for m, ok in results.items() if not ok]
    log.info("validated %d months; findings in %d: %s", len(results), len(failed), failed)
    if strict and failed:
        raise RuntimeError(f"validation failed for {failed}")
    return {"months": months, "success": results}


def source_freshness() -> dict[str, Any]:
    """`dbt source freshness` on the raw tables; stale sources are findings (logged, stored), not failures."""
    from dlxh.freshness import check_freshness

    report = check_freshness()
    log.info(report.render())
    return {"stale": [s.table for s in report.stale]}


def send_alerts(as_of: date) -> dict[str, Any]:
    from alerts.engine import run_alerts

    outcome = run_alerts(as_of)
    log.info(outcome.render())
    if not outcome.ok:
        # Failed sends stay pending in ops.alert_log with their error; a task retry re-sends only them.
        raise RuntimeError("some alerts could not be sent; they stay pending and are retried")
    return {"as_of": as_of.isoformat()}


def local_day(moment: datetime | None) -> date:
    return (moment or datetime.now(LOCAL)).astimezone(LOCAL).date()


def as_of_day(context: Any) -> date:
    """The day a run evaluates: its `as_of` param, else the run's day in Asia/Ho_Chi_Minh."""
    as_of_param = context["params"].get("as_of")
    if as_of_param:
        return date.fromisoformat(as_of_param)
    return local_day(getattr(context["dag_run"], "run_after", None))


def month_range(start_month: str, end_month: str) -> list[str]:
    """'YYYY-MM' months from start to end, inclusive."""
    start = date.fromisoformat(start_month + "-01")
    end = date.fromisoformat(end_month + "-01")
    months, m = [], start
    while m <= end:
        months.append(m.strftime("%Y-%m"))
        m = add_months(m, 1)
    return months
