"""The topic taxonomy in force (config topics.csv and topic_aliases.csv, see `dlxh.core.config`) and matching."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from dlxh.core.config import Loaded, load
from dlxh.core.text import fold
from ingestion.reference.matching import fold_keep, fuzzy_find, ocr_key, similar, words


@dataclass
class TopicMention:
    topic_code: str
    evidence: str
    is_hot_spot: bool = False


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


def _short_words_at(keyword: str, doc: _Indexed, text_lower: str) -> list[tuple[int, int]]:
    out = []
    for m in re.finditer(rf"(?<!\w){re.escape(keyword.lower())}(?!\w)", text_lower):
        i = next((n for n, (a, _) in enumerate(doc.spans) if a >= m.start()), None)
        if i is not None:
            out.append((i, i + 1))
    return out


def _all_hits(doc: _Indexed, tolerant: bool) -> list[tuple[str, int, int]]:
    """Every keyword occurrence as (topic, start token, end token); a shorter keyword inside a
    longer keyword's occurrence (of any topic: "đại hội đảng bộ" inside "đại hội đảng bộ các cấp")
    is consumed by the longer one."""
    raw: list[tuple[int, str, int, int]] = []
    lower = doc.text.lower()
    for t in load_topics():
        for k in t.keywords:
            kkey = ocr_key(k)
            if " " not in kkey and len(kkey) <= 4:
                # "bão" folds to "bao" like "bảo (hiểm)": short single words must match with their diacritics.
                raw += [(1, t.code, a, b) for a, b in _short_words_at(k, doc, lower)]
                continue
            n = len(words(kkey))
            at = 0
            while at < len(doc.tokens):
                hit = fuzzy_find(kkey, doc.tokens[at:], fuzzy=tolerant)
                if hit is None:
                    break
                raw.append((n, t.code, at + hit.start, at + hit.end))
                at += hit.end
    taken: set[int] = set()
    hits = []
    for _, code, a, b in sorted(raw, key=lambda h: (-(h[3] - h[2]), h[2])):
        if any(i in taken for i in range(a, b)):
            continue
        taken.update(range(a, b))
        hits.append((code, a, b))
    return sorted(hits, key=lambda h: h[1])


def _match_topics(doc: _Indexed, tolerant: bool) -> dict[str, tuple[int, int]]:
    """First occurrence of each topic's keywords (any count): used for hot-spot windows."""
    first: dict[str, tuple[int, int]] = {}
    for code, a, b in _all_hits(doc, tolerant):
        first.setdefault(code, (a, b))
    return first


# -- what a report is "about" ------------------------------------------------------------------
# A report is about a topic when the topic has evidence in the report's body parts (from the
# first part heading, "I. TÌNH HÌNH ...", to the recipients / signature block; the preamble that
# quotes the guidance and the "Nơi nhận" list do not count) and either
#   * a keyword or the topic's name occurs in a section heading / item title ("2. Về thiên tai"), or
#   * at least MIN_BODY_HITS keyword occurrences (a single keyword in a long paragraph about
#     something else is a passing mention, not the subject).
# Titles of quoted documents ("... về “tuyên truyền phòng chống tai nạn giao thông”") are removed
# first. A short text without part headings (a form cell, a title; under SHORT_TEXT characters)
# needs a single occurrence.
MIN_BODY_HITS = 2
SHORT_TEXT = 400
_ITEM_TITLE = re.compile(r"^\s*(?:[ivxl]{1,5}|\d{1,2}(?:\.\d{1,2})*|[a-h])\s*[.):]\s+\S")
_QUOTED_TITLE = re.compile(r"\bv(?:/v|\S{0,2})\s*[“\"«][^”\"»]{3,200}[”\"»]", re.IGNORECASE)  # về “...”, OCR'd "vé", "v/v"
_NAME_STOP = {"ve", "viec", "cac", "va", "cua", "trong", "tinh", "hinh", "doi", "voi", "nhung", "mot", "so", "cong", "tac"}


