"""OCR-tolerant matching keys for Vietnamese report text.

`dlxh.core.text.fold` removes diacritics; OCR additionally reads Đ as P or D ("Pang" for "Đảng",
"LPLD" for "LĐLĐ") and garbles vowels ("Huéng dan" for "Hướng dẫn"). `ocr_key` adds the
P/D equivalence (a Vietnamese syllable never starts with a bare "p", so the mapping is applied
the same way to both sides of every comparison); `fuzzy_find` then tolerates vowel damage.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from dataclasses import dataclass

from dlxh.core.text import fold, nfc

_P_NOT_PH = re.compile(r"p(?!h)")
_WORD = re.compile(r"[0-9a-z]+")


def ocr_key(text: str | None) -> str:
    """fold() plus the OCR confusion Đ -> P: every 'p' not followed by 'h' becomes 'd'."""
    return _P_NOT_PH.sub("d", fold(text))


def fold_keep(text: str) -> str:
    """A folded copy of `text` with exactly one character per input character (offsets align).

    Used to locate patterns accent-insensitively and then cut the original text at the same offsets.
    """
    out = []
    for ch in text:
        if ch in "Đđ":
            out.append("d")
            continue
        base = unicodedata.normalize("NFD", ch)[0].lower()
        out.append(base if len(base) == 1 else ch)
    return "".join(out)


def words(key: str) -> list[str]:
    return _WORD.findall(key)


@dataclass(frozen=True)
class Hit:
    start: int  # token index in the text
    end: int
    score: float


def fuzzy_find(phrase_key: str, tokens: list[str], threshold: float = 0.82, fuzzy: bool = True) -> Hit | None:
    """Best window of `tokens` (ocr_key words) matching `phrase_key`: exact first, then fuzzy.

    Fuzzy matching only applies to phrases of at least 8 letters whose words keep their first
    letters, so that short keywords ("bão", "lũ") or unrelated words never match by accident.
    """
    ptoks = words(phrase_key)
    if not ptoks:
        return None
    n = len(ptoks)
    target = " ".join(ptoks)
    first = ptoks[0]
    for i in range(len(tokens) - n + 1):
        if tokens[i] == first and tokens[i : i + n] == ptoks:
            return Hit(i, i + n, 1.0)
    if not fuzzy or len(target) < 8:
        return None
    sm = difflib.SequenceMatcher(autojunk=False)
    sm.set_seq2(target)
    best: Hit | None = None
    initials = [t[0] for t in ptoks]
    for i in range(len(tokens) - n + 1):
        # OCR garbles vowels and tone marks, rarely a word's first letter: windows must keep the initials.
        if [t[0] for t in tokens[i : i + n]] != initials:
            continue
        window = " ".join(tokens[i : i + n])
        if abs(len(window) - len(target)) > max(2, len(target) // 4):
            continue
        if len(target) < 12 and not _one_letter_off(tokens[i : i + n], ptoks):
            continue  # a short phrase ("việc làm") tolerates one damaged letter, not "việc lựa"
        sm.set_seq1(window)
        if sm.real_quick_ratio() < threshold or sm.quick_ratio() < threshold:
            continue
        score = sm.ratio()
        if score >= threshold and (best is None or score > best.score):
            best = Hit(i, i + n, score)
    return best


def _one_letter_off(window: list[str], phrase: list[str]) -> bool:
    """Same word lengths and at most one differing letter (OCR damage of a short phrase)."""
    if [len(w) for w in window] != [len(p) for p in phrase]:
        return False
    return sum(a != b for w, p in zip(window, phrase, strict=True) for a, b in zip(w, p, strict=True)) <= 1


def similar(a: str, b: str) -> float:
    return difflib.SequenceMatcher(None, a, b, autojunk=False).ratio()


# Abbreviations of union bodies as they appear in document numbers, OCR-damaged or not.
_DOC_ABBREV = {"ldld": "LĐLĐ", "cd": "CĐ", "cdn": "CĐN", "cdvc": "CĐVC", "cdcs": "CĐCS", "tld": "TLĐ"}
_DOC_PREFIX = re.compile(r"^\s*s[o6e]\s*[:.;]?\s*")


def normalize_doc_number(value: str | None) -> str | None:
    """'Số: 15/BC-LĐLĐ', '15 / BC-LDLD', 'so 15/bc-lpld' -> '15/BC-LĐLĐ' (NFC, upper case, no spaces).

    The same function normalises raw.reports.doc_number and raw.document_register.doc_number, so
    the register and the reports join on equal strings.
    """
    text = nfc(value)
    if not text:
        return None
    if not text[:1].isdigit() and (m := _DOC_PREFIX.match(fold_keep(text))):
        text = text[m.end() :]
    text = re.sub(r"\s+", "", text).upper()
    if not text:
        return None
    parts = re.split(r"([/\-])", text)
    fixed = []
    for part in parts:
        plain, damaged = fold(part), ocr_key(part)
        # "CP" (Chính phủ) stays; longer OCR-damaged forms like "LPLD" or "CPVC" are repaired.
        fixed.append(_DOC_ABBREV.get(plain) or (_DOC_ABBREV.get(damaged) if len(damaged) >= 3 else None) or part)
    joined = "".join(fixed)
    # A correction's letter suffix stays lower case as written: "21A/BC-LĐLĐ" -> "21a/BC-LĐLĐ".
    joined = re.sub(r"^(\d+)([A-Z])(?=/)", lambda m: m[1] + m[2].lower(), joined)
    return unicodedata.normalize("NFC", joined)
