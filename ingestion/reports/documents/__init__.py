"""Report documents (DOCX, PDF with text, scanned PDF, images, OCR'd text) -> ReportRecord.

Pipeline: `extract.extract_text` (per format, OCR via `ocr`) -> lines -> `header_fields`
(flattened two-column header split back into its columns; number, place-and-date, title,
month, type, deadline, issuer lines) -> unit from every witness (`decide_unit`) ->
`headings.split_parts` (the four parts) -> `topics.find_topics` (multi-label, hot spots).

A file that does not look like a report at all (no "BÁO CÁO" title and no administrative
header) is rejected as `not_a_report`; a person's assignment (`dlxh reports assign`) settles
unit, month and type for a file the machine cannot attribute.
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

from ingestion.reference.topics import find_topics
from ingestion.reference.units import UnitRegistry
from ingestion.reports.adhoc import AdhocRequest, match_request
from ingestion.reports.documents.errors import DocumentError
from ingestion.reports.documents.extract import ExtractedText, extract_text
from ingestion.reports.documents.header_fields import HeaderFields, extract_header
from ingestion.reports.documents.headings import split_parts
from ingestion.reports.records import ReportRecord, TopicMention

__all__ = ["PRECEDENCE", "DocumentError", "decide_unit", "parse_document", "parse_text"]

# Precedence when witnesses disagree: what the document says about itself first, then what the
# office wrote in the register when the file arrived, then the file name (often typed by someone
# else on the way). The digital-signature stamp ("Ký bởi: ...") only counts when nothing else names a unit.
PRECEDENCE = ("header", "register", "file_name")


def parse_document(
    path: Path,
    data: bytes,
    registry: UnitRegistry,
    adhoc: list[AdhocRequest] | None = None,
    register_sender: str | None = None,
    assignment: dict | None = None,
    extracted: ExtractedText | None = None,
) -> ReportRecord:
    """`register_sender`: the register's «Nơi gửi» of the row whose attachment is this file;
    `assignment`: a person's decision (ops.report_assignments) that settles unit, month and type;
    `extracted`: the file's text when it was already extracted from `data` (read ahead, `ahead.py`)."""
    return parse_text(
        extracted if extracted is not None else extract_text(path, data),
        registry,
        adhoc or [],
        file_name=path.name,
        register_sender=register_sender,
        assignment=assignment,
    )


def parse_text(
    extracted: ExtractedText,
    registry: UnitRegistry,
    adhoc: list[AdhocRequest],
    file_name: str | None = None,
    register_sender: str | None = None,
    assignment: dict | None = None,
) -> ReportRecord:
    lines = [ln.rstrip() for ln in extracted.text.replace("\f", "\n").splitlines()]
    header = extract_header(lines)
    context = {
        "source_format": extracted.source_format,
        "title": header.title,
        "issuer_lines": header.issuer_lines,
        "file_name": file_name,
        "register_sender": register_sender,
    }
    if not assignment and header.title_line_no is None and not (header.doc_number or header.place_date_line or header.motto_seen):
        raise DocumentError(
            "not_a_report",
            "Tệp không phải báo cáo của đơn vị: không có tiêu đề «BÁO CÁO», không có số văn bản, địa danh - ngày tháng "
            "hay quốc hiệu ở phần đầu. Nếu đây đúng là một báo cáo, hãy dùng «dlxh reports assign» để ghi đơn vị và tháng.",
            context,
        )
    month = header.period_month
    if assignment:
        month = assignment["period_month"]
        if isinstance(month, str):
            month = date.fromisoformat(month[:10])
    if month is None:
        raise DocumentError(
            "missing_month",
            "Không tìm thấy tháng báo cáo trong tiêu đề văn bản (cần dạng «tháng 3 năm 2025», «tháng 03/2025» hoặc «T3/2025»): "
            "hãy sửa tiêu đề rồi gửi lại, hoặc dùng «dlxh reports assign».",
            context,
        )
    decision = decide_unit(registry, header, month, file_name, register_sender)
    if assignment:
        decision = {
            **decision,
            "unit_code": assignment["unit_code"],
            "attribution": "manual",
            "confidence": "manual",
            "assignment": {k: str(v) for k, v in assignment.items()},
        }
    unit_code = decision["unit_code"]
    if unit_code is None:
        _raise_unknown_unit(header, decision, context)
    report_type = (assignment or {}).get("report_type") or header.report_type
    due_at, request_code = None, None
    if report_type == "ad_hoc":
        due_at = header.stated_due_at
        request = match_request(adhoc, extracted.text, header.title, month)
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
    body_start = (header.title_line_no or 0) + 1 if header.title_line_no is not None else 0
    parts = split_parts(lines, body_start)
    body = "\n".join(lines[body_start:])
    topics = find_topics(body, tolerant=extracted.ocr)
    if report_type == "ad_hoc" and header.title:
        # An ad-hoc report exists because of a flashpoint: the topics its title names (the event
        # it reports: "... ngừng việc tập thể do bị nợ lương") are hot spots of the unit's month.
        title_topics = {t.topic_code: t for t in find_topics(header.title, tolerant=True)}
        for t in topics:
            if t.topic_code in title_topics:
                t.is_hot_spot = True
        known = {t.topic_code for t in topics}
        topics += [TopicMention(c, t.evidence, True) for c, t in title_topics.items() if c not in known]
    return ReportRecord(
        source_format=extracted.source_format,
        unit_code=unit_code,
        unit_name_raw=" / ".join(header.issuer_lines[:3]) or None,
        period_month=month,
        report_type=report_type,
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
            "method": extracted.source_format,
            "ocr": extracted.ocr,
            "encoding": extracted.encoding,
            "pages": extracted.pages,
            "month_evidence": header.month_evidence,
            "headings": parts.headings,
            "request_code": request_code,
            "issuer_lines": header.issuer_lines[:5],
            "replaces_doc_number": header.replaces_doc_number,
            "signer_lines": header.signer_lines,
            "header_layout": header.layout,
            "attribution": decision["attribution"],
            "confidence": decision["confidence"],
            "witnesses": decision["witnesses"],
            "disagreement": decision["disagreement"],
            **({"assignment": decision["assignment"]} if "assignment" in decision else {}),
        },
    )


