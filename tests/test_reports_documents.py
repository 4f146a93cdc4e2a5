"""Report documents in every format, extracted end to end without the database (OCR really runs tesseract)."""

from __future__ import annotations

import io
import unicodedata
from datetime import date
from pathlib import Path

import pytest

from dlxh.core.text import fold
from ingestion.reference.units import UnitRegistry, UnitVersion
from ingestion.reports.documents import DocumentError, parse_document
from ingestion.reports.documents.extract import extract_text
from tests import fixtures_reports as fx

REG = UnitRegistry([UnitVersion(r[0], r[1], date.fromisoformat(r[4]), None, r[2], r[3] or None) for r in fx.REGISTRY])


def assert_full_report(rec, source_format: str) -> None:
    assert rec.source_format == source_format
    assert rec.unit_code == "LDLD-TD"
    assert rec.period_month == date(2025, 3, 1)
    assert rec.report_type == "monthly"
    assert rec.doc_number == "15/BC-LĐLĐ"
    assert rec.issued_on == date(2025, 3, 18)
    assert "cham luong" in fold(rec.situation)
    for part in (rec.causes, rec.forecast, rec.proposals):
        assert part and "Nơi nhận" not in part
    topics = {t.topic_code: t.is_hot_spot for t in rec.topics}
    assert topics == {"T07": False, "T11": True}


def parse(path: Path):
    return parse_document(path, path.read_bytes(), REG)


def test_docx_paragraphs_and_tables(tmp_path):
    rec = parse(fx.write_docx(fx.ReportSpec(), tmp_path / "bc.docx"))
    assert_full_report(rec, "docx")
    assert "Nghị định 168/2024/NĐ-CP" in rec.situation  # from the table in part I
    assert rec.place_date_line == "Tam Đường, ngày 18 tháng 3 năm 2025"


def test_pdf_with_text_layer(tmp_path):
    assert_full_report(parse(fx.write_pdf_text(fx.ReportSpec(), tmp_path / "bc.pdf")), "pdf_text")


@pytest.mark.parametrize("name", ["anh.png", "anh.jpg", "anh.tiff"])
def test_page_images_through_tesseract(tmp_path, name):
    rec = parse(fx.write_image(fx.ReportSpec(), tmp_path / name))
    assert_full_report(rec, "image_ocr")
    assert rec.extraction["ocr"] is True


def test_scanned_pdf_without_text_layer(tmp_path):
    rec = parse(fx.write_scanned_pdf(fx.ReportSpec(), tmp_path / "scan.pdf"))
    assert_full_report(rec, "pdf_scan")


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "utf-16", "cp1258", "nfd"])
def test_plain_text_in_every_encoding_is_stored_as_nfc(tmp_path, encoding):
    path = fx.write_text(fx.ReportSpec(), tmp_path / f"bc-{encoding}.txt", encoding)
    if encoding == "cp1258":
        assert "\u0301".encode("cp1258") in path.read_bytes()  # really decomposed tone marks
    rec = parse(path)
    assert_full_report(rec, "text")
    for value in (rec.situation, rec.place_date_line, rec.title):
        assert value == unicodedata.normalize("NFC", value)
    assert rec.place_date_line == "Tam Đường, ngày 18 tháng 3 năm 2025"


def test_text_ocrd_elsewhere_with_damaged_diacritics(tmp_path):
    spec = fx.ReportSpec(headings=("I. TÌNH HÌNH", "II. NGUYÊN NHÂN", "III. DỰ BÁO", "IV. ĐỀ XUẤT, KIẾN NGHỊ"))
    path = fx.write_text(spec, tmp_path / "ocr.txt", damage=True)
    damaged = path.read_text(encoding="utf-8")
    assert "LPLP HUYÉN TAM PUONG" in damaged and "Đ" not in damaged
    rec = parse(path)
    assert rec.extraction["ocr"] is True
    assert_full_report(rec, "text")


