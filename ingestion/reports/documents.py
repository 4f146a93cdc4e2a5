"""Report documents (DOCX, PDF, scans, photos, OCR'd text): extraction lands in issue #3."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ingestion.reports.records import ReportRecord


class DocumentError(Exception):
    def __init__(self, reason_code: str, message: str, context: dict[str, Any] | None = None):
        super().__init__(message)
        self.reason_code = reason_code
        self.context = context


def parse_document(path: Path, data: bytes) -> ReportRecord:
    raise DocumentError(
        "unsupported_format",
        f"Chưa hỗ trợ đọc báo cáo dạng «{path.suffix}»; hãy gửi theo mẫu biểu có cấu trúc (CSV/XLSX, xem docs/report-form.md).",
    )
