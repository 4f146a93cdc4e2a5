"""Accent-insensitive, whole-word matching of topic keywords and tool topics; fast folding.

The gazetteer (place names -> units) is shared with the other sources: `ingestion.reference.places`.

Matching runs on every scanned item, so the keys are compiled once into trie-shaped regular
expressions, and the text is folded with a translation table (`fast_fold`, equal to
`dlxh.core.text.fold` but an order of magnitude faster on Vietnamese text).
"""

from __future__ import annotations

import json
import re
import unicodedata

from dlxh.core.text import fold
from ingestion.reference.places import Gazetteer, trie_regex, whole_words  # noqa: F401 (shared; re-exported)
from ingestion.reference.topics import load_topics, resolve_topic


def _fold_table() -> dict[int, str | None]:
    table: dict[int, str | None] = {}
    for cp in list(range(0x00C0, 0x0250)) + list(range(0x1E00, 0x1F00)):
        ch = chr(cp)
        base = "".join(c for c in unicodedata.normalize("NFD", ch) if unicodedata.category(c) != "Mn")
        if base != ch:
            table[cp] = base
    for cp in range(0x0300, 0x0370):  # stray combining marks left after NFC
        table[cp] = None
    table.update({ord("Đ"): "D", ord("đ"): "d", ord("Ð"): "D", ord("\ufeff"): None})
    return table


_FOLD = _fold_table()
# Characters whose fold is plain ASCII once decomposed (accented Latin letters, combining
# marks, đ/Đ/Ð, BOM). Text made only of these and ASCII takes the fast path of `fast_fold`.
_NOT_FAST = re.compile(
    "[^\\x00-\\x7f\u0110\u0111\u00d0\ufeff\u0300-\u036f"
    + "".join(re.escape(chr(cp)) for cp, v in sorted(_FOLD.items()) if v and v.isascii() and cp not in (0x110, 0x111, 0xD0))
    + "]"
)


def fast_fold(text: str | None) -> str:
    """Same result as `dlxh.core.text.fold` (and drops a BOM), an order of magnitude faster on Vietnamese.

    Vietnamese text is decomposed and its combining marks dropped by an ASCII encode (C speed);
    text with other scripts or symbols goes through a translation table, then `fold` if needed.
    """
    if not text:
        return ""
    if not text.isascii():
        if _NOT_FAST.search(text) is None:
            text = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D").replace("Ð", "D"))
            text = text.encode("ascii", "ignore").decode("ascii")
        else:
            folded = unicodedata.normalize("NFC", text).translate(_FOLD)
            if not folded.isascii():
                return fold(folded)
            text = folded
    return " ".join(text.lower().split())


def _whole_words(words: list[str], alnum: str) -> re.Pattern[str]:
    return whole_words(words, alnum)


class TopicMatcher:
    """Topic codes from the shared taxonomy keywords (dbt_project/seeds/topics.csv).

    Keywords of two or more syllables match accent-insensitively on whole words; one-syllable
    keywords (e.g. «bão») match with their diacritics, since folded they collide with common
    words («bao», «báo»).
    """

    def __init__(self) -> None:
        folded_kw: dict[str, str] = {}
        exact_kw: dict[str, str] = {}
        for t in load_topics():
            for k in t.keywords:
                key = fold(k)
                if " " in key:
                    folded_kw.setdefault(key, t.code)
                else:
                    exact_kw.setdefault(unicodedata.normalize("NFC", k).lower(), t.code)
        self._folded = folded_kw
        self._exact = exact_kw
        self._folded_re = _whole_words(sorted(folded_kw), "0-9a-z")
        self._exact_re = _whole_words(sorted(exact_kw), r"\w") if exact_kw else None

    def find(self, folded: str, text: str) -> list[str]:
        codes = {self._folded[m.group(0)] for m in self._folded_re.finditer(folded)}
        if self._exact_re is not None:
            lowered = text.lower()
            if not any(k in lowered for k in self._exact):
                return sorted(codes)
            codes.update(self._exact[m.group(0)] for m in self._exact_re.finditer(lowered))
        return sorted(codes)


_SPLIT = re.compile(r"[;|\n]")


class ToolTopics:
    """A tool's topic column -> taxonomy codes, through `resolve_topic(value, scope=<tool>)`
    (the deployment's topic aliases scoped to the tool first). Built per parser (per file): each
    distinct cell is resolved once. A cell is split on `;`, `|` and new lines (a part that does not
    resolve, on `,` too: topic names may hold a comma); a JSON
    list («["LABOUR_RIGHTS", "WAGES"]») is read as its items. Parts that resolve to nothing are
    returned too, so the loader can count them."""

    def __init__(self, scope: str):
        self.scope = scope
        self._cache: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {}

    def __call__(self, value: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """(codes, unresolved parts) of one topic cell."""
        hit = self._cache.get(value)
        if hit is None:
            hit = self._resolve(value)
            if len(self._cache) >= 65536:
                self._cache.clear()
            self._cache[value] = hit
        return hit

    def _resolve(self, value: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
        text = value.strip()
        parts: list[str] | None = None
        if text.startswith("["):
            try:
                items = json.loads(text)
            except ValueError:
                items = None
            if isinstance(items, list):
                parts = [str(x).strip() for x in items if x is not None and str(x).strip()]
        if parts is None:
            parts = [p.strip() for p in _SPLIT.split(text) if p.strip()]
        codes: set[str] = set()
        unresolved: list[str] = []
        for part in parts:
            code = resolve_topic(part, scope=self.scope)
            if code:
                codes.add(code)
                continue
            pieces = [c for p in part.split(",") if (c := resolve_topic(p.strip(), scope=self.scope))] if "," in part else []
            if pieces:
                codes.update(pieces)
            elif part not in unresolved:
                unresolved.append(part)
        return tuple(sorted(codes)), tuple(unresolved)
