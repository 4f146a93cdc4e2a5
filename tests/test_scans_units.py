"""Pure functions of the scans source: URL canonicalisation, text keys, scales, attribution."""

from __future__ import annotations

import unicodedata

import pytest

from dlxh.core.text import fold
from ingestion.scans.canonical import canonical_url, digest, item_key, normalised_text
from ingestion.scans.mapping import load_mapping
from ingestion.scans.matching import TopicMatcher, fast_fold
from ingestion.scans.records import parse_count
from ingestion.scans.sentiment import SentimentError, SentimentScale


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("HTTPS://WWW.Facebook.com/groups/123/posts/456/?fbclid=abc&utm_source=x#frag", "https://facebook.com/groups/123/posts/456"),
        ("http://m.facebook.com/story.php?story_fbid=1&id=2&__cft__[0]=zz", "https://facebook.com/story.php?id=2&story_fbid=1"),
        ("https://mbasic.facebook.com/story.php?story_fbid=1&id=2", "https://facebook.com/story.php?id=2&story_fbid=1"),
        ("https://youtu.be/dQw4w9WgXcQ?si=xx&t=30", "https://youtube.com/watch?v=dQw4w9WgXcQ"),
        ("https://m.youtube.com/watch?v=dQw4w9WgXcQ&feature=share", "https://youtube.com/watch?v=dQw4w9WgXcQ"),
        ("https://www.youtube.com/shorts/abcDEF123", "https://youtube.com/watch?v=abcDEF123"),
        ("https://www.instagram.com/p/Cxyz/?igshid=MzRl", "https://instagram.com/p/Cxyz"),
        ("baolaichau.vn/xa-hoi/bai-1.html?b=2&a=1&gclid=9&ref=home", "https://baolaichau.vn/xa-hoi/bai-1.html?a=1&b=2"),
        ("http://vnexpress.net/abc/", "https://vnexpress.net/abc"),
        ("https://x.com/user/status/1?s=20", "https://twitter.com/user/status/1?s=20"),
        ("https://example.vn/", "https://example.vn"),
    ],
)
def test_canonical_url(url: str, expected: str) -> None:
    assert canonical_url(url) == expected


def test_canonical_url_rejects_non_web_addresses() -> None:
    assert canonical_url("  ") is None
    for bad in ("ftp://example.vn/file", "không có link", "mailto:a@b.vn"):
        with pytest.raises(ValueError):
            canonical_url(bad)


def test_text_hash_fallback_ignores_case_accents_normal_form_and_spacing() -> None:
    a = "Người dân xã Dào San lo ngại tình trạng tảo hôn."
    b = "  " + unicodedata.normalize("NFD", a.upper()).replace(" ", " \n  ") + " "
    assert normalised_text(a) == normalised_text(b) == "nguoi dan xa dao san lo ngai tinh trang tao hon."
    assert item_key(None, digest(normalised_text(a))) == item_key(None, digest(normalised_text(b)))
    assert item_key(None, digest(normalised_text(a))).startswith("t")
    assert item_key("https://a.vn/x", "h").startswith("u")


@pytest.mark.parametrize(
    "text",
    [
        "Đường vào xã Pa Ủ bị sạt lở",
        unicodedata.normalize("NFD", "Công nhân Tân Uyên nợ lương"),
        "Ñandú café ü ø 中文 đĐ",
        "a\u0301  b\tc",
        "",
    ],
)
def test_fast_fold_equals_shared_fold(text: str) -> None:
    assert fast_fold(text) == fold(text)


@pytest.mark.parametrize(
    ("spec", "value", "expected"),
    [
        ({"labels": {"Tích cực": 1, "Trung tính": 0, "Tiêu cực": -1}}, "tiêu cực", -1.0),
        ({"labels": {"Tích cực": 1, "Trung tính": 0, "Tiêu cực": -1}}, "Trung Tinh", 0.0),
        ({"labels": {"positive": 2, "neutral": 1, "negative": 0}}, "positive", 1.0),
        ({"range": [0, 100]}, "75", 0.5),
        ({"range": [0, 100]}, "0", -1.0),
        ({"range": [-5, 5]}, "-2,5", -0.5),
        ({"range": [-5, 5]}, "5", 1.0),
        ({"range": [1, 5], "labels": {"rất tốt": 5}}, "rất tốt", 1.0),
        ({"range": [1, 5], "labels": {"rất tốt": 5}}, "2", -0.5),
    ],
)
def test_sentiment_normalisation(spec: dict, value: str, expected: float) -> None:
    assert SentimentScale.from_spec(spec).normalise(value) == pytest.approx(expected)


