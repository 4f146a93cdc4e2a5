"""Validate one report month: run the GX checkpoints, store results in `quality`, summarise in Vietnamese.

A failed expectation (a late or missing unit) is a business finding: `validate_month` returns
it, it never raises for it. The CLI exits 5 only with `--strict` (see docs/validation.md).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from dlxh.core.errors import DlxhError
from dlxh.core.settings import load_settings
from expectations.definitions import ASSET_BY_NAME, CHECKPOINTS, MUST_HAVE_ROWS, REQUIRED_RELATIONS, SUITE_BY_NAME, SUITES, CheckpointSpec
from expectations.results import ExpectationOutcome, outcomes_from_checkpoint, store_run


class ValidationSetupError(DlxhError):
    """What the checks read is not there (e.g. the marts were never built)."""


@dataclass
class MonthValidation:
    month: date
    run_id: int
    strict: bool
    outcomes: list[ExpectationOutcome]
    data_docs: str | None
    seconds: float
    gx_run_name: str
    suites: list[str] = field(default_factory=list)
    skipped_suites: list[str] = field(default_factory=list)  # no rows this month: nothing to check

    @property
    def success(self) -> bool:
        return all(o.success for o in self.outcomes)

    @property
    def failed(self) -> list[ExpectationOutcome]:
        return [o for o in self.outcomes if not o.success]

    def offending_keys(self, suite: str | None = None) -> set[str]:
        return {k for o in self.outcomes if suite in (None, o.suite) for k in o.offending_keys}

    def render(self) -> str:
        lines = [
            f"Kiểm định dữ liệu tháng {self.month:%m/%Y} — lần chạy #{self.run_id} ({self.seconds:.1f} giây)",
        ]
        for suite in self.suites:
            rows = [o for o in self.outcomes if o.suite == suite]
            if suite in self.skipped_suites:
                lines.append(f"  – {SUITE_BY_NAME[suite].title} ({suite}): không có dữ liệu trong tháng, bỏ qua")
                continue
            ok = sum(o.success for o in rows)
            mark = "✓" if ok == len(rows) else "✗"
            lines.append(f"  {mark} {SUITE_BY_NAME[suite].title} ({suite}): đạt {ok}/{len(rows)} kỳ vọng")
            for o in rows:
                if o.success:
                    continue
                keys = ", ".join(o.offending_keys[:30]) + (" …" if len(o.offending_keys) > 30 else "")
                detail = f" — {keys}" if keys else f" — giá trị quan sát: {o.observed_value}"
                if o.details.get("exception"):
                    detail = f" — LỖI khi kiểm tra: {o.details['exception'][:300]}"
                lines.append(f"      • {o.description}{detail}")
        missing = sorted(self.offending_keys("dlxh_completeness"))
        late = sorted(self.offending_keys("dlxh_timeliness"))
        if missing:
            lines.append(f"  Đơn vị thiếu báo cáo hoặc báo cáo chưa đủ các phần bắt buộc: {', '.join(missing)}")
        if late:
            lines.append(f"  Đơn vị nộp báo cáo muộn hạn: {', '.join(late)}")
        network = sorted(self.offending_keys("dlxh_network_complete"))
        if network:
            lines.append(f"  Đơn vị chưa đủ mạng lưới cộng tác viên (chỉ tiêu, địa bàn, lĩnh vực, liên hệ): {', '.join(network)}")
        if self.success:
            lines.append("  Kết luận: mọi kỳ vọng đều đạt.")
        elif self.strict:
            lines.append(f"  Kết luận: {len(self.failed)} kỳ vọng không đạt (chế độ --strict: lệnh trả mã lỗi).")
        else:
            lines.append(
                f"  Kết luận: {len(self.failed)} kỳ vọng không đạt. Đây là phát hiện nghiệp vụ, không phải lỗi hệ thống "
                "(dùng --strict để lệnh trả mã lỗi)."
            )
        if self.data_docs:
            lines.append(f"  Data Docs: {self.data_docs}")
        lines.append(f"  Kết quả lưu trong quality.validation_results (run_id = {self.run_id}), xem quality.v_latest_validation.")
        return "\n".join(lines)


def _check_relations(conn) -> None:
    with conn, conn.cursor() as cur:
        for req in REQUIRED_RELATIONS:
            cur.execute("select to_regclass(%s)", (req.relation,))
            if cur.fetchone()[0] is None:
                raise ValidationSetupError(f"{req.relation} does not exist, so the month cannot be validated: {req.hint}.")


def validate_month(month: date, strict: bool = False) -> MonthValidation:
    """Run every checkpoint for `month` (any day in it), store the results, return the summary."""
    from great_expectations.core.run_identifier import RunIdentifier

    from dlxh.core.db import connection, ensure_up
    from expectations.context import get_context

    t0 = time.monotonic()
    month = date(month.year, month.month, 1)
    settings = load_settings()
    target = ensure_up(settings)
    with connection(target) as conn:
        _check_relations(conn)
        context = get_context(settings, month)
        started = datetime.now(UTC)
        run_name = f"dlxh-{month:%Y-%m}-{started:%Y%m%dT%H%M%S%fZ}"
        outcomes: list[ExpectationOutcome] = []
        skipped: list[str] = []
        for spec in CHECKPOINTS:
            if spec.monthly and not _month_has_rows(conn, spec, month):
                if spec.name in MUST_HAVE_ROWS:
                    outcomes.append(_no_rows_outcome(spec, MUST_HAVE_ROWS[spec.name]))
                else:
                    skipped += list(spec.suites)
                continue
            result = context.checkpoints.get(spec.name).run(run_id=RunIdentifier(run_name=run_name, run_time=started))
            outcomes += outcomes_from_checkpoint(result, spec)
        docs = _index_url(context)
        # Offline assets, local times, findings wording; BI gets a link it can follow, not a server path.
        from expectations.context import data_docs_dir
        from expectations.docs_site import docs_link, localize

        localize(data_docs_dir(settings))
        seconds = time.monotonic() - t0
        run_id = store_run(
            conn, month, outcomes, [c.name for c in CHECKPOINTS], run_name, docs_link(settings), strict, started, int(seconds * 1000)
        )
    suites = [s for c in CHECKPOINTS for s in c.suites]
    return MonthValidation(month, run_id, strict, outcomes, docs, seconds, run_name, suites, skipped)


def _month_has_rows(conn, spec: CheckpointSpec, month: date) -> bool:
    """Every asset the checkpoint validates has a row in the month (else GX would validate an
    empty batch and pass: an empty month is skipped, or is itself the finding)."""
    from expectations.context import month_bounded

    assets = {SUITE_BY_NAME[suite].asset for suite in spec.suites}
    with conn.cursor() as cur:
        for name in sorted(assets):
            cur.execute(f"select exists (select 1 from ({month_bounded(ASSET_BY_NAME[name], month)}) as month_rows)")
            if not cur.fetchone()[0]:
                return False
    return True


def _no_rows_outcome(spec: CheckpointSpec, expectation: str) -> ExpectationOutcome:
    """A month without rows in the asset; for the report checks that absence is the finding."""
    suite = next(s for s in SUITES if s.name in spec.suites and any(e.name == expectation for e in s.expectations))
    exp = next(e for e in suite.expectations if e.name == expectation)
    return ExpectationOutcome(
        checkpoint=spec.name,
        suite=suite.name,
        expectation=exp.name,
        expectation_type="expect_table_row_count_to_be_between",
        description=exp.description,
        column_name=None,
        success=False,
        observed_value="0",
        element_count=0,
        unexpected_count=None,
        details={"note": "no rows for this month in the asset"},
    )


def _index_url(context) -> str | None:
    urls = context.get_docs_sites_urls(only_if_exists=True)
    return urls[0]["site_url"] if urls and urls[0].get("site_url") else None


def data_docs_index() -> str:
    """Where the HTML Data Docs are (built by every validate_month run)."""
    from expectations.context import data_docs_dir

    index = data_docs_dir() / "index.html"
    if index.is_file():
        return (
            f"Data Docs của Great Expectations: {index.as_uri()}\n(mở tệp này bằng trình duyệt, "
            "hoặc `dlxh docs serve` để xem cả dbt docs tại http://127.0.0.1:8090/)"
        )
    return f"Chưa có Data Docs tại {index}. Chạy `dlxh validate --month YYYY-MM` trước, rồi mở tệp index.html bằng trình duyệt."


__all__ = ["MonthValidation", "ValidationSetupError", "data_docs_index", "validate_month"]
