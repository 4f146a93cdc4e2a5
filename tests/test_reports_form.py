"""The structured report form: headers with/without diacritics and in English, CSV encodings, XLSX,
nested online-form JSON, and the blank template handed out to units."""

from __future__ import annotations

import unicodedata
from datetime import date
from pathlib import Path

import pytest

from dlxh.core.tabular import read_table
from ingestion.reports import form
from ingestion.reports.template import write_templates
from tests import fixtures_reports as fx

ROWS = fx.form_rows("LDLD-TD", "Liên đoàn Lao động huyện Tam Đường", "tháng 3 năm 2025", "2025-03-18 09:30", "Số: 15/BC-LĐLĐ")


def parse(path: Path, data: bytes | None = None):
    data = path.read_bytes() if data is None else data
    if path.suffix == ".json":
        data = form.flatten_online_form(data) or data
    table = read_table(path, data)
    assert form.is_form(table)
    return form.parse_form(path, table)


@pytest.mark.parametrize("header", [fx.FORM_HEADER, fx.FORM_HEADER_ASCII, fx.FORM_HEADER_EN], ids=["vi", "ascii", "en"])
@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-8", "utf-16", "cp1258"])
def test_form_csv_headers_and_encodings(tmp_path, header, encoding):
    path = fx.write_form_csv(tmp_path / "f.csv", ROWS, header=header, encoding=encoding)
    reports, bad, read = parse(path)
    assert (read, bad, len(reports)) == (2, [], 1)
    rep = reports[0]
    assert (rep.unit_code, rep.period_month, rep.report_type, rep.doc_number) == ("LDLD-TD", date(2025, 3, 1), "monthly", "15/BC-LĐLĐ")
    assert [(i.topic_code, i.sentiment, i.is_hot_spot) for i in rep.items] == [("T11", "tieu_cuc", True), ("T07", "trung_lap", False)]
    assert rep.situation == unicodedata.normalize("NFC", rep.situation) and "chậm lương" in rep.situation
    assert {t.topic_code: t.is_hot_spot for t in rep.topics} == {"T11": True, "T07": False}


def test_form_xlsx_and_nested_online_json(tmp_path):
    x_reports, _, _ = parse(fx.write_form_xlsx(tmp_path / "f.xlsx", ROWS))
    j_reports, _, _ = parse(fx.write_form_json(tmp_path / "f.json", ROWS, nested=True))
    flat, _, _ = parse(fx.write_form_json(tmp_path / "flat.json", ROWS, nested=False))
    assert x_reports[0].content_key("LDLD-TD") == j_reports[0].content_key("LDLD-TD") == flat[0].content_key("LDLD-TD")
    assert (x_reports[0].source_format, j_reports[0].source_format) == ("xlsx_form", "json_form")


def test_bad_form_rows_are_quarantined_with_reasons(tmp_path):
    rows = [list(ROWS[0]), list(ROWS[1])]
    rows[1][9] = "rất tốt"  # sentiment
    reports, bad, read = parse(fx.write_form_csv(tmp_path / "f.csv", rows))
    assert read == 2 and len(reports[0].items) == 1
    assert [(q.row_number, q.field, q.reason_code) for q in bad] == [(3, "sentiment", "bad_sentiment")]  # line 3 of the file
    assert "tích cực / trung lập / tiêu cực" in bad[0].reason


def test_blank_templates_are_valid_empty_forms(tmp_path):
    xlsx, csv_path = write_templates(tmp_path)
    for path in (xlsx, csv_path):
        table = read_table(path, path.read_bytes())
        assert form.is_form(table) and table.rows == []
        assert set(table.header_index(form.ALIASES)) == set(form.ALIASES)
