"""The monthly consolidated report upward (`dlxh report`, DAG `dlxh_monthly_report`).

generate_report(month): figures from the marts (figures.py) -> fingerprint -> the version in
ops.monthly_reports (same figures as the latest version: nothing new; changed figures: version
N+1) -> DOCX, HTML and PDF files named with the version (never overwritten) -> when recipients
are configured, one e-mail per version and address through the alerts outbox (ops.alert_log),
with the DOCX and PDF attached. See docs/monthly-report.md.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from dlxh.core.calendar import LOCAL
from dlxh.core.errors import ConfigError

log = logging.getLogger("dlxh.report")
FORMATS = ("docx", "pdf", "html")
MAIL_REPORT_TYPE = "monthly_report"  # ops.alert_log.report_type of the report's e-mails
MAIL_UNIT = "*"


@dataclass
class ReportResult:
    month: date
    version: int
    fingerprint: str
    is_new: bool
    paths: dict[str, str]
    mailed: list[str] = field(default_factory=list)  # addresses sent to in this run
    mail_pending: list[str] = field(default_factory=list)  # claimed but not delivered yet (retried by the outbox)

    def render(self) -> str:
        what = "phiên bản mới" if self.is_new else "số liệu không đổi, giữ phiên bản"
        lines = [f"Báo cáo tháng {self.month.month}/{self.month.year}: {what} {self.version} (dấu vân tay {self.fingerprint[:12]})"]
        for fmt, path in sorted(self.paths.items()):
            lines.append(f"  {fmt}: {path}")
        for addr in self.mailed:
            lines.append(f"  đã gửi thư: {addr}")
        for addr in self.mail_pending:
            lines.append(f"  thư chờ gửi lại: {addr}")
        return "\n".join(lines)


def parse_formats(value: str | None) -> tuple[str, ...]:
    if not value:
        return FORMATS
    formats = tuple(dict.fromkeys(f.strip().lower() for f in value.split(",") if f.strip()))
    unknown = [f for f in formats if f not in FORMATS]
    if unknown or not formats:
        raise ConfigError(f"--format: unknown format(s) {', '.join(unknown) or '(none)'}; use docx, pdf, html")
    return formats


def default_out_dir(month: date) -> Path:
    from dlxh.core.settings import load_settings

    return load_settings().home / "reports" / "monthly" / month.strftime("%Y-%m")


def file_name(month: date, version: int, fmt: str) -> str:
    return f"bao-cao-dlxh-{month:%Y-%m}-v{version}.{fmt}"


def _lock(cur, month: date) -> None:
    """One generator per month at a time (CLI and DAG may race): versions are assigned under this lock."""
    cur.execute("select pg_advisory_xact_lock(hashtext('dlxh.monthly_report'), %s)", (month.year * 100 + month.month,))


def generate_report(
    month: date, formats: tuple[str, ...] = FORMATS, out_dir: Path | None = None, issued_on: date | None = None, mail: bool = True
) -> ReportResult:
    from dlxh.core.db import connection, ensure_up
    from dlxh.monthly_report import charts as charts_mod
    from dlxh.monthly_report import figures as figures_mod
    from dlxh.monthly_report import render
    from dlxh.monthly_report.config import load_report_config

    cfg = load_report_config()
    if "pdf" in formats:
        render.soffice()  # fail fast, before anything is written, when LibreOffice is missing
    with connection(ensure_up()) as conn:  # its own connection: versions are assigned in one transaction
        with conn.cursor() as cur:
            if not figures_mod.month_exists(cur, month):
                raise ConfigError(f"--month {month:%Y-%m}: not a reporting month of the warehouse (marts.dim_month); run dlxh build first")
        conn.rollback()
        figs = figures_mod.collect(conn, month, cfg.months_of_history, cfg.quotes_per_topic, cfg.top_scan_items)
        fingerprint = figs.fingerprint
        issued_on = issued_on or datetime.now(LOCAL).date()
        with conn:  # one transaction: lock, pick the version, write files, register
            with conn.cursor() as cur:
                _lock(cur, month)
                cur.execute(
                    """select version, fingerprint, out_dir, paths from ops.monthly_reports
                       where period_month = %s order by version desc limit 1""",
                    (month,),
                )
                latest = cur.fetchone()
                if latest and latest[1] == fingerprint:
                    version, is_new = latest[0], False
                    folder = Path(latest[2])
                    paths = dict(latest[3] or {})
                else:
                    version, is_new = (latest[0] + 1 if latest else 1), True
                    folder = (out_dir or default_out_dir(month)).resolve()
                    paths = {}
                wanted = [f for f in formats if f not in paths or not Path(paths[f]).is_file()]
                has_docx = "docx" in paths and Path(paths["docx"]).is_file()
                if "pdf" in wanted and "docx" not in wanted and not has_docx:
                    wanted.insert(0, "docx")  # the PDF is made from the DOCX
                if wanted:
                    folder.mkdir(parents=True, exist_ok=True)
                    charts = charts_mod.draw_all(figs.data)
                    document = render.build_document(cfg, month, version, issued_on, figs.data, charts)
                    for fmt in ("docx", "html", "pdf"):
                        if fmt not in wanted:
                            continue
                        target = folder / file_name(month, version, fmt)
                        if target.exists():
                            raise ConfigError(
                                f"{target} exists but is not registered for version {version} in "
                                "ops.monthly_reports: move it away (files are never overwritten)"
                            )
                        partial = target.with_name(target.name + ".part")
                        if fmt == "docx":
                            render.write_docx(document, partial)
                        elif fmt == "html":
                            render.write_html(document, partial)
                        else:
                            render.write_pdf(Path(paths["docx"]), partial)
                        os.replace(partial, target)
                        paths[fmt] = str(target)
                if is_new:
                    cur.execute(
                        """insert into ops.monthly_reports (period_month, version, fingerprint, figures, out_dir, paths)
                           values (%s, %s, %s, %s, %s, %s)""",
                        (month, version, fingerprint, json.dumps(figs.data, ensure_ascii=False), str(folder), json.dumps(paths)),
                    )
                elif wanted:
                    cur.execute(
                        "update ops.monthly_reports set paths = %s, updated_at = now() where period_month = %s and version = %s",
                        (json.dumps(paths), month, version),
                    )
        result = ReportResult(month, version, fingerprint, is_new, paths)
        if mail and cfg.mail_to:
            _mail(conn, cfg, result, figs.data, issued_on)
        log.info(result.render())
        return result


def _mail(conn: Any, cfg, result: ReportResult, data: dict[str, Any], as_of: date) -> None:
    """Claim one e-mail per address for this version in ops.alert_log (exactly once), then let the
    outbox deliver the report's own rows. A failed send stays pending and is retried by later runs."""
    from alerts import outbox
    from alerts.config import load_alert_config
    from alerts.model import Delivery, PlannedAlert, Recipient

    month = result.month
    attachments = [result.paths[f] for f in ("docx", "pdf") if f in result.paths]
    c = data["counts"]
    subject = f"Báo cáo tình hình tư tưởng, dư luận xã hội tháng {month.month}/{month.year} (phiên bản {result.version})"
    body = (
        f"Kính gửi {cfg.issuing_body.title()},\n\n"
        f"Hệ thống DLXH gửi dự thảo {subject[0].lower() + subject[1:]}, lập từ số liệu kho dữ liệu, để đồng chí rà soát, "
        f"hoàn thiện và trình ký.\n\n"
        f"Đơn vị phải báo cáo: {c['expected']}; đúng hạn: {c['on_time']}; trễ hạn: {c['late']}; chưa gửi: {c['missing']}.\n"
        + (f"Phiên bản này thay thế phiên bản {result.version - 1} do số liệu đã thay đổi.\n" if result.version > 1 else "")
        + f"\nTệp đính kèm: {', '.join(Path(a).name for a in attachments)}.\n"
    )
    rule = f"monthly_report:v{result.version}"
    tag = f"rule={rule}; unit={MAIL_UNIT}; period={month:%Y-%m}; type={MAIL_REPORT_TYPE}"
    deliveries = []
    for address in cfg.mail_to:
        recipient = Recipient(key="office", name=cfg.issuing_body.title(), email=address)
        alert = PlannedAlert(
            "monthly_report", rule, MAIL_UNIT, month, MAIL_REPORT_TYPE, recipient, reason=f"báo cáo tháng phiên bản {result.version}"
        )
        payload = {
            "recipient_name": recipient.name,
            "recipient_key": "office",
            "tag": tag,
            "attachments": attachments,
            "reason": alert.reason,
        }
        deliveries.append(Delivery(alert, "email", address, subject, body, None, payload))
    new_ids, _skipped = outbox.claim(conn, deliveries, as_of)
    if not new_ids:
        return
    cfg_alerts = load_alert_config()
    # Only the report's own e-mails (this version's and earlier ones still pending), never other due alerts.
    attempts = outbox.Deliverer(conn, cfg_alerts, report_types=(MAIL_REPORT_TYPE,)).run()
    for a in attempts:
        if a.alert_id in new_ids:
            (result.mailed if a.ok else result.mail_pending).append(a.recipient)
