"""The error every document parser raises for a file a person has to fix (quarantined, never a crash)."""

from __future__ import annotations

from typing import Any


class DocumentError(Exception):
    """`reason_code` for ops.quarantine, message in Vietnamese saying what to do."""

    def __init__(self, reason_code: str, message: str, context: dict[str, Any] | None = None):
        super().__init__(message)
        self.reason_code = reason_code
        self.context = context
