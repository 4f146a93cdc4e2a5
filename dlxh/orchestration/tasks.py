"""Task bodies for the DAGs. Each returns small JSON-able dicts (XCom) and logs what happened in numbers."""

from __future__ import annotations

import logging
from datetime import date, datetime
from pathlib import Path
from typing import Any

from dlxh.calendar import LOCAL, add_months, month_start
from dlxh.settings import load_settings

log = logging.getLogger("dlxh")

# Which raw table tells the months a load touched, per source.
_MONTHS_SQL = {
    "reports": "select distinct period_month from raw.reports where load_id = %s",
    "surveys": "select distinct period_month from raw.survey_responses where load_id = %s",
    "scans": "select distinct period_month from raw.scan_items where load_id = %s",
}


def inbox(source: str) -> Path:
    path = load_settings().inbox_for(source)
    path.mkdir(parents=True, exist_ok=True)
    return path


def new_files(source: str) -> list[str]:
    """Inbox files whose content has never been seen by this source (the sensor's question)."""
    from dlxh.db import connect, ensure_up
    from ingestion.framework import expand_paths, sha256_bytes
    from ingestion.sources import get_source

    target = ensure_up()
    files = expand_paths([inbox(source)], get_source(source, **_source_options(source)).suffixes)
    if not files:
        return []
    conn = connect(target)
    try:
        with conn.cursor() as cur:
            cur.execute("select file_hash from ops.files where source = %s", (source,))
            seen = {r[0] for r in cur.fetchall()}
    finally:
        conn.close()
    fresh = [str(f) for f in files if sha256_bytes(f.read_bytes()) not in seen]
    log.info("inbox %s: %d files, %d new", inbox(source), len(files), len(fresh))
    return fresh


def _source_options(source: str) -> dict[str, Any]:
    settings = load_settings()
    if source == "surveys":
        return {"form": settings.get("DLXH_SURVEY_FORM", str(inbox("surveys") / "form.xlsx"))}
    if source == "scans":
        return {"tool": settings.get("DLXH_SCAN_TOOL", "reputa")}
    return {}


def ingest(source: str, paths: list[str] | None = None) -> dict[str, Any]:
    """Ingest the given files (default: the whole inbox; already-loaded files are skipped by hash)."""
    from dlxh.db import connect, ensure_up
    from ingestion.framework import run_ingest
    from ingestion.sources import get_source

    target = ensure_up()
    conn = connect(target)
    try:
        summary = run_ingest(get_source(source, **_source_options(source)), paths or [inbox(source)], conn, progress=log.info)
        months = _months_of_load(conn, source, summary.load_id)
    finally:
        conn.close()
    totals = summary.totals()
    log.info(summary.render())
    log.info(
        "%s: files=%d rows_loaded=%d rows_updated=%d rows_unchanged=%d rows_quarantined=%d months=%s",
        source, totals["files_read"], totals["rows_loaded"], totals["rows_updated"], totals["rows_unchanged"],
        totals["rows_quarantined"], months,
    )
    return {"source": source, "load_id": summary.load_id, "totals": totals, "months": months, "reconciles": summary.reconciles()}


def _months_of_load(conn, source: str, load_id: int) -> list[str]:
    sql = _MONTHS_SQL.get(source)
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
