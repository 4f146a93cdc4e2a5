"""Task bodies for the DAGs. Each returns small JSON-able dicts (XCom) and logs what happened in numbers."""

from __future__ import annotations

import logging
from datetime import date, datetime
from pathlib import Path
from typing import Any

from dlxh.core.calendar import LOCAL, add_months, month_start
from dlxh.core.settings import load_settings

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


FORM_NAMES = ("form.xlsx", "form.yaml", "form.yml")
SCAN_MAPPING_NAMES = ("mapping.toml", "mapping.yaml", "mapping.yml")  # not scan export suffixes: never read as exports
# Files beside a survey's exports that are not exports: its form and its question mapping.
SIDE_FILES = (*FORM_NAMES, "mapping.csv", "mapping.toml", "form.mapping.csv", "form.mapping.toml")


def _group_of(source: str, path: Path) -> tuple[tuple[str, str], ...]:
    """Source options a file needs, from the inbox layout:

    * surveys: `inbox/surveys/<survey>/` holds the survey's questionnaire (`form.xlsx`, or a
      Google Forms mapping `form.yaml`) and its exports;
    * scans: `inbox/scans/<tool>/` holds the exports of one monitoring tool: the folder's own
      mapping file (`mapping.toml`, `.yaml`, `.yml`) if it has one, else the tool named like the
      folder (its mapping in the config folder's `scan_tools/`, else a shipped one).
    """
    if source == "surveys":
        form = next((path.parent / n for n in FORM_NAMES if (path.parent / n).is_file()), None)
        return (("form", str(form)),) if form else ()
    if source == "scans":
        root = inbox("scans")
        rel = path.relative_to(root)
        if len(rel.parts) <= 1:
            return ()
        own = next((root / rel.parts[0] / n for n in SCAN_MAPPING_NAMES if (root / rel.parts[0] / n).is_file()), None)
        return (("tool", str(own) if own else rel.parts[0]),)
    return ()


def new_files(source: str) -> list[str]:
    """Inbox files whose content has never been seen by this source (the sensor's question)."""
    from dlxh.core.db import connect, ensure_up
    from ingestion.framework import expand_paths, sha256_file
    from ingestion.sources import SOURCE_SUFFIXES

    target = ensure_up()
    files = [f for f in expand_paths([inbox(source)], SOURCE_SUFFIXES[source]) if f.name not in SIDE_FILES]
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


def ingest(source: str, paths: list[str] | None = None) -> dict[str, Any]:
    """Ingest the given files (default: the whole inbox; already-loaded files are skipped by hash)."""
    from dlxh.core.db import connect, ensure_up
    from ingestion.framework import expand_paths, run_ingest
    from ingestion.sources import SOURCE_SUFFIXES, get_source

    target = ensure_up()
    files = [Path(p) for p in paths] if paths else expand_paths([inbox(source)], SOURCE_SUFFIXES[source])
    groups: dict[tuple[tuple[str, str], ...], list[Path]] = {}
    skipped: list[str] = []
    for f in files:
        if f.name in SIDE_FILES:
            continue
        options = _group_of(source, f)
        if source in ("surveys", "scans") and not options:
            skipped.append(str(f))
            continue
        groups.setdefault(options, []).append(f)
    for f in skipped:
        log.warning(
            "%s: not in a %s folder; left in the inbox. Put survey exports in inbox/surveys/<survey>/ beside its form.xlsx "
            "(or form.yaml), and scan exports in inbox/scans/<tool>/.", f, "survey" if source == "surveys" else "tool",
        )
    totals: dict[str, int] = {}
    months: set[str] = set()
    load_ids: list[int] = []
    reconciles = True
    conn = connect(target)
    try:
        for options, group in groups.items():
            summary = run_ingest(get_source(source, **dict(options)), group, conn, progress=log.info)
            log.info(summary.render())
            for outcome in summary.files:  # findings a file's import recorded (e.g. a survey's unit choices)
                for warning in outcome.detail.get("warnings", []):
                    log.warning("%s: %s", outcome.path, warning)
            for k, v in summary.totals().items():
                totals[k] = totals.get(k, 0) + v
            months |= set(_months_of_load(conn, source, summary.load_id))
            load_ids.append(summary.load_id)
            reconciles = reconciles and summary.reconciles()
    finally:
        conn.close()
    log.info(
        "%s: files=%d rows_loaded=%d rows_updated=%d rows_unchanged=%d rows_quarantined=%d skipped_files=%d months=%s",
        source, totals.get("files_read", 0), totals.get("rows_loaded", 0), totals.get("rows_updated", 0),
        totals.get("rows_unchanged", 0), totals.get("rows_quarantined", 0), len(skipped), sorted(months),
    )
    return {"source": source, "load_ids": load_ids, "load_id": load_ids[-1] if load_ids else None, "totals": totals,
            "months": sorted(months), "reconciles": reconciles, "skipped": skipped}


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
