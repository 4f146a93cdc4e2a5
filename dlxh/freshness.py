"""Source freshness: `dbt source freshness` over the raw landing tables, kept and worded in Vietnamese.

The thresholds live with the sources (dbt_project/models/staging/<source>/_<source>__sources.yml: e.g. warn
when no scan export has been loaded for 35 days). A stale source is a finding for the people
who run the monthly cycle (a tool stopped exporting, an inbox folder nobody fills), not a
pipeline failure: results are stored in `quality.source_freshness` and summarised.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from dlxh.core.calendar import LOCAL
from dlxh.core.settings import Settings, load_settings

STATUS_VI = {"pass": "mới", "warn": "cũ (cảnh báo)", "error": "quá cũ (lỗi)", "runtime error": "không kiểm tra được"}


@dataclass(frozen=True)
class SourceFreshness:
    table: str  # raw.<table>
    status: str  # pass | warn | error | runtime error
    max_loaded_at: datetime | None
    age_seconds: float | None
    warn_after: str | None  # "35 day"
    error: str | None = None

    def render(self) -> str:
        if self.status == "runtime error":
            return f"• {self.table}: {STATUS_VI[self.status]} ({self.error})"
        if self.max_loaded_at is None:
            return f"• {self.table}: chưa có dữ liệu"
        age = self.age_seconds or 0
        ago = f"{age / 86400:.0f} ngày trước" if age >= 86400 else f"{age / 3600:.0f} giờ trước"
        loaded = self.max_loaded_at.astimezone(LOCAL).strftime("%H:%M ngày %d/%m/%Y")
        limit = f"; ngưỡng cảnh báo {_vi_period(self.warn_after)}" if self.warn_after and self.status != "pass" else ""
        return f"• {self.table}: {STATUS_VI.get(self.status, self.status)} — nạp lần cuối {loaded} ({ago}{limit})"


@dataclass
class FreshnessReport:
    sources: list[SourceFreshness]

    @property
    def stale(self) -> list[SourceFreshness]:
        return [s for s in self.sources if s.status != "pass"]

    def render(self) -> str:
        head = f"Độ mới của nguồn dữ liệu: {len(self.sources)} bảng kiểm tra, {len(self.stale)} bảng cần chú ý."
        lines = [s.render() for s in sorted(self.sources, key=lambda s: (s.status == "pass", s.table))]
        return "\n".join([head, *lines])


def _vi_period(criterion: str | None) -> str:
    if not criterion:
        return ""
    count, _, period = criterion.partition(" ")
    return f"{count} {({'minute': 'phút', 'hour': 'giờ', 'day': 'ngày'}).get(period, period)}"


def parse_sources_json(path: Path) -> list[SourceFreshness]:
    """The results of `dbt source freshness --output path` (one per checked source table)."""
    doc = json.loads(path.read_text(encoding="utf-8"))
    out = []
    for r in doc.get("results", []):
        unique_id = r.get("unique_id", "")  # source.<project>.<source>.<table>
        _, _, source, table = (unique_id.split(".", 3) + ["", "", "", ""])[:4]
        criteria = r.get("criteria") or {}
        warn = criteria.get("warn_after") or {}
        max_loaded = datetime.fromisoformat(r["max_loaded_at"]) if r.get("max_loaded_at") else None
        if max_loaded is not None and max_loaded.year <= 1:
            max_loaded = None  # dbt's answer for an empty table: 0001-01-01
        out.append(
            SourceFreshness(
                table=f"{source}.{table}",
                status=r.get("status", "runtime error"),
                max_loaded_at=max_loaded,
                age_seconds=r.get("max_loaded_at_time_ago_in_s") if max_loaded else None,
                warn_after=f"{warn['count']} {warn['period']}" if warn.get("count") else None,
                error=(r.get("error") or r.get("message")) if r.get("status") == "runtime error" else None,
            )
        )
    return out


def check_freshness(settings: Settings | None = None) -> FreshnessReport:
    """Run `dbt source freshness` on the raw sources, store the results, return them."""
    from dlxh.build import target_path
    from dlxh.core.db import connection, warehouse_target
    from dlxh.dbt import run_dbt

    settings = settings or load_settings()
    output = target_path(settings) / "sources.json"
    output.unlink(missing_ok=True)
    # Exit code 1 means a source is past error_after (a finding, read from the output below).
    run_dbt(
        ["source", "freshness", "--select", "source:raw", "--output", str(output), "--target-path", str(target_path(settings))],
        settings,
        capture=True,
        ok_codes=(0, 1),
    )
    report = FreshnessReport(parse_sources_json(output))
    with connection(warehouse_target(settings)) as conn:
        with conn, conn.cursor() as cur:
            cur.execute("select now()")
            checked_at = cur.fetchone()[0]
            for s in report.sources:
                cur.execute(
                    """insert into quality.source_freshness
                           (checked_at, source_table, status, max_loaded_at, age_seconds, warn_after, error)
                       values (%s, %s, %s, %s, %s, %s, %s)""",
                    (checked_at, s.table, s.status, s.max_loaded_at, s.age_seconds, s.warn_after, s.error),
                )
    return report
