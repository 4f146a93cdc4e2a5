"""Database-free tests of header layout reading, numbers, deadlines, register times and unit witnesses."""

from __future__ import annotations

from datetime import date, datetime, time

import pytest

from dlxh.core.parsing import LOCAL
from ingestion.reference.units import UnitRegistry, UnitVersion
from ingestion.reports.documents import decide_unit
from ingestion.reports.documents.header_fields import extract_header, find_doc_number, find_stated_deadline, split_columns
from ingestion.reports.register import arrival_time, classify, parse_time_text
from tests.corpus_reports import REGISTRY


def registry() -> UnitRegistry:
    return UnitRegistry([UnitVersion(r[0], r[1], date.fromisoformat(r[4]), None, r[2], r[3] or None) for r in REGISTRY])


@pytest.mark.parametrize(
    ("line", "fragments"),
    [
        ("CÔNG ĐOÀN NGÀNH Y TẾ   Độc lập - Tự do - Hạnh phúc", ["CÔNG ĐOÀN NGÀNH Y TẾ", "Độc lập - Tự do - Hạnh phúc"]),
        ("LĐLĐ HUYỆN KHE LIM CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", ["LĐLĐ HUYỆN KHE LIM", "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"]),
        ("CONG HOA XA HOI CHU NGHIA VIET NAM LDLD TINH LAM CAO", ["CONG HOA XA HOI CHU NGHIA VIET NAM", "LDLD TINH LAM CAO"]),
        ("LPLP HUYÉN TAN SON\tPộc lap - Ty do - Hanh phúc", ["LPLP HUYÉN TAN SON", "Pộc lap - Ty do - Hanh phúc"]),
        ("S6: 16/BC-LPLD   Khe Lim, ngay 15 thang 5 nam 2025", ["S6: 16/BC-LPLD", "Khe Lim, ngay 15 thang 5 nam 2025"]),
        ("Số: 15/BC-LĐLĐ Lâm Cao, ngày 12 tháng 5 năm 2025", ["Số: 15/BC-LĐLĐ", "Lâm Cao, ngày 12 tháng 5 năm 2025"]),
        ("Pác Rào, ngày 19 tháng 3 năm 2025 Số:12/BC-LĐLĐ", ["Pác Rào, ngày 19 tháng 3 năm 2025", "Số:12/BC-LĐLĐ"]),
        ("LĐLĐ HUYỆN ĐỒNG XUÂN", ["LĐLĐ HUYỆN ĐỒNG XUÂN"]),
    ],
)
def test_flattened_header_lines_split_into_columns(line, fragments):
    assert split_columns(line) == fragments


@pytest.mark.parametrize("swap", [False, True])
def test_header_read_from_flattened_columns_in_either_order(swap):
    left = ["LĐLĐ TỈNH LÂM CAO", "LĐLĐ HUYỆN THAN SƠN", "Số: 21a/BC-LĐLĐ"]
    right = ["CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc", "Than Sơn, ngày 13 tháng 3 năm 2025"]
    head = [f"{r} {le}" if swap else f"{le} {r}" for le, r in zip(left, right, strict=True)]
    lines = [
        *head,
        "BÁO CÁO",
        "Tình hình tư tưởng, dư luận xã hội tháng 3 năm 2025",
        "(Báo cáo này thay thế Báo cáo số 21/BC-LĐLĐ ngày 11/3/2025)",
        "I. TÌNH HÌNH",
    ]
    h = extract_header(lines)
    assert h.issuer_lines == ["LĐLĐ TỈNH LÂM CAO", "LĐLĐ HUYỆN THAN SƠN"]
    assert h.doc_number == "21a/BC-LĐLĐ" and h.replaces_doc_number == "21/BC-LĐLĐ"
    assert h.issued_on == date(2025, 3, 13) and h.period_month == date(2025, 3, 1) and h.motto_seen
    assert registry().match_header(h.issuer_lines, h.period_month) == ("THAN_SON", [])


def test_ocr_numbers():
    assert find_doc_number(["S6: 16/BC-LPLD"]) == "16/BC-LĐLĐ"
    assert find_doc_number(["Số:15/BC-LĐLĐ"]) == "15/BC-LĐLĐ"
    assert find_doc_number(["Sé: 07/BC-CPN   Lâm Cao, ngày 16 tháng 3 năm 2025"]) == "07/BC-CĐN"


