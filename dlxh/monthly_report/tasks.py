"""Task body of the dlxh_monthly_report DAG."""

from __future__ import annotations

import logging
from datetime import date, datetime
from typing import Any

log = logging.getLogger("dlxh.report")


def due_months(months: list[str], conn=None) -> list[date]:
    """The given months whose monthly deadline has passed (marts.dim_month.due_at <= now)."""
    from dlxh.core.db import connect, ensure_up

    if not months:
        return []
    wanted = sorted({datetime.strptime(m, "%Y-%m").date() for m in months})
    own = conn is None
    conn = conn or connect(ensure_up())
    try:
        with conn.cursor() as cur:
            cur.execute("select period_month from marts.dim_month where period_month = any(%s) and due_at <= now() order by 1", (wanted,))
            return [r[0] for r in cur.fetchall()]
    finally:
        if own:
            conn.close()


def draft_due_reports(months: list[str]) -> dict[str, Any]:
    from dlxh.monthly_report import generate_report

    done: dict[str, Any] = {}
    for month in due_months(months):
        result = generate_report(month)
        log.info(result.render())
        done[month.strftime("%Y-%m")] = {
            "version": result.version,
            "new": result.is_new,
            "paths": result.paths,
            "mailed": result.mailed,
            "mail_pending": result.mail_pending,
        }
    skipped = sorted(set(months) - set(done))
    if skipped:
        log.info("not past their deadline (or not reporting months): %s", skipped)
    return {"reports": done, "skipped": skipped}
