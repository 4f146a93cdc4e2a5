"""The one unit resolver: every reference to a unit (report headers, the register's sender column,
structured forms, survey unit questions, scan place columns, alert recipients) is matched here.

It matches the registry's codes (case and `_`/`-`/`.`/space insensitive), short names (the
registry's abbreviation column), full names, and the usual Vietnamese abbreviations (LĐLĐ, CĐ,
CĐN, CĐVC, TP., H.; `dlxh.core.names.org_key`), accent- and OCR-tolerant, and says which rule matched.
Two units matching equally well is an ambiguity, reported with both candidates, never a silent pick.

Rules, strongest first (`Resolution.rule`):

| rule           | example (registry: LDLD.TD «Liên đoàn Lao động huyện Tam Đường», short «LĐLĐ Tam Đường») |
|----------------|----------------------------------------------------------------------------------|
| code           | `ldld_td`, `LDLD-TD`                                                             |
| short_name     | `LDLD Tam Duong`                                                                 |
| name           | `LĐLĐ huyện Tam Đường`                                                           |
| name_core      | `Công đoàn huyện Tam Đường` (generic words of union bodies left out)             |
| name_part      | `LĐLĐ Tam Đường tỉnh Lai Châu`, `Tam Đường` (one name holds the other, whole words) |
| initials       | `CĐ ngành GD` for «Công đoàn ngành Giáo dục»                                    |
| level_part     | `LĐLĐ TP` when one unit only is a «thành phố» (level words alone, unique)         |
| fuzzy          | `LPLD huyén Tam Duong` (OCR damage), similarity ≥ 0.8                             |
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from dlxh.core.names import code_key, org_key

# Generic words of union bodies, removed before comparing (the place and level words stay).
_GENERIC = re.compile(r"\b(tong lien doan lao dong|lien doan lao dong|cong doan)\b")
_CODE_TOKEN = re.compile(r"[A-Za-zĐđ]{2,8}(?:[-_.][A-Za-z0-9Đđ]{1,8})+|\b[A-Z]{3,8}\b")
# Words that say a unit's level, not which unit it is: "LĐLĐ tỉnh" inside "BHXH tỉnh" names nothing.
LEVEL_WORDS = frozenset({"tinh", "huyen", "thanh", "pho", "thi", "xa", "nganh", "co", "so", "cap", "quan", "phuong"})
RULE_SCORES = {"code": 1.0, "short_name": 1.0, "name": 1.0, "name_core": 0.97, "name_part": 0.9, "initials": 0.86, "level_part": 0.8}
FUZZY_MIN = 0.8


@dataclass(frozen=True)
class UnitVersion:
    unit_code: str
    unit_name: str
    valid_from: date
    valid_to: date | None
    unit_type: str | None = None
    parent_code: str | None = None
    short_name: str | None = None


@dataclass(frozen=True)
class Resolution:
    """What a reference resolved to: a code and the rule that matched, or the candidates of an ambiguity."""

    text: str
    code: str | None
    rule: str | None = None
    score: float = 0.0
    candidates: tuple[str, ...] = ()

    @property
    def ambiguous(self) -> bool:
        return self.code is None and len(self.candidates) > 1


def name_core(name: str | None) -> str:
    """The distinctive words of a unit name: 'LĐLĐ huyện Tam Đường' -> 'huyen tam duong'."""
    return " ".join(_GENERIC.sub(" ", org_key(name, ocr=True)).split())


def _distinctive(core: str) -> bool:
    """A name core that says which unit, not only which level (not just 'tinh' or 'thanh pho')."""
    return any(w not in LEVEL_WORDS for w in core.split())


def _initials_match(short: list[str], full: list[str]) -> bool:
    """'nganh gd' ~ 'nganh giao duc (tinh lai chau)': each word of `short` is a word of `full` or
    the initials of the next words of `full`, in order, from the start, with one initials at least."""
    i = 0
    for word in short:
        if i < len(full) and full[i] == word:
            i += 1
            continue
        n = len(word)
        if n >= 2 and i + n <= len(full) and "".join(w[0] for w in full[i : i + n]) == word:
            i += n
            continue
        return False
    # The words matched must lead the name; what follows is the place ("… tỉnh Lai Châu").
    return len(short) < i <= len(full)


@dataclass
class _Keys:
    version: UnitVersion
    code: str
    names: tuple[str, ...]  # org keys of the full and short name
    cores: tuple[str, ...]
    short: str = ""
    core_words: tuple[tuple[str, ...], ...] = field(default_factory=tuple)


class UnitRegistry:
    """The effective-dated registry (latest registry load) and the rules above."""

    def __init__(self, versions: list[UnitVersion]):
        self.versions = versions
        self.codes = {v.unit_code for v in versions}
        self.parents = {v.unit_code: v.parent_code for v in versions if v.parent_code}
        self._by_code_key: dict[str, str] = {}
        for v in versions:
            self._by_code_key.setdefault(code_key(v.unit_code), v.unit_code)
        self._keys = [
            _Keys(
                v,
                code_key(v.unit_code),
                tuple(k for k in (org_key(v.unit_name, ocr=True), org_key(v.short_name, ocr=True)) if k),
                tuple(c for c in (name_core(v.unit_name), name_core(v.short_name)) if c),
                org_key(v.short_name, ocr=True),
            )
            for v in versions
        ]
        for k in self._keys:
            k.core_words = tuple(tuple(c.split()) for c in k.cores)

    @classmethod
    def from_db(cls, cur: Any) -> UnitRegistry:
        cur.execute(
            """select unit_code, unit_name, valid_from, valid_to, unit_type, parent_code, short_name from raw.units
               where load_id = (select max(load_id) from raw.units)"""
        )
        return cls([UnitVersion(*r) for r in cur.fetchall()])

    def by_code(self, code: str | None) -> str | None:
        """The registry code written as `code` (case and separators aside), or None."""
        if not code:
            return None
        return self._by_code_key.get(code_key(code)) if code_key(code) else None

    def name_of(self, code: str, on: date | None = None) -> str | None:
        versions = [v for v in self._versions_on(on) if v.unit_code == code]
        return versions[-1].unit_name if versions else None

    def _versions_on(self, on: date | None) -> list[UnitVersion]:
        valid = [v for v in self.versions if on is None or (v.valid_from <= on and (v.valid_to is None or v.valid_to >= on))]
        return valid or self.versions

    def _keys_on(self, on: date | None) -> list[_Keys]:
        if on is None:
            return self._keys
        valid = [k for k in self._keys if k.version.valid_from <= on and (k.version.valid_to is None or k.version.valid_to >= on)]
        return valid or self._keys

    def _rule_scores(self, text: str, on: date | None) -> dict[str, tuple[float, str]]:
        """unit code -> (score, rule) for every unit `text` may name."""
        key = org_key(text, ocr=True)
        core = name_core(text)
        if not key:
            return {}
        words = core.split()
        distinctive = _distinctive(core)
        scored: dict[str, tuple[float, str]] = {}

        def offer(code: str, score: float, rule: str) -> None:
            if score > scored.get(code, (0.0, ""))[0]:
                scored[code] = (score, rule)

        for k in self._keys_on(on):
            code = k.version.unit_code
            if k.short and key == k.short:
                offer(code, RULE_SCORES["short_name"], "short_name")
                continue
            if key in k.names:
                offer(code, RULE_SCORES["name"], "name")
                continue
            if not core:
                continue
            if core in k.cores:
                offer(code, RULE_SCORES["name_core"], "name_core")
                continue
            padded = f" {core} "
            if any((padded in f" {c} " and distinctive) or (f" {c} " in padded and _distinctive(c)) for c in k.cores):
                offer(code, RULE_SCORES["name_part"], "name_part")
                continue
            if any(f" {c} ".startswith(padded) for c in k.cores):
                # Only level words leading a name ("LĐLĐ TP" = "thành phố …", "LĐLĐ tỉnh" = "tỉnh …"):
                # names a unit only when one unit's name starts so.
                offer(code, RULE_SCORES["level_part"], "level_part")
                continue
            if any(_initials_match(words, list(cw)) for cw in k.core_words):
                offer(code, RULE_SCORES["initials"], "initials")
                continue
            ratio = max((difflib.SequenceMatcher(None, core, c, autojunk=False).ratio() for c in k.cores), default=0.0)
            if ratio >= FUZZY_MIN:
                offer(code, min(ratio, 0.85), "fuzzy")
        return scored

    def scores(self, name: str, on: date | None = None) -> dict[str, float]:
        return {code: s for code, (s, _) in self._rule_scores(name, on).items()}

    def drop_parents(self, codes: set[str]) -> set[str]:
        """Of matched units, keep the most specific: a parent named above its child is not the issuer."""
        return {c for c in codes if not any(self.parents.get(other) == c for other in codes if other != c)}

    def resolve(self, text: str | None, on: date | None = None) -> Resolution:
        """A unit reference as written (code, short name, name, abbreviation) -> Resolution."""
        raw = (text or "").strip()
        if not raw:
            return Resolution(raw, None)
        code = self.by_code(raw)
        if code:
            return Resolution(raw, code, "code", 1.0)
        ranked = sorted(self._rule_scores(raw, on).items(), key=lambda kv: -kv[1][0])
        if not ranked:
            return Resolution(raw, None)
        best_score, best_rule = ranked[0][1]
        if best_score >= 0.97:
            # An exact key wins outright ("Tân Uyên" is not "Than Uyên").
            top = {c for c, (s, _) in ranked if s == best_score}
        else:
            top = {c for c, (s, _) in ranked if s >= best_score - 0.05}
        if best_rule != "level_part":  # "LĐLĐ tỉnh" matching the province and its one sector union names neither
            top = self.drop_parents(top)
        if len(top) == 1:
            return Resolution(raw, top.pop(), best_rule, best_score)
        return Resolution(raw, None, best_rule, best_score, tuple(sorted(top)))

    def match_name(self, name: str, on: date | None = None) -> tuple[str | None, list[str]]:
        """(code, []) for a unique match; (None, candidates) when ambiguous; (None, []) when unknown."""
        res = self.resolve(name, on)
        return res.code, list(res.candidates)

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
                code = self.by_code(token)
                if code:
                    found.add(code)
            if len(line) > 90:
                continue
            res = self.resolve(line, on)
            if res.code:
                found.add(res.code)
            else:
                candidates += res.candidates
            parent_lines = before and all(c in self.parents.values() for c in before)
            if found == before and parent_lines:
                unmatched_after_parent = True  # "LĐLĐ TỈNH" then a unit the registry does not know
        found = self.drop_parents(found)
        if unmatched_after_parent and all(c in self.parents.values() for c in found):
            return None, sorted(set(candidates))
        if len(found) == 1:
            return found.pop(), []
        return None, sorted(found) or sorted(set(candidates))
