"""The set-based merge (ingestion/scans/load.py) against a plain Python model of its rules.

Random exports with many repeats (same item, same or different capture, two tools, rows in
any order) are ingested in parts of random size; the stored items and the per-file counts must
be what the rules in docs/scans.md say:

* an item is *loaded* once; a row repeating a capture (item, tool, capture time, engagement)
  already stored or earlier in its file is *unchanged*; any other row is *updated*;
* an item keeps the engagement of its latest capture (ties on the time: higher views, likes,
  shares, comments), its first and last capture times, and every tool that reported it.
"""

from __future__ import annotations

import csv
import io
import json
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from ingestion.framework import run_ingest
from ingestion.scans.source import ScansSource

REPUTA_HEADERS = ["Đường dẫn", "Thời gian đăng", "Thời gian quét", "Nội dung", "Lượt thích", "Lượt chia sẻ", "Bình luận", "Lượt xem"]
LOCAL = timedelta(hours=7)


def _row(rng: random.Random) -> dict:
    item = rng.randint(0, 8)
    return {
        "item": item,
        # few capture times, so one item often has several captures at the same time (ties)
        "captured": datetime(2025, 3, rng.randint(1, 2), 3, rng.choice([0, 30]), tzinfo=UTC),
        "likes": rng.choice([None, 1, 2]),
        "shares": rng.choice([None, 5]),
        "comments": rng.choice([None, 0, 3]),
        "views": rng.choice([None, 10, 20]),
    }


def _url(item: int, rng: random.Random) -> str:
    # the same post under the variants canonicalisation folds
    return rng.choice([f"https://www.facebook.com/p/{item}/", f"https://m.facebook.com/p/{item}?fbclid=x", f"facebook.com/p/{item}"])


def _text(n: int | None) -> str:
    return "" if n is None else str(n)


def reputa_export(path: Path, rows: list[dict], rng: random.Random) -> Path:
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(REPUTA_HEADERS)
    for r in rows:
        local = r["captured"] + LOCAL
        w.writerow(
            [
                _url(r["item"], rng),
                "01/03/2025 08:00",
                local.strftime("%d/%m/%Y %H:%M:%S"),
                f"bài số {r['item']}",
                _text(r["likes"]),
                _text(r["shares"]),
                _text(r["comments"]),
                _text(r["views"]),
            ]
        )
    path.write_text(buf.getvalue(), encoding="utf-8")
    return path


def newsmon_export(path: Path, rows: list[dict], rng: random.Random) -> Path:
    lines = []
    for r in rows:
        engagement = {k: r[k] for k in ("likes", "shares", "comments", "views") if r[k] is not None}
        lines.append(
            json.dumps(
                {
                    "link": _url(r["item"], rng),
                    "published": "2025-03-01T01:00:00Z",
                    "crawled_at": r["captured"].isoformat(),
                    "body": f"bài số {r['item']}",
                    "engagement": engagement,
                }
            )
        )
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _capture(r: dict, tool: str) -> tuple:
    return (r["item"], tool, r["captured"], r["likes"], r["shares"], r["comments"], r["views"])


def _rank(r: dict) -> tuple:
    return (r["captured"], *(-1 if r[k] is None else r[k] for k in ("views", "likes", "shares", "comments")))


class Model:
    def __init__(self) -> None:
        self.items: dict[int, dict] = {}
        self.captures: set[tuple] = set()

    def ingest(self, tool: str, rows: list[dict]) -> tuple[int, int, int]:
        loaded = updated = unchanged = 0
        for r in rows:
            key = _capture(r, tool)
            if r["item"] not in self.items:
                loaded += 1
                self.items[r["item"]] = {"latest": r, "first": r["captured"], "last": r["captured"], "tools": {tool}}
            elif key in self.captures:
                unchanged += 1
            else:
                updated += 1
                it = self.items[r["item"]]
                if _rank(r) > _rank(it["latest"]):
                    it["latest"] = r
                it["first"], it["last"] = min(it["first"], r["captured"]), max(it["last"], r["captured"])
                it["tools"].add(tool)
            self.captures.add(key)
        return loaded, updated, unchanged


@pytest.mark.parametrize("seed", range(16))
def test_merge_follows_the_rules_whatever_the_parts(warehouse, tmp_path: Path, seed: int) -> None:
    rng = random.Random(seed)
    model = Model()
    rows_read = 0
    for k in range(4):
        tool = rng.choice(["reputa", "newsmon"])
        rows = [_row(rng) for _ in range(rng.randint(1, 40))]
        if k and rng.random() < 0.5:  # a later export repeating some earlier captures
            rows += [dict(r) for r in rng.sample(rows, min(len(rows), 5))]
        make = reputa_export if tool == "reputa" else newsmon_export
        path = make(tmp_path / f"{k}-{tool}{'.csv' if tool == 'reputa' else '.jsonl'}", rows, rng)
        summary = run_ingest(ScansSource(tool=tool, part_rows=rng.choice([1, 3, 5000, 5000])), [path], warehouse, progress=None)
        t = summary.totals()
        assert (t["rows_loaded"], t["rows_updated"], t["rows_unchanged"]) == model.ingest(tool, rows), (k, tool)
        assert t["rows_quarantined"] == 0 and summary.reconciles()
        rows_read += t["rows_read"]

    with warehouse, warehouse.cursor() as cur:
        cur.execute("select canonical_url, likes, shares, comments, views, first_captured_at, last_captured_at, tools from raw.scan_items")
        stored = {int(r[0].rsplit("/", 1)[1]): r[1:] for r in cur.fetchall()}
        cur.execute("select count(*) from raw.scan_captures")
        captures_stored = cur.fetchone()[0]
    expected = {
        item: (
            it["latest"]["likes"],
            it["latest"]["shares"],
            it["latest"]["comments"],
            it["latest"]["views"],
            it["first"],
            it["last"],
            sorted(it["tools"]),
        )
        for item, it in model.items.items()
    }
    assert stored == expected
    assert captures_stored == rows_read  # every row read is kept as a capture (engagement history)
