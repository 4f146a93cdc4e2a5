"""After `dlxh.build.build()`, the scan figures of marts.mart_unit_topic_month match an
independent computation over the two-tool fixtures."""

from __future__ import annotations

import math
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from ingestion.framework import run_ingest
from ingestion.scans.source import ScansSource
from tests.test_scans_fixtures import newsmon_jsonl, reputa_csv, scan_reference

# The surviving state of each unique item, worked out by hand from the fixture rows:
# (unit, topic, month, likes, shares, comments, views, sentiment on -1..1)
EXPECTED_ITEMS = [
    # Facebook post: newsmon's capture (08/03 09:00 local) is the latest; score 20 on 0..100
    ("LDLD.TD", "T11", "2025-03-01", 40, 9, 11, 2500, -0.6),
    # video: reputa's capture (11/03 07:00 local) is later than newsmon's (11/03 06:00 local); «Trung tính»
    ("LDLD.MT", "T06", "2025-03-01", 50, 5, 7, 3000, 0.0),
    # text-only post: newsmon's capture (12:00 local) is later than reputa's (11:00); score 100
    ("LDLD.PT", "T10", "2025-03-01", 2, 0, 0, 0, 1.0),
    # news article (newsmon only): score 75
    ("LDLD.TU", "T04", "2025-04-01", 0, 0, 0, 800, 0.5),
]


def expected_cells() -> dict[tuple[str, str, str], tuple[int, int, float]]:
    cells: dict[tuple[str, str, str], list] = {}
    for unit, topic, month, likes, shares, comments, views, sentiment in EXPECTED_ITEMS:
        weight = round(1 + math.log(1 + likes + comments + 2 * shares + views / 100), 4)
        c = cells.setdefault((unit, topic, month), [0, 0, 0.0, 0.0])
        c[0] += 1
        c[1] += likes + comments + shares
        c[2] += sentiment * weight
        c[3] += weight
    return {k: (n, eng, round(sw / w, 4)) for k, (n, eng, sw, w) in cells.items()}


@pytest.mark.timeout(600)
def test_mart_unit_topic_month_scan_figures(warehouse, tmp_path: Path, monkeypatch) -> None:
    build_mod = pytest.importorskip("dlxh.build")
    scan_reference(warehouse, tmp_path, monkeypatch)  # the registry first: scan items are attributed as they load
    run_ingest(ScansSource(tool="reputa"), [reputa_csv(tmp_path / "reputa.csv")], warehouse, progress=None)
    run_ingest(ScansSource(tool="newsmon"), [newsmon_jsonl(tmp_path / "newsmon.jsonl")], warehouse, progress=None)
    build_mod.build(as_of=date(2025, 5, 1), full_refresh=True)
    with warehouse, warehouse.cursor() as cur:
        cur.execute(
            """select unit_code, topic_code, period_month::text, scan_items, scan_engagement, mean_sentiment
               from marts.mart_unit_topic_month where scan_items > 0"""
        )
        got = {(u, t, m): (n, eng, s) for u, t, m, n, eng, s in cur.fetchall()}
    expected = expected_cells()
    assert set(got) == set(expected)
    for key, (n, eng, mean) in expected.items():
        assert got[key][0] == n and got[key][1] == eng, key
        assert got[key][2] == Decimal(str(mean)).quantize(Decimal("0.0001")), key
