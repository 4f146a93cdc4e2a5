"""End to end, from the outside in: a federation's own registry and config folder, two monitoring
vendors' exports as they really come, loaded through the real sources and built with dbt.

* Registry in the federation's codes and abbreviations (LDLD.TD, LDLD.TP, CDN-GD, types «LĐLĐ
  huyện», «LĐLĐ TP», «CĐ ngành»); Phong Thổ's federation is dissolved on 1 July 2025 with Tam
  Đường's as its successor (the 2025 reorganisation).
* Config folder: the two tools' mappings (scan_tools/), their topic codes in topic_aliases.csv
  (scoped to each tool), two communes in places.csv and one keyed by a code the registry lacks.
* «vnlisten»: a CSV with Vietnamese headers (Tiêu đề, Đường dẫn, Nền tảng, Thời gian đăng, Chủ đề,
  Địa bàn, Sắc thái, Lượt tương tác), its own topic codes (NGUOI_LAO_DONG, XUYEN_TAC, ...).
* «apimon»: a JSON API dump {"errors": [], "items": [...]} and a JSONL stream, nested fields,
  English topic codes (LABOUR_RIGHTS, ...), places in location.district written «H. Tam Đường»,
  «TP Lai Châu»; a third of the items also in vnlisten's export (other URL spelling).

Expected figures are computed here from the generated items (the truth each item was written
from), not from the code under test.
"""

from __future__ import annotations

import csv
import io
import json
import os
import random
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path

import pytest

from ingestion.framework import run_ingest
from ingestion.scans.source import ScansSource
from ingestion.units.source import UnitsSource

LOCAL = timezone(timedelta(hours=7))
REGISTRY = """DANH MỤC ĐƠN VỊ BÁO CÁO DƯ LUẬN XÃ HỘI
Mã ĐV,Tên đơn vị,Tên viết tắt,Loại đơn vị,Trực thuộc,Ngày thành lập,Ngày giải thể,Đơn vị kế thừa
LDLD.LC,Liên đoàn Lao động tỉnh Lai Châu,LĐLĐ tỉnh,LĐLĐ tỉnh,,01/01/2000,,
LDLD.TP,Liên đoàn Lao động thành phố Lai Châu,LĐLĐ TP,LĐLĐ TP,LĐLĐ tỉnh,01/01/2000,,
LDLD.TD,Liên đoàn Lao động huyện Tam Đường,LĐLĐ Tam Đường,LĐLĐ huyện,LĐLĐ tỉnh,01/01/2000,,
LDLD.PT,Liên đoàn Lao động huyện Phong Thổ,LĐLĐ Phong Thổ,LĐLĐ huyện,LĐLĐ tỉnh,01/01/2000,01/07/2025,LDLD.TD
LDLD.TU,Liên đoàn Lao động huyện Than Uyên,LĐLĐ Than Uyên,LĐLĐ huyện,LĐLĐ tỉnh,01/01/2000,,
CDN-GD,Công đoàn ngành Giáo dục tỉnh Lai Châu,CĐN Giáo dục,CĐ ngành,LĐLĐ tỉnh,01/01/2000,,
"""
PLACES = """place_name,place_type,unit_code,district_name
Bình Lư,commune,LDLD.TD,Tam Đường
San Thàng,commune,ldld_tp,thành phố Lai Châu
Nậm Xe,commune,LDLD.NX,Phong Thổ
"""
TOPIC_ALIASES = """alias,topic_code,scope,note
NGUOI_LAO_DONG,T11,vnlisten,Người lao động
XUYEN_TAC,T12,vnlisten,Xuyên tạc
THIEN_TAI,T06,vnlisten,
LABOUR_RIGHTS,T11,apimon,
FAKE_NEWS,T12,apimon,
DISASTER,T06,apimon,
DIGITAL_ECONOMY,T04,apimon,
"""
VNLISTEN_TOML = """tool = "vnlisten"
description = "VnListen — CSV, tiêu đề cột tiếng Việt"

[columns]
title = "Tiêu đề"
url = "Đường dẫn"
platform = "Nền tảng"
published_at = "Thời gian đăng"
topic = "Chủ đề"
place = "Địa bàn"
sentiment = "Sắc thái"
likes = "Lượt tương tác"
text = "Nội dung tóm tắt"

[dates]
format = ["%d/%m/%Y %H:%M"]
timezone = "Asia/Ho_Chi_Minh"

[sentiment]
labels = { "Tích cực" = 1, "Trung lập" = 0, "Tiêu cực" = -1 }

[platforms]
"Mạng xã hội Facebook" = "facebook"
"Báo điện tử" = "news"
"""
APIMON_YAML = """tool: apimon
description: ApiMon — JSON/JSONL API dump, nested fields
columns:
  url: post.permalink
  title: post.title
  text: post.content
  published_at: post.published_at
  captured_at: fetched_at
  platform: channel.kind
  likes: metrics.reactions
  shares: metrics.shares
  comments: metrics.comments
  views: metrics.views
  sentiment: tone
  topic: topics
  place: location.district
dates:
  format: iso
  timezone: UTC
sentiment:
  range: [-1, 1]
"""

