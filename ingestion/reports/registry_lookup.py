"""Match a report's issuing unit against the effective-dated registry (latest registry load)."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from dlxh.text import fold

# Words that carry no identity in unit names (folded); removed before fuzzy comparison.
_NOISE = re.compile(r"\b(lien doan lao dong|ldld|cong doan|cd|huyen|thanh pho|tp|tinh|lai chau)\b")


@dataclass(frozen=True)
class UnitVersion:
    unit_code: str
    unit_name: str
    valid_from: date
    valid_to: date | None


class UnitRegistry:
    def __init__(self, versions: list[UnitVersion]):
        self.versions = versions
        self.codes = {v.unit_code for v in versions}

    @classmethod
    def from_db(cls, cur: Any) -> UnitRegistry:
        cur.execute(
            """select unit_code, unit_name, valid_from, valid_to from raw.units
               where load_id = (select max(load_id) from raw.units)"""
        )
        return cls([UnitVersion(*r) for r in cur.fetchall()])

    def by_code(self, code: str | None) -> str | None:
        if code and code.strip().upper() in self.codes:
            return code.strip().upper()
        return None

    def match_name(self, name: str, on: date | None = None) -> tuple[str | None, list[str]]:
        """(code, candidates): a unique accent-insensitive, OCR-tolerant match, else None with the candidates."""
        key = fold(name)
        versions = [v for v in self.versions if on is None or (v.valid_from <= on and (v.valid_to is None or v.valid_to >= on))] or self.versions
        exact = {v.unit_code for v in versions if fold(v.unit_name) == key}
        if len(exact) == 1:
            return exact.pop(), []
        core = _NOISE.sub(" ", key).split()
        core_key = " ".join(core)
        scored: dict[str, float] = {}
        for v in versions:
            vcore = " ".join(_NOISE.sub(" ", fold(v.unit_name)).split())
            if not vcore:
                continue
            ratio = difflib.SequenceMatcher(None, core_key, vcore).ratio()
            if vcore and vcore in core_key:
                ratio = max(ratio, 0.95)
            scored[v.unit_code] = max(scored.get(v.unit_code, 0.0), ratio)
        ranked = sorted(scored.items(), key=lambda kv: -kv[1])
        if ranked and ranked[0][1] >= 0.8 and (len(ranked) == 1 or ranked[0][1] - ranked[1][1] >= 0.1):
            return ranked[0][0], []
        return None, [c for c, s in ranked[:3] if s >= 0.6]
