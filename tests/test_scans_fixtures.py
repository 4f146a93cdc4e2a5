"""Builders of small, overlapping exports from the two example tools (reputa CSV, newsmon JSONL).

Unique items across both exports: the Facebook post (3 captures in reputa, 1 in newsmon), the
YouTube video (both tools), the text-only post (both tools, different spacing/normalisation)
and the news article (newsmon only) = 4 items.
"""

from __future__ import annotations

import csv
import io
import json
import unicodedata
from pathlib import Path

REPUTA_HEADERS = [
    "Đường dẫn",
    "Nền tảng",
    "Thời gian đăng",
    "Thời gian quét",
    "Tiêu đề",
    "Nội dung",
    "Tài khoản",
    "Lượt thích",
    "Lượt chia sẻ",
    "Bình luận",
    "Lượt xem",
    "Sắc thái",
    "Chủ đề",
    "Địa bàn",
]
FB_TEXT = "Công nhân ở xã Bình Lư phản ánh công ty nợ lương ba tháng, chưa đóng bảo hiểm xã hội."
ONLY_TEXT = "Người dân xã Dào San lo ngại tình trạng tảo hôn vẫn còn ở một số bản."
YT_TEXT = "Mưa lớn gây sạt lở đường vào xã Ka Lăng."
NEWS_TEXT = "Tỉnh đẩy mạnh chuyển đổi số trong các cơ quan, đơn vị."
REPUTA_ROWS = [
    [
        "https://m.facebook.com/groups/123/posts/456/?fbclid=IwAR0abc",
        "Facebook",
        "05/03/2025 08:15",
        "06/03/2025 09:00",
        "",
        FB_TEXT,
        "@CongNhanTD",
        "10",
        "2",
        "3",
        "100",
        "Tiêu cực",
        "",
        "",
    ],
    [
        "https://www.facebook.com/groups/123/posts/456",
        "Facebook",
        "05/03/2025 08:15",
        "07/03/2025 09:00",
        "",
        FB_TEXT,
        "@CongNhanTD",
        "25",
        "4",
        "6",
        "1.200",
        "Tiêu cực",
        "",
        "",
    ],
    [
        "https://youtu.be/abc123XYZ?si=share99",
        "YouTube",
        "10/03/2025 20:00",
        "11/03/2025 07:00",
        "Sạt lở ở Mường Tè",
        YT_TEXT,
        "kenh_tin_vung_cao",
        "50",
        "5",
        "7",
        "3000",
        "Trung tính",
        "Thiên tai",
        "Mường Tè",
    ],
    ["", "Diễn đàn", "12/03/2025 10:00", "12/03/2025 11:00", "", ONLY_TEXT, "", "1", "0", "0", "", "Tích cực", "", ""],
    ["", "Facebook", "12/03/2025 10:00", "12/03/2025 11:00", "", "", "", "1", "0", "0", "", "Tích cực", "", ""],
    ["https://facebook.com/posts/999", "Facebook", "32/13/2025 10:00", "12/03/2025 11:00", "", "Tin khác", "", "", "", "", "", "", "", ""],
    [
        "https://facebook.com/posts/998",
        "Facebook",
        "12/03/2025 10:00",
        "12/03/2025 11:00",
        "",
        "Tin khác nữa",
        "",
        "",
        "",
        "",
        "",
        "Rất tốt",
        "",
        "",
    ],
    [
        "https://www.facebook.com/groups/123/posts/456",
        "Facebook",
        "05/03/2025 08:15",
        "07/03/2025 09:00",
        "",
        FB_TEXT,
        "@CongNhanTD",
        "25",
        "4",
        "6",
        "1.200",
        "Tiêu cực",
        "",
        "",
    ],
]


def reputa_csv(path: Path, rows: list[list[str]] | None = None) -> Path:
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(REPUTA_HEADERS)
    w.writerows(REPUTA_ROWS if rows is None else rows)
    path.write_bytes(buf.getvalue().encode("utf-8-sig"))
    return path