# (how vnlisten writes the place, how apimon writes it, the unit on a day before / from 1 July 2025)
PLACE_TRUTH = [
    ("huyện Tam Đường", "H. Tam Đường", "LDLD.TD", "LDLD.TD"),
    ("TP. Lai Châu", "TP Lai Châu", "LDLD.TP", "LDLD.TP"),
    ("Phong Thổ", "H. Phong Thổ", "LDLD.PT", "LDLD.TD"),  # dissolved 1/7/2025: its successor takes it
    ("xã Bình Lư", "Bình Lư", "LDLD.TD", "LDLD.TD"),
    ("San Thàng", "xã San Thàng", "LDLD.TP", "LDLD.TP"),
    ("Than Uyên", "H. Than Uyên", "LDLD.TU", "LDLD.TU"),
    ("Lai Châu", "tỉnh Lai Châu", "LDLD.LC", "LDLD.LC"),
    ("Hà Nội", "Ha Noi", None, None),  # no unit: listed, the item loads with unit_code null
]
# (vnlisten's code, apimon's code, the federation's topic); None = a code no alias maps
TOPIC_TRUTH = [
    ("NGUOI_LAO_DONG", "LABOUR_RIGHTS", "T11"),
    ("XUYEN_TAC", "FAKE_NEWS", "T12"),
    ("THIEN_TAI", "DISASTER", "T06"),
    ("GIAI_TRI", "CELEBRITY", None),
]
TEXTS = [
    "Ý kiến của người dân về tình hình địa phương.",
    "Bài viết chia sẻ trên mạng về một sự việc gần đây.",
    "Phản ánh của bạn đọc gửi tòa soạn.",
]  # no place names and no taxonomy keywords


@dataclass
class Item:
    n: int
    place: int
    topic: int
    published: datetime
    tools: str  # v | a | va
    likes: int
    tone: float

    @property
    def unit(self) -> str | None:
        truth = PLACE_TRUTH[self.place]
        return truth[2] if self.published.astimezone(LOCAL).date() < date(2025, 7, 1) else truth[3]

    @property
    def topic_code(self) -> str | None:
        return TOPIC_TRUTH[self.topic][2]

    @property
    def month(self) -> str:
        return f"{self.published.astimezone(LOCAL):%Y-%m}-01"


def generate(seed: int = 13, n: int = 90) -> list[Item]:
    rng = random.Random(seed)
    items = []
    for i in range(n):
        published = datetime(2025, rng.choice([5, 6, 7]), rng.randint(1, 28), rng.randint(0, 23), rng.randint(0, 59), tzinfo=LOCAL)
        items.append(
            Item(
                i,
                rng.randrange(len(PLACE_TRUTH)),
                rng.randrange(len(TOPIC_TRUTH)),
                published,
                ("v", "a", "va")[i % 3],
                rng.randint(0, 300),
                rng.choice([-1.0, 0.0, 1.0]),
            )
        )
    return items


def write_config(folder: Path) -> Path:
    (folder / "scan_tools").mkdir(parents=True)
    (folder / "scan_tools" / "vnlisten.toml").write_text(VNLISTEN_TOML, encoding="utf-8")
    (folder / "scan_tools" / "apimon.yaml").write_text(APIMON_YAML, encoding="utf-8")
    (folder / "topic_aliases.csv").write_text(TOPIC_ALIASES, encoding="utf-8")
    (folder / "places.csv").write_text(PLACES, encoding="utf-8")
    return folder


