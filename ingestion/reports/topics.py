"""The topic taxonomy (versioned reference data in dbt_project/seeds/topics.csv) and matching."""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from functools import lru_cache

from dlxh.settings import PROJECT_ROOT
from dlxh.text import fold

TOPICS_CSV = PROJECT_ROOT / "dbt_project" / "seeds" / "topics.csv"


@dataclass(frozen=True)
class Topic:
    code: str
    name_vi: str
    keywords: tuple[str, ...]


@lru_cache(maxsize=1)
def load_topics() -> tuple[Topic, ...]:
    with TOPICS_CSV.open(encoding="utf-8") as fh:
        return tuple(
            Topic(r["topic_code"], r["name_vi"], tuple(k.strip() for k in r["keywords"].split(";") if k.strip()))
            for r in csv.DictReader(fh)
        )


def resolve_topic(text: str | None) -> str | None:
    """A topic cell of a form: a code ('T04', '4'), a name, or free text with a keyword."""
    if not text:
        return None
    key = fold(text)
    topics = load_topics()
    m = re.fullmatch(r"t?0*(\d{1,2})(?:\b.*)?", key)
    if m:
        code = f"T{int(m[1]):02d}"
        if any(t.code == code for t in topics):
            return code
    for t in topics:
        if fold(t.name_vi) == key or key in fold(t.name_vi):
            return t.code
    for t in topics:
        if any(fold(k) in key for k in t.keywords):
            return t.code
    return None


def find_topics(text: str, max_evidence: int = 160) -> list[tuple[str, str]]:
    """All topics whose keywords occur in `text` (accent-insensitive), with the matched evidence."""
    folded = fold(text)
    found: list[tuple[str, str]] = []
    for t in load_topics():
        for k in t.keywords:
            pos = folded.find(fold(k))
            if pos >= 0:
                start = max(0, pos - 40)
                found.append((t.code, text[start : start + max_evidence].replace("\n", " ").strip()))
                break
    return found
