"""Reading a batch's scans ahead in threads (ingestion/reports/documents/ahead.py) changes when a
file's text is extracted, never what is loaded: real Tesseract, real PostgreSQL."""

from __future__ import annotations

import hashlib

import pytest

from ingestion.framework import run_ingest
from ingestion.reports.documents.ahead import TextAhead
from ingestion.reports.documents.errors import DocumentError
from ingestion.reports.documents.extract import extract_text
from ingestion.reports.source import ReportsSource
from ingestion.units.source import UnitsSource
from tests import fixtures_reports as fx

# Districts of the fixture registry (tests/fixtures_reports.REGISTRY) and their report numbers.
DISTRICTS = (
    ("LĐLĐ HUYỆN TAM ĐƯỜNG", "Tam Đường", "15/BC-LĐLĐ"),
    ("LĐLĐ HUYỆN PHONG THỔ", "Phong Thổ", "8/BC-LĐLĐ"),
    ("LĐLĐ HUYỆN THAN UYÊN", "Than Uyên", "11/BC-LĐLĐ"),
    ("LĐLĐ HUYỆN TÂN UYÊN", "Tân Uyên", "9/BC-LĐLĐ"),
)


def scans(folder, districts=DISTRICTS):
    """One scanned report per district: page images and one image-only PDF, as scanners write them."""
    paths = []
    for i, (issuer, place, number) in enumerate(districts):
        spec = fx.ReportSpec(issuer=issuer, place=place, doc_number=number)
        if i == len(districts) - 1:
            paths.append(fx.write_scanned_pdf(spec, folder / f"scan_{i + 1}.pdf"))
        else:
            paths.append(fx.write_image(spec, folder / f"scan_{i + 1}.png"))
    return paths


def sha256(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_text_read_ahead_is_what_extract_text_gives_within_its_window(tmp_path):
    paths = scans(tmp_path / "inbox", DISTRICTS[:3])
    empty = tmp_path / "inbox" / "rong.png"
    empty.write_bytes(b"")
    files = [(p, sha256(p)) for p in [*paths, empty]]
    ahead = TextAhead(files, workers=2, window=2)
    try:
        assert ahead.submitted == [paths[0].resolve(), paths[1].resolve()]  # no more than the window ahead
        for path, digest in files[:3]:
            got = ahead.take(path, digest)
            expected = extract_text(path, path.read_bytes())
            assert got is not None and (got.text, got.source_format, got.ocr) == (expected.text, expected.source_format, expected.ocr)
            assert "BÁO CÁO" in got.text.upper()
        with pytest.raises(DocumentError) as raised:  # extract_text's verdict on the file, raised where the load asks
            ahead.take(empty, files[3][1])
        assert raised.value.reason_code == "empty_file"
        assert ahead.submitted == [p.resolve() for p, _h in files]
    finally:
        ahead.close()

    # Content that is not what was read ahead (the file changed in between), a file never
    # submitted, a file taken twice: the caller extracts it itself.
    ahead = TextAhead(files[:2], workers=2)
    try:
        assert ahead.take(paths[0], "0" * 64) is None
        assert ahead.take(tmp_path / "inbox" / "elsewhere.png", files[1][1]) is None
        assert ahead.take(paths[1], files[1][1]) is not None
        assert ahead.take(paths[1], files[1][1]) is None
    finally:
        ahead.close()


def reports_loaded(conn) -> list[tuple]:
    with conn.cursor() as cur:
        cur.execute(
            """select file_hash, source_format, unit_code, period_month, report_type, doc_number, title, situation, causes
               from raw.reports order by file_hash"""
        )
        return cur.fetchall()


def test_a_batch_loads_the_same_with_and_without_read_ahead(warehouse, tmp_path, monkeypatch):
    from tests.conftest import truncate_all

    registry = fx.write_registry(tmp_path / "units.csv")
    inbox = tmp_path / "inbox"
    paths = scans(inbox)
    form = fx.write_form_csv(
        inbox / "gd_form.csv",
        fx.form_rows("CDN-GD", "Công đoàn ngành Giáo dục tỉnh Lai Châu", "2025-03", "2025-03-12 09:30", "5/BC-CĐN"),
        header=fx.FORM_HEADER_ASCII,
    )
    batch = [paths[0], form, *paths[1:]]

    def load(workers: str) -> tuple[ReportsSource, list[tuple]]:
        truncate_all(warehouse)
        assert run_ingest(UnitsSource(), [registry], warehouse, progress=None).reconciles()
        monkeypatch.setenv("DLXH_OCR_WORKERS", workers)
        source = ReportsSource()
        summary = run_ingest(source, batch, warehouse, progress=None)
        assert summary.reconciles() and [f.status for f in summary.files] == ["loaded"] * len(batch), summary.files
        return source, reports_loaded(warehouse)

    alone, without = load("1")
    assert alone.last_read_ahead == []  # DLXH_OCR_WORKERS=1: read-ahead off
    ahead, with_threads = load("2")
    assert ahead.last_read_ahead == [p.resolve() for p in paths]  # the scans, not the form
    assert with_threads == without and len(without) == len(batch)
    assert {"image_ocr", "pdf_scan"} <= {row[1] for row in without} and len({row[2] for row in without}) == len(batch)

    # Again, with two new scans among files loaded before: only the new ones are read ahead.
    more = [
        fx.write_image(fx.ReportSpec(issuer=issuer, place=place, doc_number="99/BC-LĐLĐ"), inbox / "more" / f"scan_{n}.png")
        for n, (issuer, place, _number) in enumerate(DISTRICTS[:2], start=1)
    ]
    source = ReportsSource()
    summary = run_ingest(source, [*batch, *more], warehouse, progress=None)
    assert [f.status for f in summary.files] == ["duplicate"] * len(batch) + ["loaded"] * len(more), summary.files
    assert source.last_read_ahead == [p.resolve() for p in more]
