"""The federation's structured report form (CSV, XLSX, JSON): one row per opinion item.

See docs/report-form.md for the template. Rows of the same unit, month, type, document number
and received time form one report; its four parts are the items' situation, cause, forecast
and proposal texts.
"""

from __future__ import annotations

import json
from collections import OrderedDict
from pathlib import Path

from dlxh.core.parsing import parse_bool_vi, parse_local_datetime, parse_month
from dlxh.core.tabular import Table, decode_bytes, iter_cells
from dlxh.core.text import fold, nfc
from ingestion.framework import Quarantined
from ingestion.reference.matching import normalize_doc_number
from ingestion.reference.topics import resolve_topic
from ingestion.reports.records import ReportItem, ReportRecord, TopicMention

ALIASES: dict[str, set[str]] = {
    "unit_code": {"ma_don_vi", "ma_dv", "unit_code", "unit"},
    "unit_name": {"ten_don_vi", "don_vi", "ten_dv", "unit_name", "don_vi_bao_cao"},
    "period": {"ky_bao_cao", "thang_bao_cao", "thang", "period", "period_month", "month", "report_month"},
    "report_type": {"loai_bao_cao", "loai", "report_type", "type"},
    "due_at": {"han_nop", "han_bao_cao", "due_at", "deadline"},
    "doc_number": {"so_van_ban", "so_bao_cao", "so", "doc_number", "document_number"},
    "received_at": {
        "thoi_gian_nhan",
        "ngay_nhan",
        "thoi_gian_gui",
        "ngay_gui",
        "received_at",
        "submitted_at",
        "timestamp",
        "dau_thoi_gian",
    },
    "topic": {"chu_de", "linh_vuc", "topic"},
    "summary": {"tinh_hinh", "noi_dung", "tom_tat", "luong_y_kien", "summary", "situation", "tom_tat_luong_y_kien"},
    "sentiment": {"sac_thai", "chieu_huong", "sentiment", "tinh_chat"},
    "hot_spot": {"diem_nong", "hot_spot", "is_hot_spot"},
    "cause": {"nguyen_nhan", "cause", "causes"},
    "forecast": {"du_bao", "forecast"},
    "proposal": {"de_xuat_kien_nghi", "de_xuat", "kien_nghi", "proposal", "proposals"},
}
LABELS = {
    "unit_code": "Mã đơn vị",
    "unit_name": "Tên đơn vị",
    "period": "Kỳ báo cáo",
    "report_type": "Loại báo cáo",
    "due_at": "Hạn nộp",
    "doc_number": "Số văn bản",
    "received_at": "Thời gian nhận",
    "topic": "Chủ đề",
    "summary": "Tình hình",
    "sentiment": "Sắc thái",
    "hot_spot": "Điểm nóng",
    "cause": "Nguyên nhân",
    "forecast": "Dự báo",
    "proposal": "Đề xuất, kiến nghị",
}
SENTIMENTS = {
    "tich cuc": "tich_cuc",
    "positive": "tich_cuc",
    "+": "tich_cuc",
    "1": "tich_cuc",
    "trung lap": "trung_lap",
    "neutral": "trung_lap",
    "0": "trung_lap",
    "binh thuong": "trung_lap",
    "tieu cuc": "tieu_cuc",
    "negative": "tieu_cuc",
    "-": "tieu_cuc",
    "-1": "tieu_cuc",
}


def flatten_online_form(data: bytes) -> bytes | None:
    """An online-form export that nests the opinion items under the report's fields
    (``{"unit_code": .., "period": .., "items": [{..}, ..]}``, or a list of such objects) as flat rows.

    Returns None when the JSON is already flat (or not JSON at all: read_table reports that).
    """
    try:
        doc = json.loads(decode_bytes(data)[0])
    except (UnicodeDecodeError, json.JSONDecodeError):
        return None
    reports = doc if isinstance(doc, list) else [doc]
    if not reports or not all(isinstance(r, dict) for r in reports):
        return None
    flat: list[dict] = []
    nested = False
    for r in reports:
        lists = [k for k, v in r.items() if isinstance(v, list) and v and all(isinstance(i, dict) for i in v)]
        if not lists:
            flat.append(r)
            continue
        nested = True
        head = {k: v for k, v in r.items() if k not in lists}
        for item in r[lists[0]]:
            flat.append({**head, **item})
    return json.dumps(flat, ensure_ascii=False).encode("utf-8") if nested else None


def is_form(table: Table) -> bool:
    index = table.header_index(ALIASES)
    return "period" in index and ("unit_code" in index or "unit_name" in index)


def parse_report_type(value: str) -> str:
    key = fold(value).replace("_", " ")
    if key in ("", "thang", "dinh ky", "bao cao thang", "monthly", "hang thang"):
        return "monthly"
    if key in ("dot xuat", "bao cao dot xuat", "ad hoc", "adhoc", "ad-hoc"):
        return "ad_hoc"
    raise ValueError(f"loại báo cáo «{value}» không hợp lệ (dùng «tháng» hoặc «đột xuất»)")


