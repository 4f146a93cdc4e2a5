"""The topic taxonomy in force (config topics.csv and topic_aliases.csv, see `dlxh.config`) and matching."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from dlxh.config import Loaded, load
from dlxh.text import fold
from ingestion.reports.matching import fold_keep, fuzzy_find, ocr_key, similar, words
from ingestion.reports.records import TopicMention


@dataclass(frozen=True)
class Topic:
    code: str
    name_vi: str
    keywords: tuple[str, ...]
    sort_order: int = 0


@lru_cache(maxsize=8)
def _topics_of(loaded: Loaded) -> tuple[Topic, ...]:
    return tuple(
        Topic(r["topic_code"], r["name_vi"], tuple(k.strip() for k in (r["keywords"] or "").split(";") if k.strip()), r["sort_order"])
        for r in loaded.rows
    )


def load_topics() -> tuple[Topic, ...]:
    """The taxonomy in force (the deployment's topics.csv, else the shipped default)."""
    return _topics_of(load("topics"))


@lru_cache(maxsize=8)
def _alias_index(loaded: Loaded) -> dict[tuple[str, str], str]:
    """(scope, folded alias) -> topic code; scope '' = everywhere."""
    return {(fold(r["scope"] or ""), fold(r["alias"])): r["topic_code"] for r in loaded.rows}


def resolve_topic(text: str | None, scope: str | None = None) -> str | None:
    """A topic cell of a form or a tool ('NGUOI_LAO_DONG', 'T04', '4', a name, or free text with a keyword).

    In order: the deployment's aliases (topic_aliases.csv; those of `scope` — a tool or survey
    name — before the unscoped ones), a taxonomy code, a sort number, a taxonomy name, a keyword.
    """
    if not text:
        return None
    key = fold(text)
    aliases = _alias_index(load("topic_aliases"))
    for s in ((fold(scope),) if scope else ()) + ("",):
        for candidate in (key, key.replace("_", " ")):
            if (s, candidate) in aliases:
                return aliases[(s, candidate)]
    topics = load_topics()
    by_code = {fold(t.code): t.code for t in topics}
    if key in by_code:
        return by_code[key]
    if key.isdigit():
        numbered = [t.code for t in topics if t.sort_order == int(key)]
        if len(numbered) == 1:
            return numbered[0]
    for t in topics:
        if fold(t.name_vi) == key or key in fold(t.name_vi):
            return t.code
    for t in topics:
        if any(fold(k) in key for k in t.keywords):
            return t.code
    return None


HOT_SPOT_LABELS = ("diem nong", "noi com", "buc xuc keo dai")
_SENTENCE_END = re.compile(r"[.;!?\n]")


@dataclass
class _Indexed:
    """Text with its ocr_key tokens and each token's span in the original text."""

    text: str
    tokens: list[str]
    spans: list[tuple[int, int]]

    @classmethod
    def of(cls, text: str) -> _Indexed:
        key = re.sub(r"p(?!h)", "d", fold_keep(text))
        matches = list(re.finditer(r"[0-9a-z]+", key))
        return cls(text, [m.group() for m in matches], [m.span() for m in matches])

    def sentence(self, start_tok: int, end_tok: int, limit: int = 240) -> str:
        a, b = self.spans[start_tok][0], self.spans[end_tok - 1][1]
        left = max((m.end() for m in _SENTENCE_END.finditer(self.text, max(0, a - limit), a)), default=max(0, a - limit))
        right_m = _SENTENCE_END.search(self.text, b, b + limit)
        right = right_m.start() if right_m else min(len(self.text), b + limit)
        return " ".join(self.text[left:right].split())


def _hot_window(text: str, a: int, b: int) -> str:
    """The sentence with a hot-spot label and the sentence before it (lines may be wrapped)."""
    lo = max(0, a - 300)
    ends = [m.end() for m in re.finditer(r"[.!?]\s", text[lo:a])]
    start = lo + (ends[-2] if len(ends) >= 2 else 0)
    stop = re.search(r"[.!?](\s|$)", text[b : b + 200])
    return text[start : b + stop.end() if stop else b + 200]


def _short_word_at(keyword: str, doc: _Indexed, text_lower: str) -> tuple[int, int] | None:
    m = re.search(rf"(?<!\w){re.escape(keyword.lower())}(?!\w)", text_lower)
    if m is None:
        return None
    i = next((n for n, (a, _) in enumerate(doc.spans) if a >= m.start()), None)
    return None if i is None else (i, i + 1)


def _match_topics(doc: _Indexed, tolerant: bool) -> dict[str, tuple[int, int]]:
    hits: dict[str, tuple[int, int]] = {}
    lower = doc.text.lower()
    for t in load_topics():
        for k in sorted(t.keywords, key=len, reverse=True):
            kkey = ocr_key(k)
            if " " not in kkey and len(kkey) <= 4:
                # "bão" folds to "bao" like "bảo (hiểm)": short single words must match with their diacritics.
                at = _short_word_at(k, doc, lower)
                if at is not None:
                    hits[t.code] = at
                    break
                continue
            hit = fuzzy_find(kkey, doc.tokens, fuzzy=tolerant)
            if hit is not None:
                hits[t.code] = (hit.start, hit.end)
                break
    return hits


def find_topics(text: str, tolerant: bool = False) -> list[TopicMention]:
    """Every taxonomy topic whose keywords occur in `text` (multi-label), with the sentence that
    matched as evidence; a topic is a hot spot when "điểm nóng" is written in a sentence that
    mentions it. `tolerant` adds fuzzy matching for OCR-damaged text."""
    doc = _Indexed.of(text)
    hits = _match_topics(doc, tolerant)
    hot: set[str] = set()
    for label in HOT_SPOT_LABELS:
        lt = words(label)
        for i in range(len(doc.tokens) - len(lt) + 1):
            window = " ".join(doc.tokens[i : i + len(lt)])
            if window == label or (tolerant and similar(window, label) >= 0.85):
                near = _Indexed.of(_hot_window(text, doc.spans[i][0], doc.spans[i + len(lt) - 1][1]))
                hot |= set(_match_topics(near, tolerant))
    return [TopicMention(code, doc.sentence(a, b)[:400], code in hot) for code, (a, b) in hits.items()]
