"""Keys for the names of union bodies as Vietnamese offices write them.

Offices abbreviate everywhere: LĐLĐ (Liên đoàn Lao động), CĐ (Công đoàn), CĐN (Công đoàn
ngành), CĐVC (Công đoàn Viên chức), CĐCS (Công đoàn cơ sở), TP./Tp (thành phố), H./h. (huyện),
TX (thị xã), and drop the diacritics in file names and codes ("LDLD", "cd_nganh"). `org_key`
folds all of these to one spelling, so "CĐ ngành", "cd_nganh" and "Công đoàn ngành" compare equal.
OCR reads Đ as P ("LPLD"): with `ocr=True` every 'p' not followed by 'h' is read as 'd' too
(a Vietnamese syllable never starts with a bare 'p'); apply it to both sides of a comparison.
"""

from __future__ import annotations

import re

from dlxh.core.text import fold

_P_NOT_PH = re.compile(r"p(?!h)")
_SEPARATORS = re.compile(r"[^0-9a-z]+")
# Longest first; applied to whole words of the folded text.
ABBREVIATIONS: tuple[tuple[str, str], ...] = (
    ("tldld", "tong lien doan lao dong"),
    ("ldld", "lien doan lao dong"),
    ("cdvc", "cong doan vien chuc"),
    ("cdcs", "cong doan co so"),
    ("cdn", "cong doan nganh"),
    ("cd", "cong doan"),
    ("tp", "thanh pho"),
    ("tx", "thi xa"),
    ("h", "huyen"),
)
_ABBREV = dict(ABBREVIATIONS)
# "LĐLĐVN", "LĐLĐ.TP": abbreviations glued to the next word.
_GLUED = re.compile(r"\b(ldld|cdvc|cdcs|cdn)(?=[a-z])")


def ocr_fold(text: str | None) -> str:
    """fold() plus the OCR confusion Đ -> P."""
    return _P_NOT_PH.sub("d", fold(text))


def org_key(text: str | None, ocr: bool = False) -> str:
    """Folded words of an organisation name with the usual abbreviations written out.

    'LĐLĐ h. Mường Tè' -> 'lien doan lao dong huyen muong te'; 'cd_nganh' -> 'cong doan nganh'.
    With `ocr`, a word's bare 'p' is read as 'd' ('LPLD' -> 'ldld'), after abbreviations are
    written out ('TP' stays 'thanh pho', never 'td').
    """
    key = _GLUED.sub(r"\1 ", _SEPARATORS.sub(" ", fold(text)))
    words = []
    for word in key.split():
        if word in _ABBREV:
            words.append(_ABBREV[word])
        elif ocr:
            repaired = _P_NOT_PH.sub("d", word)
            words.append(_ABBREV.get(repaired, repaired))
        else:
            words.append(word)
    return " ".join(words)


def code_key(code: str | None) -> str:
    """A unit code compared case- and separator-insensitively: 'ldld_tp', 'LDLD-TP', 'LDLD.TP' -> 'LDLDTP'."""
    return re.sub(r"[^0-9A-Z]+", "", fold(code).upper())
