"""The four parts of a report (situation, causes, forecast, proposals), found by their headings.

A heading is a short line, numbered in any style (I., II., 1., 1.2., a), -) or written in
capitals, whose words after the numbering start with a part's label, matched with OCR
tolerance ("NGUYEN NHAN", "Nguyén nhan", "III. DU BAO", "IV. PE XUAT, KIEN NGHI").
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ingestion.reference.matching import ocr_key, similar

PARTS = ("situation", "causes", "forecast", "proposals")
# Labels as ocr_key() renders them; longest first within a part.
LABELS: dict[str, tuple[str, ...]] = {
    "situation": ("tinh hinh tu tuong", "tinh hinh du luan", "tinh hinh", "thuc trang", "dien bien", "noi dung vu viec"),
    "causes": ("nguyen nhan",),
    "forecast": ("du bao tinh hinh", "du bao"),
    "proposals": ("de xuat kien nghi", "kien nghi de xuat", "de xuat", "kien nghi", "giai phap"),
}
_NUMBERING = re.compile(
    r"^\s*(?:[ivxl]{1,5}|[0-9]{1,2}(?:\.[0-9]{1,2})*|[a-h])\s*[.):/]\s*",
)
_END_MARKERS = ("noi nhan", "tm ban thuong vu", "t/m ban thuong vu", "tm. ban thuong vu", "chu tich", "kt. chu tich")
_MONTH_IN_LINE = re.compile(r"th[a-z]{2,4}\s*\d{1,2}\s*(?:n[a-z]{1,2}m?|/)\s*\d{4}")
MAX_HEADING_LEN = 110


@dataclass
class Parts:
    text: dict[str, str] = field(default_factory=dict)
    headings: dict[str, str] = field(default_factory=dict)  # part -> heading line as written

    def get(self, part: str) -> str | None:
        value = self.text.get(part, "").strip()
        return value or None


def heading_part(line: str) -> str | None:
    """Which part a line is the heading of, if it is one."""
    raw = line.strip()
    if not raw or len(raw) > MAX_HEADING_LEN:
        return None
    key = re.sub(r"^[^a-z0-9]+", "", ocr_key(raw))  # OCR noise before the numbering: "[II.", "'IV."
    numbered = _NUMBERING.match(key)
    # OCR reads the Roman numeral I as l, 1 or |; "Il." for "II.".
    if numbered is None:
        numbered = re.match(r"^\s*[il1|]{1,4}\s*[.)]\s*", key)
    letters = [c for c in raw if c.isalpha()]
    upper = bool(letters) and sum(c.isupper() for c in letters) / len(letters) > 0.8
    if numbered is None and not upper:
        return None
    body = key[numbered.end() :] if numbered else key
    body = re.sub(r"[^a-z0-9 ]+", " ", body)
    body = " ".join(body.split())
    if numbered is None and _MONTH_IN_LINE.search(body):
        return None  # an upper-case title line ("TÌNH HÌNH ... THÁNG 3 NĂM 2025") is not a part heading
    best: tuple[float, str] | None = None
    for part, labels in LABELS.items():
        for label in labels:
            prefix = body[: len(label)]
            score = 1.0 if prefix == label else similar(prefix, label)
            if prefix[:1] != label[:1]:
                continue  # OCR garbles vowels ("DY BAO", "NGUYÉN NHAN"), rarely the first letter
            if score >= 0.8 and (best is None or score > best[0]):
                best = (score, part)
    return best[1] if best else None


def split_parts(lines: list[str], start: int = 0) -> Parts:
    """Text under each part heading, from `start` up to the recipients/signature block."""
    parts = Parts()
    current: str | None = None
    seen: set[str] = set()
    for line in lines[start:]:
        key = ocr_key(line.strip())
        if any(key.startswith(m) for m in _END_MARKERS):
            break
        part = heading_part(line)
        if part is not None and part not in seen:
            # A heading of a part already left (e.g. "2. Tình hình lao động" inside the causes) is text.
            current = part
            seen.add(part)
            parts.headings.setdefault(part, line.strip())
            # A heading may carry its text after a colon: "II. Nguyên nhân: do ..."
            tail = line.split(":", 1)[1].strip() if ":" in line else ""
            if tail:
                parts.text[part] = (parts.text.get(part, "") + "\n" + tail).strip()
            continue
        if current is not None and line.strip():
            parts.text[current] = (parts.text.get(current, "") + "\n" + line.strip()).strip()
    return parts