def test_deadline_phrases_are_whole_words_and_the_report_back_deadline_wins():
    # "hạn" inside "Than Sơn" is no deadline.
    assert find_stated_deadline("Than Sơn, ngày 08 tháng 3 năm 2025\nCông ty trả lương vào ngày 15/3/2025.") is None
    text = (
        "Công ty cam kết trả 50% số nợ trước ngày 15/3/2025 và trả hết trước ngày 30/4/2025.\n"
        "Hạn báo cáo kết quả: LĐLĐ huyện sẽ báo cáo kết quả giải quyết về Ban Thường vụ LĐLĐ tỉnh trước ngày 28/3/2025."
    )
    assert find_stated_deadline(text) == datetime(2025, 3, 28, tzinfo=LOCAL)
    assert find_stated_deadline("đề nghị báo cáo đột xuất, thời hạn báo cáo chậm nhất ngày 25/3/2025") == datetime(
        2025, 3, 25, tzinfo=LOCAL
    )
    assert find_stated_deadline("Hạn gửi trước 17 giờ ngày 25/3/2025.") == datetime(2025, 3, 25, 17, 0, tzinfo=LOCAL)


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("16h48", time(16, 48)),
        ("8h47", time(8, 47)),
        ("8 giờ 47", time(8, 47)),
        ("08:47", time(8, 47)),
        ("08:47:00", time(8, 47)),
        ("8h", time(8, 0)),
        ("Bản giấy", None),
        ("", None),
    ],
)
def test_register_typed_times(typed, expected):
    assert parse_time_text(typed) == expected


def test_register_date_and_time_columns():
    assert arrival_time({"received_date": "2025-03-19 00:00:00", "received_time": "23:50"}) == datetime(2025, 3, 19, 23, 50, tzinfo=LOCAL)
    assert arrival_time({"received_date": "20/03/2025", "received_time": "8h15"}) == datetime(2025, 3, 20, 8, 15, tzinfo=LOCAL)
    assert arrival_time({"received_at": "19/03/2025 16:48"}) == datetime(2025, 3, 19, 16, 48, tzinfo=LOCAL)
    with pytest.raises(ValueError):
        arrival_time({"received_date": "20/03/2025", "received_time": "qua bưu điện"})


def test_register_row_meaning():
    assert classify(
        {
            "doc_number": "15a/BC-LĐLĐ",
            "summary": "BC tình hình tư tưởng, DLXH tháng 3/2025 (thay thế BC số 15/BC-LĐLĐ ngày 11/3/2025)",
            "sender": "LĐLĐ TP",
        },
        "TP_LAMCAO",
    ) == ("unit_report", "monthly", "15/BC-LĐLĐ")
    assert classify({"doc_number": "18/BC-LĐLĐ", "summary": "BC đột xuất vụ việc nợ lương", "sender": "LĐLĐ Than Sơn"}, "THAN_SON") == (
        "unit_report",
        "ad_hoc",
        None,
    )
    assert classify({"doc_number": "05/TTr-LĐLĐ", "summary": "Tờ trình đề nghị hỗ trợ", "sender": "LĐLĐ h. Nậm Lư"}, "NAM_LU")[0] == "other"
    assert classify({"doc_number": "03/BC-CĐCS", "summary": "BC kết quả thương lượng tập thể", "sender": "CĐCS Cty A"}, None)[0] == "other"


def test_unit_witnesses_agree_disagree_and_fall_back():
    reg = registry()
    h = extract_header(["LĐLĐ TỈNH LÂM CAO", "LĐLĐ HUYỆN KHE LIM", "BÁO CÁO", "tháng 3 năm 2025"])
    agree = decide_unit(reg, h, date(2025, 3, 1), "BC thang 3 KheLim.docx", "LĐLĐ Khe Lim")
    assert (agree["unit_code"], agree["attribution"], agree["confidence"], agree["disagreement"]) == ("KHE_LIM", "header", "high", None)
    disagree = decide_unit(reg, h, date(2025, 3, 1), "BC T3-2025 Pac Rao.docx", None)
    assert (disagree["unit_code"], disagree["confidence"]) == ("KHE_LIM", "low")
    assert disagree["disagreement"] == {"chosen": "KHE_LIM", "by": "header", "others": {"file_name": "PAC_RAO"}}
    blank = extract_header(["~~ ..", "BÁO CÁO", "tháng 3 năm 2025"])
    by_register = decide_unit(reg, blank, date(2025, 3, 1), "scan_0001.pdf", "LĐLĐ huyện Đồng Xuân")
    assert (by_register["unit_code"], by_register["attribution"], by_register["confidence"]) == ("DONG_XUAN", "register", "medium")
    by_name = decide_unit(reg, blank, date(2025, 3, 1), "BC T3-2025 LDLD TP.pdf", None)
    assert (by_name["unit_code"], by_name["attribution"]) == ("TP_LAMCAO", "file_name")
    assert decide_unit(reg, blank, date(2025, 3, 1), "scan_0001.pdf", "Tỉnh ủy")["unit_code"] is None