def test_ad_hoc_document_with_request_from_reference_data(tmp_path):
    from dlxh.core.parsing import parse_local_datetime
    from ingestion.reports.adhoc import AdhocRequest

    spec = fx.ReportSpec(ad_hoc=True, deadline_line="Thực hiện yêu cầu DX-2025-03 của Ban Thường vụ LĐLĐ tỉnh.")
    path = fx.write_docx(spec, tmp_path / "dotxuat.docx")
    due = parse_local_datetime("2025-03-25 17:00")
    rec = parse_document(path, path.read_bytes(), REG, [AdhocRequest("DX-2025-03", "Dư luận về sáp nhập", date(2025, 3, 1), due)])
    assert (rec.report_type, rec.due_at, rec.extraction["request_code"]) == ("ad_hoc", due, "DX-2025-03")
    with pytest.raises(DocumentError) as err:
        parse_document(path, path.read_bytes(), REG, [])
    assert err.value.reason_code == "missing_due"


@pytest.mark.parametrize(
    ("name", "make", "code", "words"),
    [
        ("rong.docx", lambda p: b"", "empty_file", "rỗng"),
        ("cut.docx", lambda p: fx.truncated(fx.write_docx(fx.ReportSpec(), p.with_name("full.docx"))), "corrupt_docx", "hỏng"),
        ("matkhau.docx", lambda p: fx.encrypted_office_bytes(), "password_protected", "mật khẩu"),
        ("cu.doc", lambda p: b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600, "legacy_doc", ".docx"),
        (
            "matkhau.pdf",
            lambda p: fx.write_pdf_text(fx.ReportSpec(), p.with_name("enc.pdf"), encrypt_with="1234").read_bytes(),
            "password_protected",
            "mật khẩu",
        ),
        ("cut.pdf", lambda p: fx.truncated(fx.write_pdf_text(fx.ReportSpec(), p.with_name("full.pdf")))[:200], "corrupt_pdf", "hỏng"),
        ("hong.png", lambda p: b"\x89PNG\r\n\x1a\n" + b"rubbish" * 50, "unreadable_image", "chụp"),
    ],
)
def test_bad_documents_raise_actionable_vietnamese_reasons(tmp_path, name, make, code, words):
    path = tmp_path / name
    data = make(path)
    path.write_bytes(data)
    with pytest.raises(DocumentError) as err:
        parse(path)
    assert err.value.reason_code == code
    assert words in str(err.value)


def test_missing_month_and_unknown_unit_are_refused(tmp_path):
    with pytest.raises(DocumentError) as err:
        parse(fx.write_docx(fx.ReportSpec(title_period="năm 2025"), tmp_path / "a.docx"))
    assert err.value.reason_code == "missing_month"
    with pytest.raises(DocumentError) as err:
        parse(fx.write_docx(fx.ReportSpec(issuer="LĐLĐ HUYỆN ĐIỆN BIÊN ĐÔNG", place="Điện Biên Đông"), tmp_path / "b.docx"))
    assert err.value.reason_code == "unknown_unit" and "ĐIỆN BIÊN ĐÔNG" in str(err.value)


def test_missing_tesseract_quarantines_with_the_install_command(tmp_path, monkeypatch):
    monkeypatch.setenv("DLXH_TESSERACT", "tesseract-not-installed-here")
    from PIL import Image

    buf = io.BytesIO()
    Image.new("L", (200, 100), 255).save(buf, format="PNG")
    with pytest.raises(DocumentError) as err:
        extract_text(Path("anh.png"), buf.getvalue())
    assert err.value.reason_code == "ocr_unavailable"
    assert "apt-get install tesseract-ocr tesseract-ocr-vie" in str(err.value)


@pytest.mark.parametrize("turn", [90, 270])
def test_sideways_page_is_turned_upright_before_ocr(tmp_path, turn):
    """A page photographed or scanned sideways (no EXIF to say so): Tesseract's OSD turns it."""
    img = fx.render_page(fx.ReportSpec()).rotate(turn, expand=True)
    path = tmp_path / f"nghieng-{turn}.png"
    img.save(path, format="PNG")
    assert_full_report(parse(path), "image_ocr")


def test_phone_photo_exif_orientation_is_applied(tmp_path):
    from PIL import Image

    img = fx.render_page(fx.ReportSpec()).rotate(90, expand=True)
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90° clockwise to display": what phones write for a portrait shot
    path = tmp_path / "dien_thoai.jpg"
    img.save(path, format="JPEG", quality=92, exif=exif)
    assert_full_report(parse(path), "image_ocr")