@pytest.mark.parametrize(
    ("spec", "value", "code"),
    [
        ({"range": [0, 100]}, "101", "sentiment_out_of_scale"),
        ({"range": [-5, 5]}, "-6", "sentiment_out_of_scale"),
        ({"range": [0, 100]}, "tốt", "bad_sentiment"),
        ({"labels": {"Tích cực": 1, "Tiêu cực": -1}}, "Rất tốt", "unknown_sentiment"),
        ({"labels": {"Tích cực": 1, "Tiêu cực": -1}}, "3", "sentiment_out_of_scale"),
    ],
)
def test_sentiment_outside_scale_is_an_error(spec: dict, value: str, code: str) -> None:
    with pytest.raises(SentimentError) as err:
        SentimentScale.from_spec(spec).normalise(value)
    assert err.value.reason_code == code


def _registry():
    from datetime import date

    from ingestion.reference.units import UnitRegistry, UnitVersion

    d0 = date(2000, 1, 1)
    return UnitRegistry(
        [
            UnitVersion("LDLD.LC", "Liên đoàn Lao động tỉnh Lai Châu", d0, None, "province", None, "LĐLĐ tỉnh"),
            UnitVersion("LDLD.TP", "Liên đoàn Lao động thành phố Lai Châu", d0, None, "district", "LDLD.LC", "LĐLĐ TP"),
            UnitVersion("LDLD.TD", "Liên đoàn Lao động huyện Tam Đường", d0, date(2025, 6, 30), "district", "LDLD.LC"),
            UnitVersion("LDLD.MT", "LĐLĐ huyện Mường Tè", d0, None, "district", "LDLD.LC"),
            UnitVersion("LDLD.TU", "Liên đoàn Lao động huyện Than Uyên", d0, None, "district", "LDLD.LC"),
            UnitVersion("LDLD.TNU", "Liên đoàn Lao động huyện Tân Uyên", d0, None, "district", "LDLD.LC"),
            UnitVersion("CDKV.1", "Công đoàn khu vực Tam Đường - Phong Thổ", date(2025, 7, 1), None, "sector", "LDLD.LC"),
            UnitVersion("CDN-GD", "Công đoàn ngành Giáo dục tỉnh Lai Châu", d0, None, "sector", "LDLD.LC", "CĐN Giáo dục"),
        ]
    )


def _gazetteer(places=()):
    from ingestion.reference.places import Gazetteer

    return Gazetteer.build(
        _registry(),
        places,
        territorial_types=["province", "district"],
        levels={"province": "province", "district": "district", "sector": "sector"},
        successors={"LDLD.TD": "CDKV.1"},
    )


def test_gazetteer_derives_places_from_territorial_unit_names() -> None:
    from datetime import date

    g = _gazetteer(
        [
            {"place_name": "Bình Lư", "place_type": "commune", "unit_code": "ldld_td"},
            {"place_name": "Ka Lăng", "place_type": "commune", "unit_code": "LDLD.MT"},
            {"place_name": "Nậm Xe", "place_type": "commune", "unit_code": "LDLD.XX"},
        ]
    )
    march, august = date(2025, 3, 1), date(2025, 8, 1)

    def unit(text, on=march):
        p = g.find(fast_fold(text), on)
        return p.unit_code if p else None

    assert unit("Mưa lũ ở xa Ka Lang, tinh Lai Chau") == "LDLD.MT"  # the commune beats the province
    assert unit("Tỉnh Lai Châu: đường lên Bình Lư sạt lở") == "LDLD.TD"
    assert unit("thành phố Lai Châu tổ chức hội chợ") == unit("TP. Lai Châu") == unit("TP Lai Châu") == "LDLD.TP"
    assert unit("Nhân dân tỉnh Lai Châu") == unit("Lai Châu") == "LDLD.LC"  # the bare name is the province's
    assert unit("H. Tam Đường") == unit("huyện Tam Đường") == unit("Tam Duong") == "LDLD.TD"
    assert unit("Than Uyên") == "LDLD.TU" and unit("Tân Uyên") == "LDLD.TNU"
    assert unit("Tân Uyên và Than Uyên") in ("LDLD.TNU", "LDLD.TU")
    assert unit("Nhà máy Tam Đườngg") is None
    assert unit("Nậm Xe") is None  # its config unit is not in the registry: listed, not used
    assert [p.code for p in g.problems] == ["unknown_unit"] and "«Nậm Xe»" in g.problems[0].message
    # after the 2025 reorganisation Tam Đường (and its communes) belong to the successor
    assert unit("H. Tam Đường", august) == unit("xã Bình Lư", august) == "CDKV.1"
    assert g.resolve_field("ldld-mt", march) == "LDLD.MT" and g.resolve_field("LDLD.TD", august) == "CDKV.1"
    assert g.resolve_field("Huyện Mường Tè, Lai Châu", march) == "LDLD.MT"
    assert g.resolve_field("CĐN Giáo dục", march) == "CDN-GD"  # any unit reference the registry resolves
    assert g.resolve_field("Hà Nội", march) is None