def newsmon_records() -> list[dict | str]:
    return [
        {
            "link": "https://facebook.com/groups/123/posts/456?utm_source=newsmon&utm_medium=api",
            "published": "2025-03-05T01:15:00Z",
            "crawled_at": "2025-03-08T02:00:00Z",
            "body": FB_TEXT,
            "source": {"type": "fb", "handle": "congnhantd"},
            "engagement": {"likes": 40, "shares": 9, "comments": 11, "views": 2500},
            "sentiment_score": 20,
        },
        {
            "link": "https://www.youtube.com/watch?v=abc123XYZ&feature=share",
            "published": "2025-03-10T13:00:00Z",
            "crawled_at": "2025-03-10T23:00:00Z",
            "headline": "Sạt lở ở Mường Tè",
            "body": YT_TEXT,
            "source": {"type": "yt", "handle": "kenh_tin_vung_cao"},
            "engagement": {"likes": 5, "shares": 1, "comments": 0, "views": 300},
            "sentiment_score": 50,
        },
        {
            "link": None,
            "published": "2025-03-12T03:00:00Z",
            "crawled_at": "2025-03-12T05:00:00Z",
            "body": "  " + unicodedata.normalize("NFD", ONLY_TEXT.upper()).replace(" ", "   ") + " ",
            "source": {"type": "forum"},
            "engagement": {"likes": 2},
            "sentiment_score": 100,
        },
        {
            "link": "https://baolaichau.vn/xa-hoi/chuyen-doi-so.html?utm_campaign=x",
            "published": "2025-04-01T01:00:00Z",
            "crawled_at": "2025-04-01T02:00:00Z",
            "headline": "Chuyển đổi số",
            "body": NEWS_TEXT,
            "source": {"type": "online_news"},
            "geo": {"admin2": "Huyện Than Uyên"},
            "engagement": {"views": 800},
            "sentiment_score": 75,
        },
        {
            "link": "https://baolaichau.vn/other.html",
            "published": "2025-04-01T01:00:00Z",
            "crawled_at": "2025-04-01T02:00:00Z",
            "body": "Tin khác",
            "engagement": {},
            "sentiment_score": 150,
        },
        "{not json",
    ]


def newsmon_jsonl(path: Path, records: list[dict | str] | None = None) -> Path:
    lines = [r if isinstance(r, str) else json.dumps(r, ensure_ascii=False) for r in (records or newsmon_records())]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


# A registry in the federation's own codes (not the demo's) and the config places that give the
# communes the unit names do not: Bình Lư (Tam Đường), Dào San (Phong Thổ), Ka Lăng (Mường Tè).
REGISTRY_HEADER = "Mã ĐV,Tên đơn vị,Tên viết tắt,Loại đơn vị,Trực thuộc,Ngày thành lập\n"
REGISTRY_ROWS = [
    ("LDLD.LC", "Liên đoàn Lao động tỉnh Lai Châu", "LĐLĐ tỉnh", "LĐLĐ tỉnh", ""),
    ("LDLD.TD", "Liên đoàn Lao động huyện Tam Đường", "LĐLĐ Tam Đường", "LĐLĐ huyện", "LDLD.LC"),
    ("LDLD.PT", "Liên đoàn Lao động huyện Phong Thổ", "LĐLĐ Phong Thổ", "LĐLĐ huyện", "LDLD.LC"),
    ("LDLD.MT", "Liên đoàn Lao động huyện Mường Tè", "LĐLĐ Mường Tè", "LĐLĐ huyện", "LDLD.LC"),
    ("LDLD.TU", "Liên đoàn Lao động huyện Than Uyên", "LĐLĐ Than Uyên", "LĐLĐ huyện", "LDLD.LC"),
]
CONFIG_PLACES = (
    "place_name,place_type,unit_code,district_name\n"
    "Bình Lư,commune,LDLD.TD,Tam Đường\nDào San,commune,ldld_pt,Phong Thổ\nKa Lăng,commune,LDLD.MT,Mường Tè\n"
)


def scan_reference(conn, folder: Path, monkeypatch) -> Path:
    """A config folder with places.csv (DLXH_CONFIG_DIR for this test) and the registry above, loaded."""
    from ingestion.framework import run_ingest
    from ingestion.units.source import UnitsSource

    config = folder / "config"
    config.mkdir(parents=True, exist_ok=True)
    (config / "places.csv").write_text(CONFIG_PLACES, encoding="utf-8")
    monkeypatch.setenv("DLXH_CONFIG_DIR", str(config))
    registry = folder / "danh_muc.csv"
    registry.write_text(REGISTRY_HEADER + "".join(f"{c},{n},{s},{t},{p},01/01/2000\n" for c, n, s, t, p in REGISTRY_ROWS), encoding="utf-8")
    summary = run_ingest(UnitsSource(), [registry], conn, progress=None)
    assert summary.totals()["rows_loaded"] == len(REGISTRY_ROWS), summary.render()
    return config


def test_fixtures_are_what_the_docstring_says(tmp_path: Path) -> None:
    text = reputa_csv(tmp_path / "r.csv").read_text(encoding="utf-8-sig")
    assert text.splitlines()[0].startswith("Đường dẫn,")
    lines = newsmon_jsonl(tmp_path / "n.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(lines) == 6 and json.loads(lines[0])["engagement"]["likes"] == 40
