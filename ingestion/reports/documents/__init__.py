"""Report documents (DOCX, PDF with text, scanned PDF, images, OCR'd text) -> ReportRecord.

Pipeline: `extract.extract_text` (per format, OCR via `ocr`) -> lines -> `header_fields`
(number, place-and-date, title, month, type, deadline, issuer lines) -> unit via the registry
-> `headings.split_parts` (the four parts) -> `topics.find_topics` (multi-label, hot spots).
"""

from __future__ import annotations

from pathlib import Path

from ingestion.reports.adhoc import AdhocRequest, match_request
from ingestion.reports.documents.errors import DocumentError
from ingestion.reports.documents.extract import ExtractedText, extract_text
from ingestion.reports.documents.header_fields import extract_header
from ingestion.reports.documents.headings import split_parts
from ingestion.reports.records import ReportRecord
from ingestion.reports.registry_lookup import UnitRegistry
from ingestion.reports.topics import find_topics

__all__ = ["DocumentError", "parse_document", "parse_text"]


def parse_document(path: Path, data: bytes, registry: UnitRegistry, adhoc: list[AdhocRequest] | None = None) -> ReportRecord:
    return parse_text(extract_text(path, data), registry, adhoc or [])


def parse_text(extracted: ExtractedText, registry: UnitRegistry, adhoc: list[AdhocRequest]) -> ReportRecord:
    lines = [ln.rstrip() for ln in extracted.text.splitlines()]
    header = extract_header(lines)
    context = {"source_format": extracted.source_format, "title": header.title, "issuer_lines": header.issuer_lines}
    if header.period_month is None:
        raise DocumentError(
            "missing_month",
            "Không tìm thấy tháng báo cáo trong tiêu đề văn bản (cần dạng «tháng 3 năm 2025», «tháng 03/2025» hoặc «T3/2025»): "
            "hãy sửa tiêu đề rồi gửi lại.",
            context,
        )
    unit_code, candidates = registry.match_header(header.issuer_lines, header.period_month)
    if unit_code is None:
        issuer = " / ".join(header.issuer_lines[:4]) or "(không có dòng cơ quan ban hành)"
        if candidates:
            raise DocumentError(
                "ambiguous_unit",
                f"Cơ quan ban hành «{issuer}» khớp với nhiều đơn vị ({', '.join(candidates)}): hãy ghi rõ tên đơn vị hoặc mã đơn vị.",
                {**context, "candidates": candidates},
            )
        raise DocumentError(
            "unknown_unit",
            f"Không xác định được đơn vị gửi báo cáo từ phần đầu văn bản («{issuer}»): tên không khớp đơn vị nào trong danh mục "
            "đang hiệu lực. Hãy kiểm tra tên đơn vị hoặc bổ sung đơn vị vào danh mục.",
            context,
        )
    due_at, request_code = None, None
    if header.report_type == "ad_hoc":
        due_at = header.stated_due_at
        request = match_request(adhoc, extracted.text, header.title, header.period_month)
        if request is not None:
            request_code = request.request_code
            due_at = due_at or request.due_at
        if due_at is None:
            raise DocumentError(
                "missing_due",
                "Báo cáo đột xuất không ghi hạn nộp và không khớp yêu cầu báo cáo đột xuất nào (seeds/adhoc_requests.csv): "
                "hãy bổ sung yêu cầu vào danh mục hoặc ghi rõ số công văn yêu cầu.",
                context,
            )
    body_start = (header.title_line_no or 0) + 1
    parts = split_parts(lines, body_start)
    body = "\n".join(lines[body_start:])
    topics = find_topics(body, tolerant=extracted.ocr)
    return ReportRecord(
        source_format=extracted.source_format,
        unit_code=unit_code,
        unit_name_raw=" / ".join(header.issuer_lines[:3]) or None,
        period_month=header.period_month,
        report_type=header.report_type,
        due_at=due_at,
        doc_number=header.doc_number,
        place_date_line=header.place_date_line,
        issued_on=header.issued_on,
        title=header.title,
        situation=parts.get("situation"),
        causes=parts.get("causes"),
        forecast=parts.get("forecast"),
        proposals=parts.get("proposals"),
        topics=topics,
        extraction={
            "method": extracted.source_format, "ocr": extracted.ocr, "encoding": extracted.encoding, "pages": extracted.pages,
            "month_evidence": header.month_evidence, "headings": parts.headings, "request_code": request_code,
            "issuer_lines": header.issuer_lines[:5],
        },
    )