def _body_region(text: str) -> tuple[str, list[tuple[int, int, bool]], bool]:
    """(body text, char spans of heading / item-title lines in it (and whether the line is a part
    heading), has part headings)."""
    from ingestion.reports.documents.headings import _END_MARKERS, heading_part

    lines = text.splitlines()
    start = next((i for i, ln in enumerate(lines) if heading_part(ln) is not None), None)
    kept: list[str] = []
    for ln in lines[start or 0 :]:
        key = ocr_key(ln.strip())
        if any(key.startswith(m) for m in _END_MARKERS) or key.startswith("tren day la bao cao"):
            break
        kept.append(ln)
    body_lines = [_QUOTED_TITLE.sub(" ", ln) for ln in kept]
    spans, at = [], 0
    for ln in body_lines:
        stripped = ln.strip()
        if 0 < len(stripped) <= 110 and (_ITEM_TITLE.match(ocr_key(stripped)) or re.match(r"^\s*ve\s", ocr_key(stripped))):
            spans.append((at, at + len(ln), heading_part(stripped) is not None))
        at += len(ln) + 1
    return "\n".join(body_lines), spans, start is not None


def _name_in_heading(heading: str) -> set[str]:
    """Topics whose name a heading restates ("3. Khó khăn trong thực hiện chính sách" -> T09):
    at least 3 content words of the heading, 80% of them in the topic's name."""
    tokens = [w for w in words(ocr_key(re.sub(r"^\s*\S+[.):]\s*", "", heading))) if w not in _NAME_STOP and not w.isdigit()]
    if len(tokens) < 3:
        return set()
    found = set()
    for t in load_topics():
        name = set(words(ocr_key(t.name_vi)))
        if sum(w in name for w in tokens) / len(tokens) >= 0.8:
            found.add(t.code)
    return found


def find_topics(text: str, tolerant: bool = False) -> list[TopicMention]:
    """The taxonomy topics a report is about (multi-label; rule above), with the sentence that
    matched as evidence (a heading hit first); a topic is a hot spot when "điểm nóng" is written
    in a sentence that mentions it. `tolerant` adds fuzzy matching for OCR-damaged text."""
    body, heading_spans, has_parts = _body_region(text)
    short = not has_parts and len(body) < SHORT_TEXT
    doc = _Indexed.of(body)
    counts: dict[str, int] = {}
    first: dict[str, tuple[int, int]] = {}
    in_heading: dict[str, tuple[int, int]] = {}
    for code, a, b in _all_hits(doc, tolerant):
        counts[code] = counts.get(code, 0) + 1
        first.setdefault(code, (a, b))
        if any(lo <= doc.spans[a][0] < hi for lo, hi, _ in heading_spans):
            in_heading.setdefault(code, (a, b))
    for lo, hi, is_part_heading in heading_spans:
        if is_part_heading:
            continue  # "I. TÌNH HÌNH TƯ TƯỞNG CỦA ĐOÀN VIÊN ..." names no topic
        toks = [i for i, (a, _) in enumerate(doc.spans) if lo <= a < hi]
        if toks:
            for code in _name_in_heading(body[lo:hi]):
                in_heading.setdefault(code, (toks[0], toks[-1] + 1))
                first.setdefault(code, (toks[0], toks[-1] + 1))
    about = {c for c in set(counts) | set(in_heading) if c in in_heading or counts.get(c, 0) >= (1 if short else MIN_BODY_HITS)}
    hot: set[str] = set()
    for label in HOT_SPOT_LABELS:
        lt = words(label)
        for i in range(len(doc.tokens) - len(lt) + 1):
            window = " ".join(doc.tokens[i : i + len(lt)])
            if window == label or (tolerant and similar(window, label) >= 0.85):
                near = _Indexed.of(_hot_window(body, doc.spans[i][0], doc.spans[i + len(lt) - 1][1]))
                hot |= set(_match_topics(near, tolerant))
    out = []
    for code in sorted(about, key=lambda c: (in_heading.get(c) or first[c])[0]):
        a, b = in_heading.get(code) or first[code]
        out.append(TopicMention(code, doc.sentence(a, b)[:400], code in hot))
    return out