def test_gazetteer_skips_a_unit_before_it_exists_and_ambiguous_names() -> None:
    from datetime import date

    from ingestion.reference.places import Gazetteer
    from ingestion.reference.units import UnitRegistry, UnitVersion

    d0 = date(2000, 1, 1)
    reg = UnitRegistry(
        [
            UnitVersion("A", "Liên đoàn Lao động huyện Sìn Hồ", d0, date(2024, 12, 31), "district"),
            UnitVersion("B", "Liên đoàn Lao động huyện Sìn Hồ", date(2025, 1, 1), None, "district"),
            UnitVersion("C", "Liên đoàn Lao động huyện Nậm Nhùn", d0, None, "district"),
            UnitVersion("D", "LĐLĐ huyện Nậm Nhùn mới", d0, None, "district"),
        ]
    )
    g = Gazetteer.build(reg, territorial_types=["district"], levels={"district": "district"})
    assert g.find(fast_fold("Sìn Hồ"), date(2024, 6, 1)).unit_code == "A"
    assert g.find(fast_fold("Sìn Hồ"), date(2025, 6, 1)).unit_code == "B"
    assert g.find(fast_fold("Nậm Nhùn"), date(2025, 6, 1)).unit_code == "C"
    assert g.find(fast_fold("Nậm Nhùn mới"), date(2025, 6, 1)).unit_code == "D"


def test_topic_keywords_from_shared_taxonomy() -> None:
    from ingestion.scans.matching import ToolTopics

    m = TopicMatcher()

    def find(text: str) -> list[str]:
        return m.find(fast_fold(text), text)

    assert find("Công ty chậm lương, nợ đọng bảo hiểm") == ["T11"]
    assert find("Cong nhan bi no luong") == ["T11"]  # no diacritics: multi-syllable keyword still found
    assert find("Cơn bão số 3 gây sạt lở") == ["T06"]
    assert find("Báo cáo bao nhiêu người") == []  # «bão» only with its diacritics
    assert find("Thực hiện Nghị định 168/2024 về an toàn giao thông") == ["T07"]
    assert find("Không có chủ đề nào ở đây") == []
    topics = ToolTopics("reputa")
    assert topics("Thiên tai; T11") == (("T06", "T11"), ())
    assert topics('["T04", "Chủ đề lạ"]') == (("T04",), ("Chủ đề lạ",))
    assert topics("Chủ đề lạ") == ((), ("Chủ đề lạ",))


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("1234", 1234),
        ("1.234", 1234),
        ("1,234,567", 1234567),
        ("1,2K", 1200),
        ("3 nghìn", 3000),
        ("1.5M", 1_500_000),
        ("2 tr", 2_000_000),
        ("", None),
    ],
)
def test_engagement_counts(value: str, expected: int | None) -> None:
    assert parse_count(value) == expected


def test_mappings_of_both_example_tools_load() -> None:
    reputa, newsmon = load_mapping("reputa"), load_mapping("newsmon")
    assert reputa.columns["url"] == "Đường dẫn" and reputa.sentiment.labels
    assert newsmon.columns["likes"] == "engagement.likes" and (newsmon.sentiment.low, newsmon.sentiment.high) == (0, 100)