def vnlisten_csv(path: Path, items: list[Item]) -> Path:
    labels = {-1.0: "Tiêu cực", 0.0: "Trung lập", 1.0: "Tích cực"}
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(
        ["STT", "Tiêu đề", "Đường dẫn", "Nền tảng", "Thời gian đăng", "Chủ đề", "Địa bàn", "Sắc thái", "Lượt tương tác", "Nội dung tóm tắt"]
    )
    for k, it in enumerate(x for x in items if "v" in x.tools):
        w.writerow(
            [
                k + 1,
                f"Tin số {it.n}",
                f"https://www.facebook.com/groups/dlxh/posts/{it.n}/?fbclid=vn{it.n}",
                "Mạng xã hội Facebook",
                it.published.strftime("%d/%m/%Y %H:%M"),
                TOPIC_TRUTH[it.topic][0],
                PLACE_TRUTH[it.place][0],
                labels[it.tone],
                f"{it.likes:,}".replace(",", "."),
                TEXTS[it.n % 3],
            ]
        )
    path.write_bytes(buf.getvalue().encode("utf-8-sig"))
    return path


def apimon_record(it: Item) -> dict:
    return {
        "id": f"am-{it.n}",
        "post": {
            "permalink": f"https://m.facebook.com/groups/dlxh/posts/{it.n}?utm_source=apimon",
            "title": f"Tin số {it.n}",
            "content": TEXTS[it.n % 3],
            "published_at": it.published.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        },
        "fetched_at": (it.published + timedelta(hours=3)).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "channel": {"kind": "facebook"},
        "metrics": {"reactions": it.likes, "shares": 1, "comments": 2, "views": 10 * it.likes},
        "tone": it.tone,
        "topics": [TOPIC_TRUTH[it.topic][1]],
        "location": {"district": PLACE_TRUTH[it.place][1], "province": "Lai Châu"},
    }


def apimon_exports(folder: Path, items: list[Item]) -> list[Path]:
    records = [apimon_record(it) for it in items if "a" in it.tools]
    half = len(records) // 2
    doc = folder / "apimon_dump.json"
    doc.write_text(json.dumps({"errors": [], "paging": {"next": None}, "items": records[:half]}, ensure_ascii=False), encoding="utf-8")
    stream = folder / "apimon_stream.jsonl"
    stream.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records[half:]), encoding="utf-8")
    return [doc, stream]


@pytest.fixture(scope="module")
def federation(module_warehouse, warehouse_target, tmp_path_factory):
    """Registry + config folder + both vendors' exports loaded through the real sources, then `dlxh build`."""
    from dlxh.core.db import connect

    build_mod = pytest.importorskip("dlxh.build")
    conn = connect(warehouse_target)  # ingestion needs its transactions (module_warehouse is autocommit)
    folder = tmp_path_factory.mktemp("federation")
    old = os.environ.get("DLXH_CONFIG_DIR")
    os.environ["DLXH_CONFIG_DIR"] = str(write_config(folder / "config"))
    try:
        items = generate()
        registry = folder / "danh_muc_don_vi.csv"
        registry.write_text(REGISTRY, encoding="utf-8")
        units = run_ingest(UnitsSource(), [registry], conn, progress=None)
        assert units.totals()["rows_loaded"] == 6, units.render()
        v = run_ingest(ScansSource(tool="vnlisten"), [vnlisten_csv(folder / "vnlisten_thang.csv", items)], conn, progress=None)
        a = run_ingest(ScansSource(tool="apimon"), apimon_exports(folder, items), conn, progress=None)
        build_mod.build(as_of=date(2025, 8, 25), full_refresh=True)  # raises when a model or a data test fails
        yield items, v, a
    finally:
        conn.close()
        if old is None:
            os.environ.pop("DLXH_CONFIG_DIR", None)
        else:
            os.environ["DLXH_CONFIG_DIR"] = old


def test_every_row_is_loaded_and_duplicates_across_tools_are_one_item(federation, module_warehouse) -> None:
    items, v, a = federation
    assert v.reconciles() and a.reconciles()
    tv, ta = v.totals(), a.totals()
    in_v, in_a, both = sum("v" in i.tools for i in items), sum("a" in i.tools for i in items), sum(i.tools == "va" for i in items)
    assert (tv["rows_read"], tv["rows_loaded"], tv["rows_quarantined"]) == (in_v, in_v, 0)
    assert (ta["rows_read"], ta["rows_loaded"], ta["rows_updated"], ta["rows_quarantined"]) == (in_a, in_a - both, both, 0)
    assert [f.status for f in a.files] == ["loaded", "loaded"]  # the JSON dump's "items", not its empty "errors"
    with module_warehouse.cursor() as cur:
        cur.execute("select count(*) from raw.scan_items")
        assert cur.fetchone()[0] == len(items)


