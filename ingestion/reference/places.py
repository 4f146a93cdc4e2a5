"""The gazetteer: place names -> registry unit codes, effective-dated.

Built from two sources, both keyed by the registry's own codes:

* the registry itself: the place in the name of each unit whose type is territorial
  (`unit_types.csv` `is_territorial`): «Liên đoàn Lao động huyện Tam Đường» gives «Tam Đường»,
  «huyện Tam Đường», «H. Tam Đường»; «… thành phố Lai Châu» gives «thành phố Lai Châu»,
  «TP. Lai Châu», «TP Lai Châu» (the bare name only when no province has it); «… tỉnh Lai Châu»
  gives «tỉnh Lai Châu» and «Lai Châu» at province level;
* the deployment's `places.csv` (config folder): wards and communes the unit names do not give.

Each name holds the spans in which its unit exists (`valid_from`..`valid_to` of its versions);
when a unit ends and the registry names a successor, the name passes to the successor from the
next day. A lookup on a day takes only the units in force that day; the most specific place wins
(ward/commune > district/city > province), then the first mentioned; two units of equal rank
for one name on one day are an ambiguity and match nothing.

Matching is on folded text (`dlxh.core.text.fold`: accents and case dropped), on whole words, with one
trie-shaped regular expression compiled per gazetteer (build it once per file, not per row).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from dlxh.core.text import fold
from ingestion.reference.units import UnitRegistry

PLACE_PRIORITY = {"ward": 0, "commune": 0, "town": 0, "district": 1, "city": 1, "province": 2}
# Administrative words before a place name (folded tokens) -> place type and how people write it.
ADMIN_WORDS: tuple[tuple[tuple[str, ...], str], ...] = (
    (("thanh", "pho"), "city"),
    (("tp.",), "city"),
    (("tp",), "city"),
    (("thi", "xa"), "district"),
    (("tx.",), "district"),
    (("tx",), "district"),
    (("thi", "tran"), "town"),
    (("tt.",), "town"),
    (("huyen",), "district"),
    (("h.",), "district"),
    (("quan",), "district"),
    (("q.",), "district"),
    (("tinh",), "province"),
    (("phuong",), "ward"),
    (("p.",), "ward"),
    (("xa",), "commune"),
)
# How each admin word is written in full and abbreviated (forms generated for a place).
PREFIXES = {
    ("thanh", "pho"): ("thành phố", "TP.", "TP"),
    ("tp.",): ("thành phố", "TP.", "TP"),
    ("tp",): ("thành phố", "TP.", "TP"),
    ("thi", "xa"): ("thị xã", "TX.", "TX"),
    ("tx.",): ("thị xã", "TX.", "TX"),
    ("tx",): ("thị xã", "TX.", "TX"),
    ("thi", "tran"): ("thị trấn", "TT."),
    ("tt.",): ("thị trấn", "TT."),
    ("huyen",): ("huyện", "H."),
    ("h.",): ("huyện", "H."),
    ("quan",): ("quận", "Q."),
    ("q.",): ("quận", "Q."),
    ("tinh",): ("tỉnh",),
    ("phuong",): ("phường", "P."),
    ("p.",): ("phường", "P."),
    ("xa",): ("xã",),
}
DEFAULT_PREFIX = {
    "ward": ("phuong",),
    "commune": ("xa",),
    "town": ("thi", "tran"),
    "district": ("huyen",),
    "city": ("thanh", "pho"),
    "province": ("tinh",),
}
LEVEL_PLACE_TYPE = {"province": "province", "district": "district"}
# Generic words of union bodies at the start of a unit name (folded tokens).
_GENERIC_TOKENS = frozenset({"lien", "doan", "lao", "dong", "ldld", "cong", "cd", "tong", "ban", "chap", "hanh"})
# Bare names that, folded, are common words: only their prefixed forms («phường Đoàn Kết») match.
COMMON_PHRASES = frozenset({"doan ket", "can co", "trung dong", "tan tien", "thong nhat", "hoa binh"})
_TOKEN = re.compile(r"[^\s,;()\[\]–—/]+|[,;()\[\]–—/]")


def trie_regex(words: Iterable[str]) -> str:
    """A regex alternation of literal `words`, factored as a trie (fast with many keys)."""
    trie: dict = {}
    for w in words:
        node = trie
        for ch in w:
            node = node.setdefault(ch, {})
        node[""] = True

    def build(node: dict) -> str:
        end = "" in node
        branches = [re.escape(ch) + build(child) for ch, child in sorted(node.items()) if ch != ""]
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        if end:
            return f"(?:{body})?"
        return body

    return build(trie)


def whole_words(words: Iterable[str], alnum: str = "0-9a-z") -> re.Pattern[str]:
    """One compiled pattern matching any of `words` (folded) on whole words."""
    words = sorted(words)
    if not words:
        return re.compile(r"(?!x)x")  # matches nothing
    return re.compile(rf"(?<![{alnum}])(?:{trie_regex(words)})(?![{alnum}])")


def _admin_at(folded: list[str], i: int) -> tuple[tuple[str, ...], str] | None:
    for words, place_type in ADMIN_WORDS:
        if tuple(folded[i : i + len(words)]) == words:
            return words, place_type
    return None


def place_forms(name: str, place_type: str | None = None) -> list[tuple[str, str, bool]]:
    """The place a unit or place name names: [(form as written, place type, is_bare_name)].

    «Liên đoàn Lao động huyện Tam Đường» -> huyện Tam Đường, H. Tam Đường, Tam Đường (district);
    a name without an administrative word («LĐLĐ Tam Đường», «Bình Lư») takes `place_type`
    (None: nothing) and gets its prefixed forms too. Only the first administrative phrase counts
    («… huyện Tam Đường, tỉnh Lai Châu» is Tam Đường).
    """
    tokens = _TOKEN.findall(" ".join((name or "").split()))
    folded = [fold(t) for t in tokens]
    start: int = 0
    admin: tuple[tuple[str, ...], str] | None = None
    for i in range(len(tokens)):
        hit = _admin_at(folded, i)
        if hit is not None and i + len(hit[0]) < len(tokens):
            start, admin = i + len(hit[0]), hit
            break
    if admin is None:
        if place_type is None:
            return []
        i = 0
        while i < len(tokens) and folded[i] in _GENERIC_TOKENS:
            i += 1
        start, admin = i, (DEFAULT_PREFIX[place_type], place_type)
    words, ptype = admin
    place: list[str] = []
    for i in range(start, len(tokens)):
        if not re.search(r"\w", tokens[i]) or _admin_at(folded, i) is not None:
            break
        place.append(tokens[i])
    if not place:
        return []
    bare = " ".join(place)
    forms = [(f"{prefix} {bare}", ptype, False) for prefix in PREFIXES[words]]
    forms.append((bare, ptype, True))
    return forms


@dataclass(frozen=True)
class Place:
    """One name of a place, held by a unit over a span of days."""

    name: str
    place_type: str
    unit_code: str
    valid_from: date
    valid_to: date | None
    origin: str = "registry"  # registry | config | successor
    priority: int = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "priority", PLACE_PRIORITY[self.place_type])

    def valid_on(self, on: date | None) -> bool:
        return on is None or (self.valid_from <= on and (self.valid_to is None or on <= self.valid_to))


@dataclass(frozen=True)
class Problem:
    """A config place or a name the gazetteer could not use (listed in the import summary)."""

    code: str  # unknown_unit | unit_ended | ambiguous
    message: str  # Vietnamese, for people


def _spans(registry: UnitRegistry) -> dict[str, list[tuple[date, date | None]]]:
    """Unit code -> its days of existence (contiguous versions merged)."""
    by_code: dict[str, list[tuple[date, date | None]]] = {}
    for v in sorted(registry.versions, key=lambda v: (v.unit_code, v.valid_from)):
        spans = by_code.setdefault(v.unit_code, [])
        if spans and spans[-1][1] is not None and spans[-1][1] + timedelta(days=1) >= v.valid_from:
            end = None if v.valid_to is None else max(spans[-1][1], v.valid_to)
            spans[-1] = (spans[-1][0], end)
        elif spans and spans[-1][1] is None:
            continue
        else:
            spans.append((v.valid_from, v.valid_to))
    return by_code


class Gazetteer:
    """Place names -> unit codes in force on a day; see the module docstring."""

    def __init__(
        self,
        places: Iterable[Place],
        registry: UnitRegistry | None = None,
        successors: dict[str, str] | None = None,
        problems: Iterable[Problem] = (),
    ):
        self.registry = registry or UnitRegistry([])
        self.successors = dict(successors or {})
        self.problems = list(problems)
        self.spans = _spans(self.registry)
        by_key: dict[str, list[Place]] = {}
        for p in self._with_successors(places):
            entries = by_key.setdefault(fold(p.name), [])
            if p not in entries:
                entries.append(p)
        self.by_key = {k: tuple(sorted(v, key=lambda p: (p.priority, p.valid_from))) for k, v in by_key.items()}
        self.unit_codes = frozenset(p.unit_code for v in self.by_key.values() for p in v)
        self._pattern = whole_words(self.by_key)
        self._cache: dict[tuple[str, date | None], Place | None] = {}

    def _with_successors(self, places: Iterable[Place]) -> Iterable[Place]:
        """Each place, then the same name held by the successors of its unit after it ended."""
        for p in places:
            yield p
            code, end, seen = p.unit_code, p.valid_to, {p.unit_code}
            while end is not None:
                successor = self.successors.get(code)
                if not successor or successor in seen or successor not in self.spans:
                    break
                seen.add(successor)
                later = [(max(a, end + timedelta(days=1)), b) for a, b in self.spans[successor] if b is None or b > end]
                if not later:
                    break
                for a, b in later:
                    yield Place(p.name, p.place_type, successor, a, b, "successor")
                code, end = successor, later[-1][1]

    # -- building ----------------------------------------------------------------------------
    @classmethod
    def build(
        cls,
        registry: UnitRegistry,
        config_places: Iterable[dict[str, Any]] = (),
        *,
        territorial_types: Iterable[str] = (),
        levels: dict[str, str] | None = None,
        successors: dict[str, str] | None = None,
        config_lines: Iterable[int] | None = None,
        config_file: str = "places.csv",
        today: date | None = None,
    ) -> Gazetteer:
        """From a registry (the place in each territorial unit's name) and config place rows
        (place_name, place_type, unit_code). `levels`: unit type -> level (unit_types.csv)."""
        territorial = frozenset(territorial_types)
        levels = levels or {}
        places: list[Place] = []
        province_bare: set[str] = set()
        derived: list[tuple[str, str, bool, Any]] = []
        for v in registry.versions:
            if v.unit_type not in territorial:
                continue
            default_type = LEVEL_PLACE_TYPE.get(levels.get(v.unit_type or "", ""))
            seen: set[str] = set()
            for name in (v.unit_name, v.short_name):
                for form, ptype, bare in place_forms(name or "", default_type):
                    if fold(form) in seen:
                        continue
                    seen.add(fold(form))
                    derived.append((form, ptype, bare, v))
                    if ptype == "province" and bare:
                        province_bare.add(fold(form))
        for form, ptype, bare, v in derived:
            key = fold(form)
            if bare and (ptype != "province" and key in province_bare or key in COMMON_PHRASES or " " not in key):
                continue  # «Lai Châu» is the province's; one-syllable or common-word names only with their prefix
            places.append(Place(form, ptype, v.unit_code, v.valid_from, v.valid_to))
        spans = _spans(registry)
        today = today or date.today()
        problems: list[Problem] = []
        lines = list(config_lines) if config_lines is not None else None
        for n, row in enumerate(config_places):
            line = lines[n] if lines is not None else n + 2
            written = str(row.get("unit_code") or "").strip()
            code = registry.by_code(written)
            name = str(row["place_name"]).strip()
            if code is None:
                problems.append(
                    Problem(
                        "unknown_unit",
                        f"{config_file}, dòng {line}: địa danh «{name}» gắn với mã đơn vị «{written}» không có trong danh mục đơn vị; "
                        "địa danh này không được dùng để gán tin bài.",
                    )
                )
                continue
            current = any(a <= today and (b is None or today <= b) for a, b in spans.get(code, []))
            if not current and not successors_of(code, successors or {}, spans, today):
                problems.append(
                    Problem(
                        "unit_ended",
                        f"{config_file}, dòng {line}: địa danh «{name}» gắn với đơn vị «{code}» đã hết hiệu lực và không có đơn vị kế thừa; "
                        "chỉ dùng cho tin bài trong thời gian đơn vị còn hoạt động.",
                    )
                )
            ptype = row["place_type"]
            forms = place_forms(name, ptype) or [(name, ptype, True)]
            for form, ftype, bare in forms:
                key = fold(form)
                if bare and (key in COMMON_PHRASES or " " not in key) and len(forms) > 1:
                    continue
                for a, b in spans[code]:
                    places.append(Place(form, ftype if ftype in PLACE_PRIORITY else ptype, code, a, b, "config"))
        return cls(places, registry, successors, problems)

    @classmethod
    def from_db(cls, cur: Any, settings: Any = None) -> Gazetteer:
        """The gazetteer of the latest registry load and the config folder's places.csv (one query each)."""
        from dlxh.core.config import load
        from dlxh.core.config.unit_types import unit_types

        registry = UnitRegistry.from_db(cur)
        cur.execute(
            """select unit_code, successor_code from raw.units
               where load_id = (select max(load_id) from raw.units) and nullif(trim(successor_code), '') is not null"""
        )
        successors: dict[str, str] = {}
        for code, written in cur.fetchall():
            successor = registry.by_code(written) or registry.resolve(written).code
            if successor and successor != code:
                successors[code] = successor
        types = unit_types(settings)
        places = load("places", settings)
        gazetteer = cls.build(
            registry,
            places.rows,
            territorial_types=[t.unit_type for t in types if t.is_territorial],
            levels={t.unit_type: t.level for t in types},
            successors=successors,
            config_lines=places.lines,
            config_file=str(places.path),
        )
        if not registry.versions:
            gazetteer.problems.insert(
                0, Problem("no_registry", "Chưa nạp danh mục đơn vị: tin bài chưa gán được đơn vị (unit_code để trống).")
            )
        return gazetteer

    # -- lookups -----------------------------------------------------------------------------
    def _entry(self, key: str, on: date | None) -> Place | None:
        """The unit holding the name `key` on day `on` (None: none, or two of equal rank)."""
        best: Place | None = None
        for p in self.by_key.get(key, ()):
            if not p.valid_on(on):
                continue
            if best is None:
                best = p
            elif p.priority > best.priority:
                break
            elif p.unit_code != best.unit_code:
                return None  # ambiguous on that day
        return best

    def find(self, folded: str, on: date | None = None) -> Place | None:
        """The most specific place named in folded text on day `on` (ties: the first mentioned)."""
        best: Place | None = None
        for m in self._pattern.finditer(folded):
            p = self._entry(m.group(0), on)
            if p is not None and (best is None or p.priority < best.priority):
                best = p
                if p.priority == 0:
                    break
        return best

    def resolve_field(self, value: str, on: date | None = None) -> str | None:
        """A tool's place column on day `on` -> unit code: a registry code («ldld.td»), a place
        name («H. Tam Đường», «TP Lai Châu», a commune), else any unit reference the registry
        resolves («CĐN Giáo dục»). Cached per (value, day)."""
        if (value, on) in self._cache:
            hit = self._cache[(value, on)]
            return hit.unit_code if hit is not None else None
        code = self.registry.by_code(value)
        place: Place | None = None
        if code is not None:
            held = self.unit_on(code, on)
            place = Place(value, "ward", held, date.min, None, "code") if held else None
        else:
            place = self.find(fold(value), on)
            if place is None and self.registry.versions:
                res = self.registry.resolve(value, on)
                if res.code is not None and res.rule != "fuzzy":
                    held = self.unit_on(res.code, on)
                    place = Place(value, "ward", held, date.min, None, "registry") if held else None
        if len(self._cache) >= 65536:
            self._cache.clear()
        self._cache[(value, on)] = place
        return place.unit_code if place is not None else None

    def unit_on(self, code: str, on: date | None) -> str | None:
        """`code` if the unit exists on `on`, else its successor in force then (None if neither)."""
        seen: set[str] = set()
        while code and code not in seen:
            seen.add(code)
            if on is None or any(a <= on and (b is None or on <= b) for a, b in self.spans.get(code, [])):
                return code
            code = self.successors.get(code, "")
        return None


def successors_of(code: str, successors: dict[str, str], spans: dict[str, list[tuple[date, date | None]]], on: date) -> str | None:
    """The successor of `code` (following the chain) that exists on `on`, or None."""
    seen = {code}
    while (code := successors.get(code, "")) and code not in seen:
        seen.add(code)
        if any(a <= on and (b is None or on <= b) for a, b in spans.get(code, [])):
            return code
    return None
