"""A person settles what the machine cannot: pending reports and manual assignments.

`pending(cur)` lists report files that are quarantined (not a report, unit or month unread) and
reports landed with low confidence (witnesses disagree), each with its witnesses: the file,
the header's issuer lines, the register's sender for the file, the unit guessed from the file
name. `assign(...)` records a person's decision in ops.report_assignments (who = OS user, when,
why) and marks the file in ops.files as 'assigned', so that the next `dlxh ingest reports` of
the same bytes processes it again and honours the decision (source.py: current_assignment);
the marts then show attribution = 'manual'.
"""

from __future__ import annotations

import getpass
import json
from datetime import date
from pathlib import Path
from typing import Any

from dlxh.core.errors import ConfigError, InputError
from ingestion.framework import sha256_file
from ingestion.reference.units import UnitRegistry

# Quarantine reasons a person can settle by assigning the file.
ASSIGNABLE = ("unknown_unit", "ambiguous_unit", "missing_month", "not_a_report", "missing_unit", "missing_due")


def _witnesses(record: dict | None) -> dict[str, Any]:
    record = record or {}
    w = record.get("witnesses") or {}
    return {
        "issuer_lines": record.get("issuer_lines") or (w.get("header") or {}).get("text") or [],
        "register_sender": record.get("register_sender") or (w.get("register") or {}).get("text"),
        "file_name_guess": (w.get("file_name") or {}).get("unit_code"),
        "header_unit": (w.get("header") or {}).get("unit_code"),
        "register_unit": (w.get("register") or {}).get("unit_code"),
    }


def pending(cur: Any) -> list[dict[str, Any]]:
    """Quarantined report files and low-confidence reports, oldest first, with their witnesses."""
    cur.execute(
        """select q.file_path, q.file_hash, q.reason_code, q.reason, q.record,
                  (select max(a.assigned_at) from ops.report_assignments a where a.file_hash = q.file_hash) as assigned_at
           from ops.quarantine q
           where q.source = 'reports' and q.resolved_at is null and q.row_number is null and q.reason_code = any(%s)
           order by q.quarantine_id""",
        (list(ASSIGNABLE),),
    )
    out = []
    for path, file_hash, code, reason, record, assigned_at in cur.fetchall():
        rec = record if isinstance(record, dict) else (json.loads(record) if record else None)
        out.append(
            {
                "kind": "quarantined",
                "file": path,
                "file_hash": file_hash,
                "reason_code": code,
                "reason": reason,
                "assigned_at": assigned_at,
                **_witnesses(rec),
            }
        )
    cur.execute(
        """select r.source_file, r.file_hash, r.unit_code, r.period_month, r.report_type, r.extraction
           from raw.reports r
           where r.extraction ->> 'confidence' = 'low'
             and not exists (select 1 from ops.report_assignments a where a.file_hash = r.file_hash)
           order by r.loaded_at"""
    )
    for path, file_hash, unit, month, rtype, extraction in cur.fetchall():
        ext = extraction if isinstance(extraction, dict) else json.loads(extraction or "{}")
        out.append(
            {
                "kind": "low_confidence",
                "file": path,
                "file_hash": file_hash,
                "reason_code": "low_confidence",
                "reason": f"Các nguồn xác định đơn vị không khớp nhau; máy chọn {unit} theo {ext.get('attribution')}.",
                "unit_code": unit,
                "period_month": month,
                "report_type": rtype,
                "assigned_at": None,
                "disagreement": ext.get("disagreement"),
                **_witnesses(ext),
            }
        )
    return out


def render_pending(items: list[dict[str, Any]]) -> str:
    """Reports waiting for a person; files the machine read as not a report in their own section
    («Tệp không phải báo cáo»), so they can still be assigned but do not clutter the list."""
    reports = [it for it in items if it["reason_code"] != "not_a_report"]
    strays = [it for it in items if it["reason_code"] == "not_a_report"]
    lines = [f"Báo cáo chờ người xử lý: {len(reports)}" if reports else "Không có báo cáo nào chờ người xử lý."]
    for it in reports:
        state = " (đã gán, chờ nạp lại)" if it.get("assigned_at") else ""
        lines.append(f"• {it['file']}{state}")
        lines.append(f"    lý do [{it['reason_code']}]: {it['reason']}")
        lines.append(f"    dòng cơ quan ban hành: {' / '.join(it['issuer_lines']) or '(không đọc được)'}")
        lines.append(f"    nơi gửi trong sổ công văn: {it['register_sender'] or '(không có dòng sổ nào ghi tệp này)'}")
        lines.append(f"    đơn vị đoán từ tên tệp: {it['file_name_guess'] or '(không đoán được)'}")
    if strays:
        lines.append(f"Tệp không phải báo cáo: {len(strays)} (gán nếu thật ra là báo cáo)")
        for it in strays:
            state = " (đã gán, chờ nạp lại)" if it.get("assigned_at") else ""
            lines.append(f"• {it['file']}{state}")
    if items:
        lines.append(
            "Ghi quyết định: dlxh reports assign TỆP --unit MÃ_ĐƠN_VỊ --month YYYY-MM [--type monthly|ad_hoc] [--why LÝ_DO],"
            " rồi nạp lại: dlxh ingest reports TỆP"
        )
    return "\n".join(lines)


def assign(
    cur: Any, path: Path, unit_code: str, month: date, report_type: str = "monthly", why: str | None = None, who: str | None = None
) -> dict[str, Any]:
    """Record a person's decision for the file at `path` (identified by its content hash)."""
    if not path.is_file():
        raise InputError(f"{path}: không có tệp này")
    if report_type not in ("monthly", "ad_hoc"):
        raise ConfigError(f"loại báo cáo «{report_type}» không hợp lệ (monthly hoặc ad_hoc)")
    registry = UnitRegistry.from_db(cur)
    code = registry.by_code(unit_code)
    if code is None:
        raise ConfigError(f"mã đơn vị «{unit_code}» không có trong danh mục đơn vị (xem raw.units / dlxh ingest units)")
    file_hash = sha256_file(path)
    who = who or getpass.getuser()
    cur.execute(
        """insert into ops.report_assignments (file_hash, file_path, unit_code, period_month, report_type, why, assigned_by)
           values (%s, %s, %s, %s, %s, %s, %s) returning assignment_id, assigned_at""",
        (file_hash, str(path), code, month.replace(day=1), report_type, why, who),
    )
    assignment_id, assigned_at = cur.fetchone()
    # A file already loaded is skipped as a duplicate by content hash: mark it so it is read again.
    cur.execute("update ops.files set status = 'assigned' where source = 'reports' and file_hash = %s", (file_hash,))
    return {
        "assignment_id": assignment_id,
        "file_hash": file_hash,
        "unit_code": code,
        "period_month": month.replace(day=1),
        "report_type": report_type,
        "why": why,
        "assigned_by": who,
        "assigned_at": assigned_at,
    }