def test_canonical_url_fast_path_equals_general_path() -> None:
    """The regex fast path must give exactly the general path's result (or its error)."""
    from itertools import product

    from ingestion.scans import canonical

    schemes = ["https://", "http://", "HTTP://", "", "//"]
    hosts = ["www.facebook.com", "m.facebook.com", "FB.com", "youtu.be", "m.youtube.com", "x.com", "Example.VN.", "localhost", "a..b"]
    paths = ["", "/", "/a/b/", "/shorts/abc", "/p~x/_y-z.html"]
    queries = ["", "?", "?b=2&a=1", "?fbclid=x&v=9", "?a", "?=x", "?a=b=c", "?a&&b=", "?utm_source=x&Ref=y", "?t=30&v=abc"]
    fragments = ["", "#frag", "#a b"]

    def outcome(fn, url):
        try:
            return fn(url)
        except ValueError as exc:
            return ("error", str(exc))

    for parts in product(schemes, hosts, paths, queries, fragments):
        url = "".join(parts)
        canonical._cache.clear()
        assert outcome(canonical.canonical_url, url) == outcome(canonical._canonical_url_general, url), url


def test_numeric_date_fast_path_equals_strptime() -> None:
    from datetime import UTC, datetime

    from ingestion.scans.mapping import DateFormat, _numeric_pattern

    values = [
        "05/03/2025 08:15",
        "5/3/2025 8:15:07",
        " 5/03/2025",
        "05/ 3/2025",
        "31/02/2025",
        "32/13/2025 10:00",
        "05/03/2025  08:15",
        "05/03/2025 24:00",
        "05/03/2025 23:59:61",
        "05/03/25",
        "05/03/2025T08:15",
        "١٢/03/2025",
    ]
    for fmt in ("%d/%m/%Y %H:%M:%S", "%d/%m/%Y %H:%M", "%d/%m/%Y"):
        assert _numeric_pattern(fmt) is not None
        dates = DateFormat((fmt,), UTC)
        for value in values:
            text = value.strip()
            try:
                expected = datetime.strptime(text, fmt).replace(tzinfo=UTC)
            except ValueError:
                expected = None
            try:
                got = dates.parse(value)
            except ValueError:
                got = None
            assert got == expected and (got is None or got.tzinfo is UTC), (fmt, value)
    # formats are tried in the declared order, the first that parses wins
    day_first = DateFormat(("%d/%m/%Y %H:%M:%S", "%d/%m/%Y %H:%M", "%m/%d/%Y"), UTC)
    assert day_first.parse("05/03/2025 08:15") == datetime(2025, 3, 5, 8, 15, tzinfo=UTC)
    assert day_first.parse("05/13/2025") == datetime(2025, 5, 13, tzinfo=UTC)
    assert _numeric_pattern("%d%m%Y") is None and _numeric_pattern("%d %b %Y") is None


def test_line_stream_hands_over_every_line_in_bounded_reads() -> None:
    from ingestion.scans.load import LineStream

    lines = [f"{i}\tx{'y' * (i % 50)}\n" for i in range(2000)]
    stream = LineStream(iter(lines))
    chunks = []
    while chunk := stream.read(1000):
        assert len(chunk) <= 1000
        chunks.append(chunk)
    assert "".join(chunks) == "".join(lines)


class _Unpicklable(Exception):
    def __init__(self, lock: object):
        super().__init__("holds a lock")
        self.lock = lock


def _children() -> set[int]:
    import psutil

    return {c.pid for c in psutil.Process().children() if c.status() != psutil.STATUS_ZOMBIE}


@pytest.mark.parametrize("use_process", [True, False], ids=["process", "thread"])
def test_prefetch_hands_over_every_part_in_order(use_process: bool) -> None:
    from ingestion.scans.prefetch import prefetch

    before = _children()  # processes other tests left running (servers) are not ours

    parts = [{"n": i, "text": f"{i}\tx\n" * 100} for i in range(25)]
    assert list(prefetch(lambda: iter(parts), use_process=use_process)) == parts
    assert list(prefetch(lambda: iter([]), use_process=use_process)) == []
    assert _children() <= before