def _raise_unknown_unit(header: HeaderFields, decision: dict, context: dict) -> None:
    """Say which witness failed: no issuer line read at all, or an issuer the registry does not know."""
    issuer = " / ".join(header.issuer_lines[:4])
    ctx = {**context, "witnesses": decision["witnesses"]}
    if decision["header_candidates"]:
        raise DocumentError(
            "ambiguous_unit",
            f"Cơ quan ban hành «{issuer}» khớp với nhiều đơn vị ({', '.join(decision['header_candidates'])}): "
            "hãy ghi rõ tên đơn vị hoặc dùng «dlxh reports assign».",
            {**ctx, "candidates": decision["header_candidates"]},
        )
    if not header.issuer_lines:
        raise DocumentError(
            "unknown_unit",
            "Không đọc được phần đầu văn bản: không tìm thấy dòng cơ quan ban hành nào phía trên tiêu đề «BÁO CÁO» "
            "(bản quét mờ hoặc bố cục lạ); sổ công văn đến và tên tệp cũng không cho biết đơn vị. "
            "Danh mục đơn vị không cần sửa: hãy dùng «dlxh reports assign» để ghi đơn vị cho tệp này.",
            ctx,
        )
    raise DocumentError(
        "unknown_unit",
        f"Phần đầu văn bản ghi cơ quan ban hành «{issuer}», nhưng tên này không khớp đơn vị nào trong danh mục đang hiệu lực "
        "(sổ công văn đến và tên tệp cũng không cho biết đơn vị). Nếu đây là đơn vị mới, hãy bổ sung vào danh mục; "
        "nếu không, hãy dùng «dlxh reports assign».",
        ctx,
    )


def decide_unit(
    registry: UnitRegistry, header: HeaderFields, month: date | None, file_name: str | None, register_sender: str | None
) -> dict:
    """The issuing unit from every witness, all matched with the one UnitRegistry.

    Witnesses: the header's issuer lines (`match_header`), the digital-signature stamp
    ("Ký bởi: ..."), the register's sender for the row whose attachment is this file, and the
    file name (word windows of its stem). The unit is the first witness in PRECEDENCE that names
    one unit (the stamp only when none does). Confidence: "high" when the header names it and no
    other witness disagrees; "medium" when a lower witness names it and nothing disagrees; "low"
    on any disagreement, which is written to the extraction json and listed by
    `dlxh reports pending`, never resolved silently.
    """
    witnesses: dict[str, dict] = {}
    code, candidates = registry.match_header(header.issuer_lines, month) if header.issuer_lines else (None, [])
    witnesses["header"] = {"text": header.issuer_lines[:4], "unit_code": code, "candidates": candidates}
    if header.signer_lines:
        witnesses["signature"] = {"text": header.signer_lines[0], "unit_code": registry.match_name(header.signer_lines[0], month)[0]}
    if register_sender:
        reg = registry.by_code(register_sender) or registry.match_name(register_sender, month)[0]
        witnesses["register"] = {"text": register_sender, "unit_code": reg}
    if file_name:
        witnesses["file_name"] = {"text": file_name, "unit_code": unit_from_file_name(registry, file_name, month)}
    named = {k: w["unit_code"] for k, w in witnesses.items() if w.get("unit_code")}
    chosen, attribution = None, None
    for k in (*PRECEDENCE, "signature"):
        if named.get(k):
            chosen, attribution = named[k], k
            break
    others = {k: c for k, c in named.items() if c != chosen}
    if chosen is None:
        confidence = None
    elif others:
        confidence = "low"
    else:
        confidence = "high" if attribution == "header" else "medium"
    return {
        "unit_code": chosen,
        "attribution": attribution,
        "confidence": confidence,
        "witnesses": witnesses,
        "disagreement": {"chosen": chosen, "by": attribution, "others": others} if others and chosen else None,
        "header_candidates": candidates if chosen is None else [],
    }


def unit_from_file_name(registry: UnitRegistry, file_name: str, month: date | None) -> str | None:
    """A unit named in a file name ("BC T5-2025 LDLD Tan Uyen.pdf"): word windows of 2-5 words
    without digits (longest first), each matched with the registry; one unit or none."""
    stem = Path(file_name).stem
    tokens = [t for t in re.split(r"[\s_.\-()]+", stem) if t]
    found: set[str] = set()
    for t in tokens:
        code = registry.by_code(t)
        if code:
            found.add(code)
    for size in (5, 4, 3, 2):
        if found:
            break
        for i in range(len(tokens) - size + 1):
            window = tokens[i : i + size]
            if any(any(ch.isdigit() for ch in t) for t in window):
                continue
            code = registry.match_name(" ".join(window), month)[0]
            if code:
                found.add(code)
    found = registry.drop_parents(found)
    return found.pop() if len(found) == 1 else None