def parse_form(path: Path, table: Table) -> tuple[list[ReportRecord], list[Quarantined], int]:
    """Group form rows into reports. Returns (reports, quarantined rows, rows read)."""
    index = table.header_index(ALIASES)
    fmt = {".xlsx": "xlsx_form", ".xlsm": "xlsx_form", ".json": "json_form", ".jsonl": "json_form"}.get(path.suffix.lower(), "csv_form")
    groups: OrderedDict[tuple, ReportRecord] = OrderedDict()
    quarantined: list[Quarantined] = []
    rows_read = 0
    for row_number, rec in iter_cells(table, index):
        rows_read += 1
        try:
            if not rec.get("period"):
                raise _FieldError("period", "missing_month", "Thiếu «Kỳ báo cáo» (tháng báo cáo).")
            try:
                month = parse_month(rec["period"])
            except ValueError as exc:
                raise _FieldError("period", "bad_month", f"{exc}.") from exc
            try:
                rtype = parse_report_type(rec.get("report_type", ""))
            except ValueError as exc:
                raise _FieldError("report_type", "bad_report_type", f"{exc}.") from exc
            received = due = None
            try:
                if rec.get("received_at"):
                    received = parse_local_datetime(rec["received_at"], "Thời gian nhận")
            except ValueError as exc:
                raise _FieldError("received_at", "bad_datetime", f"{exc}.") from exc
            try:
                if rec.get("due_at"):
                    due = parse_local_datetime(rec["due_at"], "Hạn nộp")
            except ValueError as exc:
                raise _FieldError("due_at", "bad_datetime", f"{exc}.") from exc
            if rtype == "ad_hoc" and due is None:
                raise _FieldError("due_at", "missing_due", "Báo cáo đột xuất cần có «Hạn nộp» riêng.")
            sentiment = None
            if rec.get("sentiment"):
                sentiment = SENTIMENTS.get(fold(rec["sentiment"]))
                if sentiment is None:
                    raise _FieldError(
                        "sentiment", "bad_sentiment", f"Sắc thái «{rec['sentiment']}» không hợp lệ (dùng tích cực / trung lập / tiêu cực)."
                    )
            try:
                hot = parse_bool_vi(rec.get("hot_spot", ""))
            except ValueError as exc:
                raise _FieldError("hot_spot", "bad_flag", f"{exc}.") from exc
            topic_code = resolve_topic(rec.get("topic"))
            if rec.get("topic") and topic_code is None:
                raise _FieldError("topic", "unknown_topic", f"Chủ đề «{rec['topic']}» không có trong danh mục chủ đề (T01–T12).")
        except _FieldError as err:
            quarantined.append(Quarantined(err.code, err.message, row_number, err.field, rec))
            continue
        unit_code = (rec.get("unit_code") or "").strip().upper() or None
        doc_number = normalize_doc_number(rec.get("doc_number"))
        key = (unit_code, nfc(rec.get("unit_name")), month, rtype, due, doc_number, received)
        report = groups.get(key)
        if report is None:
            report = groups[key] = ReportRecord(
                source_format=fmt,
                unit_code=unit_code,
                unit_name_raw=nfc(rec.get("unit_name")) or None,
                period_month=month,
                report_type=rtype,
                due_at=due,
                doc_number=doc_number,
                form_received_at=received,
            )
        item = ReportItem(
            item_no=len(report.items) + 1,
            topic_raw=nfc(rec.get("topic")) or None,
            topic_code=topic_code,
            summary=nfc(rec.get("summary")) or None,
            sentiment=sentiment,
            is_hot_spot=hot,
            cause=nfc(rec.get("cause")) or None,
            forecast=nfc(rec.get("forecast")) or None,
            proposal=nfc(rec.get("proposal")) or None,
        )
        report.items.append(item)
        report.row_numbers.append(row_number)
    for report in groups.values():
        report.situation = _join(i.summary for i in report.items)
        report.causes = _join(i.cause for i in report.items)
        report.forecast = _join(i.forecast for i in report.items)
        report.proposals = _join(i.proposal for i in report.items)
        seen: dict[str, TopicMention] = {}
        for i in report.items:
            if i.topic_code:
                m = seen.setdefault(i.topic_code, TopicMention(i.topic_code, (i.summary or i.topic_raw or "")[:200]))
                m.is_hot_spot = m.is_hot_spot or i.is_hot_spot
        report.topics = list(seen.values())
    return list(groups.values()), quarantined, rows_read


def _join(parts) -> str | None:
    texts = [p for p in parts if p]
    return "\n".join(texts) if texts else None


class _FieldError(Exception):
    def __init__(self, field: str, code: str, message: str):
        super().__init__(message)
        self.field, self.code, self.message = field, code, message
