"""Database-free tests of the report extraction modules: keys, header fields, headings, topics, units."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from dlxh.core.parsing import LOCAL
from ingestion.reference.matching import normalize_doc_number, ocr_key
from ingestion.reference.topics import find_topics
from ingestion.reference.units import UnitRegistry, UnitVersion
from ingestion.reports.documents.header_fields import extract_header, find_month, find_stated_deadline
from ingestion.reports.documents.headings import heading_part, split_parts
from tests.fixtures_reports import REGISTRY, ReportSpec, ocr_damage


def registry() -> UnitRegistry:
    return UnitRegistry([UnitVersion(r[0], r[1], date.fromisoformat(r[4]), None, r[2], r[3] or None) for r in REGISTRY])


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Số: 15/BC-LĐLĐ", "15/BC-LĐLĐ"),
        ("15 / BC-LDLD", "15/BC-LĐLĐ"),
        ("S6: 15/BC-LPLD", "15/BC-LĐLĐ"),
        ("so 7/bc-cđvc", "7/BC-CĐVC"),
        ("168/2024/NĐ-CP", "168/2024/NĐ-CP"),
        ("", None),
    ],
)
def test_doc_numbers_normalise_the_same_way_everywhere(raw, expected):
    assert normalize_doc_number(raw) == expected


def test_ocr_key_treats_p_read_for_d_as_d():
    assert ocr_key("Pảng") == ocr_key("Đảng") == "dang"
    assert ocr_key("LPLD huyén") == "ldld huyen"
    assert ocr_key("Phong Thổ") == "phong tho"


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("LDLD huyén Tam Duong", "LDLD-TD"),
        ("LĐLĐ huyện Tam Đường", "LDLD-TD"),
        ("Liên đoàn Lao động huyện Tam Đường", "LDLD-TD"),
        ("CĐVC tỉnh", "CDVC"),
        ("CĐ ngành Giáo dục", "CDN-GD"),
        ("LDLD huyen Tan Uyen", "LDLD-TNU"),
        ("LĐLĐ huyện Than Uyên", "LDLD-TU"),
    ],
)
def test_unit_names_match_accent_and_ocr_insensitively(name, code):
    assert registry().match_name(name, date(2025, 3, 1)) == (code, [])


def test_unknown_and_ambiguous_unit_names():
    reg = registry()
    assert reg.match_name("LĐLĐ huyện Điện Biên", date(2025, 3, 1)) == (None, [])
    code, candidates = reg.match_name("LPLD huyén Tén Uyén", date(2025, 3, 1))
    assert code is None and set(candidates) == {"LDLD-TU", "LDLD-TNU"}


def test_header_prefers_the_child_unit_over_its_parent():
    assert registry().match_header(["LĐLĐ TỈNH LAI CHÂU", "LĐLĐ HUYỆN TAM ĐƯỜNG"], date(2025, 3, 1)) == ("LDLD-TD", [])


@pytest.mark.parametrize(
    ("text", "month"),
    [
        ("BÁO CÁO\nTình hình dư luận xã hội tháng 3 năm 2025", date(2025, 3, 1)),
        ("Báo cáo tháng 03/2025", date(2025, 3, 1)),
        ("BÁO CÁO T3/2025", date(2025, 3, 1)),
        ("Tam Đường, ngày 18 tháng 4 năm 2025\nBáo cáo tháng 3 năm 2025", date(2025, 3, 1)),
        ("Bao cao tinh hinh thing 11 ndm 2025", date(2025, 11, 1)),
    ],
)
def test_report_month_is_found_but_never_taken_from_a_date(text, month):
    assert find_month(text)[0] == month


def test_date_line_alone_gives_no_report_month():
    assert find_month("Tam Đường, ngày 18 tháng 3 năm 2025")[0] is None


def test_header_fields_of_a_clean_and_an_ocr_damaged_report():
    for text in (ReportSpec().text(), ocr_damage(ReportSpec().text())):
        h = extract_header(text.splitlines())
        assert h.doc_number == "15/BC-LĐLĐ"
        assert h.issued_on == date(2025, 3, 18)
        assert h.place_date_line.endswith("2025") and h.place_date_line.startswith(("Tam Đường", "Tam Puong"))
        assert h.period_month == date(2025, 3, 1)
        assert h.report_type == "monthly"
        assert registry().match_header(h.issuer_lines, h.period_month)[0] == "LDLD-TD"


def test_ad_hoc_report_and_its_stated_deadline():
    spec = ReportSpec(ad_hoc=True, deadline_line="Thực hiện Công văn số 45/CV-LĐLĐ, hạn gửi trước 17 giờ ngày 25/3/2025.")
    h = extract_header(spec.text().splitlines())
    assert h.report_type == "ad_hoc"
    assert h.stated_due_at == datetime(2025, 3, 25, 17, 0, tzinfo=LOCAL)
    assert find_stated_deadline("chậm nhất ngày 25 tháng 3 năm 2025") == datetime(2025, 3, 25, tzinfo=LOCAL)


@pytest.mark.parametrize(
    ("line", "part"),
    [
        ("I. TÌNH HÌNH TƯ TƯỞNG, DƯ LUẬN XÃ HỘI", "situation"),
        ("1. Tình hình dư luận", "situation"),
        ("II. NGUYÊN NHÂN", "causes"),
        ("b) Nguyén nhan", "causes"),
        ("Il. NGUYEN NHAN", "causes"),
        ("III. DU BAO TINH HINH", "forecast"),
        ("3. Dự báo", "forecast"),
        ("IV. PE XUAT, KIEN NGHI", "proposals"),
        ("4. Kiến nghị, đề xuất", "proposals"),
        ("Tình hình tư tưởng, dư luận xã hội tháng 3 năm 2025", None),
        ("- Tình hình kinh tế còn khó khăn", None),
        ("Người lao động phản ánh chậm lương.", None),
    ],
)
def test_part_headings_however_numbered_or_damaged(line, part):
    assert heading_part(line) == part


def test_split_parts_stops_at_recipients_and_keeps_subheadings_as_text():
    lines = [
        "I. Tình hình",
        "1. Tình hình chung",
        "Ổn định.",
        "II. Nguyên nhân: do thời tiết",
        "2. Tình hình việc làm giảm",
        "III. Dự báo",
        "Ổn định.",
        "IV. Đề xuất, kiến nghị",
        "Tăng cường tuyên truyền.",
        "Nơi nhận:",
        "- Lưu VT.",
    ]
    parts = split_parts(lines)
    assert parts.get("situation") == "1. Tình hình chung\nỔn định."
    assert parts.get("causes") == "do thời tiết\n2. Tình hình việc làm giảm"
    assert parts.get("forecast") == "Ổn định."
    assert parts.get("proposals") == "Tăng cường tuyên truyền."


def test_topics_multi_label_with_evidence_and_hot_spots():
    text = (
        "Người lao động phản ánh chậm lương, nợ đọng bảo hiểm xã hội; đây là điểm nóng.\n"
        "Dư luận đồng tình xử phạt theo Nghị định 168/2024/NĐ-CP. Mưa bão gây thiệt hại."
    )
    found = {t.topic_code: t for t in find_topics(text)}
    assert set(found) == {"T06", "T07", "T11"}  # "bảo hiểm" is not "bão"
    assert found["T11"].is_hot_spot and not found["T07"].is_hot_spot
    assert "chậm lương" in found["T11"].evidence and found["T06"].evidence == "Mưa bão gây thiệt hại"


def test_topics_in_ocr_damaged_text_need_tolerance():
    text = ocr_damage("Đoàn viên quan tâm sắp xếp tổ chức bộ máy; người lao động lo mất việc, nợ đọng bảo hiểm là điểm nóng.")
    assert {t.topic_code for t in find_topics(text, tolerant=True)} >= {"T03", "T11"}
    assert {t.topic_code for t in find_topics("Doanh nghiệp gặp khó khăn về đơn hàng, dòng tiền.", tolerant=True)} == set()