def test_scan_items_by_unit_match_the_generated_items(federation, module_warehouse) -> None:
    items, _, _ = federation
    expected = Counter(i.unit for i in items)
    with module_warehouse.cursor() as cur:
        cur.execute("select unit_code, count(distinct signal_group_key) from marts.fct_opinion_signal where source = 'scan' group by 1")
        got = dict(cur.fetchall())
    assert got == dict(expected)
    assert expected["LDLD.TD"] > 0 and expected[None] > 0 and "LDLD.PT" in expected


def test_scan_items_by_unit_topic_month_match_the_generated_items(federation, module_warehouse) -> None:
    items, _, _ = federation
    expected = Counter((i.unit, i.topic_code, i.month) for i in items)
    with module_warehouse.cursor() as cur:
        cur.execute(
            """select unit_code, topic_code, period_month::text, scan_items from marts.mart_unit_topic_month
               where scan_items > 0"""
        )
        got = {(u, t, m): n for u, t, m, n in cur.fetchall()}
    assert got == dict(expected)
    # the tool's own codes went through the aliases: no keyword guessing on these keyword-free texts
    assert {t for _, t, _ in got} == {"T11", "T12", "T06", None}


def test_unmatched_places_and_topics_are_listed_in_the_import_summary(federation, module_warehouse) -> None:
    items, v, a = federation
    v_detail, a_details = v.files[0].detail, [f.detail for f in a.files]
    want_v_topics = sum("v" in i.tools and i.topic_code is None for i in items)
    assert v_detail["unmatched_topics"] == {"GIAI_TRI": want_v_topics}
    assert v_detail["unmatched_places"] == {"Hà Nội": sum("v" in i.tools and i.unit is None for i in items)}
    assert sum(d.get("unmatched_topics", {}).get("CELEBRITY", 0) for d in a_details) == sum(
        "a" in i.tools and i.topic_code is None for i in items
    )
    assert sum(d.get("unmatched_places", {}).get("Ha Noi", 0) for d in a_details) == sum("a" in i.tools and i.unit is None for i in items)
    assert any("«Nậm Xe»" in p and "LDLD.NX" in p for p in v_detail["place_problems"])
    assert any("GIAI_TRI" in n and "topic_aliases.csv" in n for n in v_detail["notes"])
    with module_warehouse.cursor() as cur:
        cur.execute("select summary from ops.loads where load_id = %s", (v.load_id,))
        assert cur.fetchone()[0]["files"][0]["detail"]["unmatched_places"] == v_detail["unmatched_places"]
        # the raw topic text is kept where no alias resolved it
        cur.execute("select count(*) from raw.scan_items where topic_codes = '{}' and topic_raw is not null")
        assert cur.fetchone()[0] == sum(i.topic_code is None for i in items)


