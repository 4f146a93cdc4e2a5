"""Match a report's issuing unit against the effective-dated registry (latest registry load).

Names are compared on OCR-tolerant keys (`matching.ocr_key`), with the usual abbreviations
expanded (LĐLĐ, CĐ, CĐN, CĐVC, TP) and the generic words of union bodies removed, so that
"LDLD huyén Tam Duong" and "Liên đoàn Lao động huyện Tam Đường" share the key "huyen tam duong".
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from ingestion.reports.matching import ocr_key, similar

_ABBREV = (
    (re.compile(r"\bcdvc\b"), "cong doan vien chuc"),
    (re.compile(r"\bcdn\b"), "cong doan nganh"),
    (re.compile(r"\bldld\b"), "lien doan lao dong"),
    (re.compile(r"\bcd\b"), "cong doan"),
    (re.compile(r"\btp\b"), "thanh pho"),
)
# Generic words of union bodies, removed before comparing (the place and level words stay).
_GENERIC = re.compile(r"\b(lien doan lao dong|cong doan)\b")
_CODE_TOKEN = re.compile(r"[A-Za-zĐđ]{2,6}(?:-[A-Za-zĐđ]{1,6})+|\b[A-Z]{3,6}\b")


@dataclass(frozen=True)
class UnitVersion:
    unit_code: str
    unit_name: str
    valid_from: date
    valid_to: date | None
    unit_type: str | None = None
    parent_code: str | None = None


def name_core(name: str) -> str:
    key = ocr_key(name)
    key = re.sub(r"[^0-9a-z ]+", " ", key)
    for pattern, full in _ABBREV:
        key = pattern.sub(full, key)
    return " ".join(_GENERIC.sub(" ", key).split())


class UnitRegistry:
    def __init__(self, versions: list[UnitVersion]):
        self.versions = versions
        self.codes = {v.unit_code for v in versions}
        self.parents = {v.unit_code: v.parent_code for v in versions if v.parent_code}

    @classmethod
    def from_db(cls, cur: Any) -> UnitRegistry:
        cur.execute(
            """select unit_code, unit_name, valid_from, valid_to, unit_type, parent_code from raw.units
               where load_id = (select max(load_id) from raw.units)"""
        )
        return cls([UnitVersion(*r) for r in cur.fetchall()])

    def by_code(self, code: str | None) -> str | None:
        if code and code.strip().upper() in self.codes:
            return code.strip().upper()
        return None

    def _versions_on(self, on: date | None) -> list[UnitVersion]:
        valid = [v for v in self.versions if on is None or (v.valid_from <= on and (v.valid_to is None or v.valid_to >= on))]
        return valid or self.versions

    def scores(self, name: str, on: date | None = None) -> dict[str, float]:
        core = name_core(name)
        if not core:
            return {}
        scored: dict[str, float] = {}
        for v in self._versions_on(on):
            vcore = name_core(v.unit_name)
            if not vcore:
                continue
            if vcore == core:
                ratio = 1.0
            elif f" {core} " in f" {vcore} " or f" {vcore} " in f" {core} ":
                # "huyen tam duong" within "huyen tam duong tinh lai chau" (or the other way round)
                ratio = 0.9
            else:
                ratio = similar(core, vcore)
            scored[v.unit_code] = max(scored.get(v.unit_code, 0.0), ratio)
        return scored

    def drop_parents(self, codes: set[str]) -> set[str]:
        """Of matched units, keep the most specific: a parent named above its child is not the issuer."""
        return {c for c in codes if not any(self.parents.get(other) == c for other in codes if other != c)}

    def match_name(self, name: str, on: date | None = None) -> tuple[str | None, list[str]]:
        """(code, []) for a unique accent-insensitive, OCR-tolerant match; (None, candidates) when several
        units match equally well (ambiguous); (None, []) when none does (unknown)."""
        ranked = sorted(self.scores(name, on).items(), key=lambda kv: -kv[1])
        if not ranked or ranked[0][1] < 0.8:
            return None, []
        best = ranked[0][1]
        # An exact key wins outright ("Tân Uyên" is not "Than Uyên"); otherwise near-equal scores are ambiguous.
        top = {c for c, s in ranked if s == 1.0} if best == 1.0 else {c for c, s in ranked if s >= best - 0.05 and s >= 0.8}
        top = self.drop_parents(top)
        if len(top) == 1:
            return top.pop(), []
        return None, sorted(top)

    def match_header(self, lines: list[str], on: date | None = None) -> tuple[str | None, list[str]]:
        """The issuing unit from a document's header lines (issuer block above the title).

        Each line may name a unit (by code or name); the parent line ("LĐLĐ TỈNH LAI CHÂU") is
        dropped in favour of the child below it. More than one remaining unit is ambiguous.
        """
        found: set[str] = set()
        candidates: list[str] = []
        unmatched_after_parent = False
        for line in lines:
            before = set(found)
            for token in _CODE_TOKEN.findall(line):
                code = self.by_code(token.replace("Đ", "D").replace("đ", "d"))
                if code:
                    found.add(code)
            if len(line) > 90:
                continue
            code, near = self.match_name(line, on)
            if code:
                found.add(code)
            else:
                candidates += near
            parent_lines = before and all(c in self.parents.values() for c in before)
            if found == before and parent_lines:
                unmatched_after_parent = True  # "LĐLĐ TỈNH" then a unit the registry does not know
        found = self.drop_parents(found)
        if unmatched_after_parent and all(c in self.parents.values() for c in found):
            return None, sorted(set(candidates))
        if len(found) == 1:
            return found.pop(), []
        return None, sorted(found) or sorted(set(candidates))
