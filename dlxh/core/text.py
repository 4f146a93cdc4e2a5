"""Vietnamese text helpers: NFC storage, accent-insensitive and OCR-tolerant matching keys."""

from __future__ import annotations

import re
import unicodedata
from typing import overload

_SPACES = re.compile(r"\s+")
_NON_ALNUM = re.compile(r"[^0-9a-z]+")


@overload
def nfc(text: str) -> str: ...
@overload
def nfc(text: None) -> None: ...
@overload
def nfc(text: str | None) -> str | None: ...


def nfc(text: str | None) -> str | None:
    """What is stored: the original text in NFC, with stray whitespace trimmed."""
    if text is None:
        return None
    return unicodedata.normalize("NFC", text).replace("\ufeff", "").strip()


def fold(text: str | None) -> str:
    """Accent-insensitive key: lower case, no diacritics, đ -> d, single spaces."""
    if not text:
        return ""
    decomposed = unicodedata.normalize("NFD", text.replace("Đ", "D").replace("đ", "d").replace("Ð", "D"))
    stripped = "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn")
    return _SPACES.sub(" ", stripped.lower()).strip()


def slug(text: str | None) -> str:
    """Folded key with only [0-9a-z_]: 'Tên đơn vị' -> 'ten_don_vi'."""
    return _NON_ALNUM.sub("_", fold(text)).strip("_")