@pytest.mark.parametrize("use_process", [True, False], ids=["process", "thread"])
def test_prefetch_reraises_the_producer_error(use_process: bool) -> None:
    import threading

    from ingestion.scans.prefetch import ProducerError, prefetch

    before = _children()  # processes other tests left running (servers) are not ours

    def broken():
        yield "1\n"
        raise KeyError("row 2 broke the parser")

    got = []
    with pytest.raises(KeyError, match="row 2 broke"):
        for part in prefetch(broken, use_process=use_process):
            got.append(part)
    assert got == ["1\n"]

    def unpicklable():
        yield "1\n"
        raise _Unpicklable(threading.Lock())

    expected = ProducerError if use_process else _Unpicklable
    with pytest.raises(expected, match="holds a lock"):
        list(prefetch(unpicklable, use_process=use_process))
    assert _children() <= before
    assert not any(t.name.startswith("scans-prefetch") for t in threading.enumerate())


@pytest.mark.parametrize("use_process", [True, False], ids=["process", "thread"])
def test_prefetch_stops_the_producer_when_the_consumer_stops(use_process: bool) -> None:
    import threading

    from ingestion.scans.prefetch import prefetch

    before = _children()  # processes other tests left running (servers) are not ours

    def endless():
        n = 0
        while True:
            n += 1
            yield f"{n}\n" * 10

    for part in prefetch(endless, use_process=use_process):
        assert part.startswith("1\n")
        break
    assert _children() <= before
    assert not any(t.name.startswith("scans-prefetch") for t in threading.enumerate())
    # what ScansSource does when the merge fails: close() stops and reaps the producer at once
    parts = prefetch(endless, use_process=use_process)
    next(parts)
    if use_process:
        assert len(_children() - before) == 1
    else:
        assert any(t.name.startswith("scans-prefetch") for t in threading.enumerate())
    parts.close()
    assert _children() <= before
    assert not any(t.name.startswith("scans-prefetch") for t in threading.enumerate())


def test_prefetch_reports_a_parser_process_that_died() -> None:
    import os
    import signal

    from ingestion.scans.prefetch import ProducerError, prefetch

    before = _children()  # processes other tests left running (servers) are not ours

    def dies():
        yield "1\n"
        os.kill(os.getpid(), signal.SIGKILL)
        yield "never\n"

    with pytest.raises(ProducerError, match="ended without finishing"):
        list(prefetch(dies, use_process=True))
    assert _children() <= before


def test_jsonl_records_equal_json_loads_whatever_the_decoder() -> None:
    """JSONL lines are decoded with msgspec for speed; what it rejects is decided by json.loads."""
    import json

    from ingestion.scans.reader import _jsonl_rows

    columns = {"text": "body", "likes": "engagement.likes", "place": "geo.admin2", "author": "source.handle"}
    lines = [
        '{"body": "Xã Bình Lư", "engagement": {"likes": 1e400}, "source": {"handle": "@a"}}\n',  # msgspec: out of range
        '{"body": "e\\u0301 \\ud800", "engagement": {"likes": NaN}}\n',  # lone surrogate, NaN: json.loads only
        '{"body": "dup", "body": "last wins", "engagement": {"likes": 123456789012345678901234567890}}\n',
        '{"Body": "accent-insensitive key", "Engagement": {"Likes": 7}, "geo": {"admin2": "Than Uyên"}}\n',
        "\n",
        '{"body": "cut"\n',
        "[1, 2]\n",
    ]
    rows = list(_jsonl_rows(iter(lines), columns))
    assert [n for n, _ in rows] == [1, 2, 3, 4, 6, 7]
    assert rows[0][1] == {"text": "Xã Bình Lư", "likes": "inf", "place": "", "author": "@a"}
    assert rows[1][1]["text"] == json.loads(lines[1])["body"] and rows[1][1]["likes"] == "nan"
    assert rows[2][1]["text"] == "last wins" and rows[2][1]["likes"] == "123456789012345678901234567890"
    assert rows[3][1] == {"text": "accent-insensitive key", "likes": "7", "place": "Than Uyên", "author": ""}
    assert rows[4][1]["__error__"].startswith("Dòng 6 không phải JSON hợp lệ: ")
    assert rows[5][1]["__error__"] == "Dòng 7 không phải một đối tượng JSON ({...})."