# -- the JSON document without records, mapping and config errors -------------------------------
def test_json_document_without_records_is_quarantined(warehouse, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("DLXH_CONFIG_DIR", str(write_config(tmp_path / "config")))
    empty = tmp_path / "apimon_empty.json"
    empty.write_text(json.dumps({"errors": [{"code": 429, "message": "rate limited"}], "items": []}), encoding="utf-8")
    summary = run_ingest(ScansSource(tool="apimon"), [empty], warehouse, progress=None)
    (f,) = summary.files
    assert f.status == "quarantined" and [q.reason_code for q in f.quarantined] == ["no_records"]
    assert "không có bản ghi nào" in f.quarantined[0].reason
    # a mapping naming the records path: a wrong path is said so
    mapping = tmp_path / "config" / "scan_tools" / "apimon.yaml"
    mapping.write_text(APIMON_YAML + "records: data.items\n", encoding="utf-8")
    doc = tmp_path / "apimon_nested.json"
    doc.write_text(json.dumps({"data": {"items": [apimon_record(generate(n=1)[0])]}}), encoding="utf-8")
    assert run_ingest(ScansSource(tool=str(mapping)), [doc], warehouse, progress=None).totals()["rows_loaded"] == 1
    mapping.write_text(APIMON_YAML + "records: data.rows\n", encoding="utf-8")
    other = tmp_path / "apimon_nested_2.json"
    other.write_text(json.dumps({"data": {"items": [apimon_record(generate(seed=2, n=1)[0])]}}), encoding="utf-8")
    (f,) = run_ingest(ScansSource(tool="apimon"), [other], warehouse, progress=None).files
    assert f.status == "quarantined" and "«data.rows»" in f.quarantined[0].reason


BAD_MAPPINGS = [
    ("format5.toml", 'tool = "x"\n[columns]\nurl = "Link"\n[dates]\nformat = 5\n', "field dates.format"),
    ("columns_text.toml", 'tool = "x"\ncolumns = "url"\n', "field columns"),
    ("unknown_key.toml", 'tool = "x"\ncolour = "red"\n[columns]\nurl = "Link"\n', "field colour"),
    ("unknown_field.toml", 'tool = "x"\n[columns]\nurl = "Link"\nreach = "Reach"\n', "field columns.reach"),
    ("unknown_dates_key.toml", 'tool = "x"\n[columns]\nurl = "Link"\n[dates]\nzone = "UTC"\n', "field dates.zone"),
    ("syntax.toml", 'tool = "x"\n[columns\nurl = "Link"\n', "not valid TOML"),
    ("fallback.toml", 'tool = "x"\n[columns]\nurl = "Link"\ntopic = "T"\n[topics]\nfallback = "guess"\n', "field topics.fallback"),
    ("no_scale.toml", 'tool = "x"\n[columns]\nurl = "Link"\nsentiment = "S"\n', "field sentiment"),
]


@pytest.mark.parametrize(("name", "text", "field"), BAD_MAPPINGS, ids=[b[0] for b in BAD_MAPPINGS])
def test_malformed_mapping_exits_2_naming_file_and_field(warehouse_target, tmp_path: Path, name: str, text: str, field: str) -> None:
    from dlxh.core.errors import ConfigError
    from ingestion.scans.mapping import load_mapping

    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_mapping(str(path))
    assert str(path) in str(err.value) and field in str(err.value)
    if name in ("format5.toml", "columns_text.toml", "syntax.toml"):  # the CLI path, each kind once
        export = tmp_path / "export.csv"
        export.write_text("Link\nhttps://a.vn/1\n", encoding="utf-8")
        proc = subprocess.run(
            [sys.executable, "-m", "dlxh.cli", "ingest", "scans", str(export), "--tool", str(path)],
            capture_output=True,
            text=True,
            env=os.environ.copy(),
        )
        assert proc.returncode == 2, proc.stderr
        assert str(path) in proc.stderr and field in proc.stderr and "Traceback" not in proc.stderr


def test_tool_name_from_the_config_folder_wins_and_unknown_names_are_explained(tmp_path: Path, monkeypatch) -> None:
    from dlxh.core.errors import ConfigError
    from ingestion.scans.mapping import find_mapping, load_mapping

    config = tmp_path / "config"
    (config / "scan_tools").mkdir(parents=True)
    (config / "scan_tools" / "reputa.toml").write_text('tool = "reputa"\n[columns]\ntext = "Bài"\n', encoding="utf-8")
    monkeypatch.setenv("DLXH_CONFIG_DIR", str(config))
    assert find_mapping("reputa") == config / "scan_tools" / "reputa.toml"
    assert load_mapping("reputa").columns == {"text": "Bài"}
    assert find_mapping("newsmon").parent.name == "scan_tools" and find_mapping("newsmon").parent != config / "scan_tools"
    with pytest.raises(ConfigError, match="known tools: newsmon, reputa"):
        find_mapping("khong_co")
    with pytest.raises(ConfigError, match="no such mapping file"):
        find_mapping(str(tmp_path / "missing.toml"))


def test_inbox_tool_folder_takes_its_own_mapping_file_or_its_name(tmp_path: Path) -> None:
    from ingestion.sources import spec_of

    spec = spec_of("scans")
    root = tmp_path / "inbox" / "scans"
    own = root / "vendor_x"
    named = root / "apimon"
    own.mkdir(parents=True)
    named.mkdir(parents=True)
    (own / "mapping.toml").write_text(VNLISTEN_TOML, encoding="utf-8")
    assert spec.options_for(root, own / "export.csv") == {"tool": str(own / "mapping.toml")}
    assert spec.options_for(root, named / "dump.json") == {"tool": "apimon"}
    assert spec.options_for(root, root / "loose.csv") is None  # left in the inbox with a warning
