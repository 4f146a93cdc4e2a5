"""Survey ingestion end to end on a real embedded PostgreSQL: Kobo re-exports, ODK Central, Google Forms."""

from __future__ import annotations

import hashlib
import hmac
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from ingestion.framework import run_ingest
from ingestion.surveys import sample
from ingestion.surveys.source import SurveysSource
from ingestion.units.source import UnitsSource


@pytest.fixture()
def examples(tmp_path: Path) -> dict[str, Path]:
    return sample.write_examples(tmp_path / "examples")


@pytest.fixture()
def loaded_units(warehouse, examples):
    summary = run_ingest(UnitsSource(), [examples["units"]], warehouse, progress=None)
    assert summary.totals()["rows_loaded"] == len(sample.UNITS)
    return warehouse


def _ingest(conn, files, form: Path):
    return run_ingest(SurveysSource(form=str(form)), files, conn, progress=None)


def _scalar(conn, sql: str, params=()):
    with conn, conn.cursor() as cur:
        cur.execute(sql, params)
        return cur.fetchone()[0]


def test_kobo_reexport_loads_each_submission_exactly_once(loaded_units, examples):
    conn = loaded_units
    first = _ingest(conn, [examples["kobo_march"]], examples["form"])
    t = first.totals()
    assert (t["rows_read"], t["rows_loaded"], t["rows_updated"], t["rows_unchanged"], t["rows_quarantined"]) == (12, 12, 0, 0, 0)

    second = _ingest(conn, [examples["kobo_april"]], examples["form"])
    t = second.totals()
    # 12 March submissions again (one edited) + 6 new + 3 broken rows
    assert (t["rows_read"], t["rows_loaded"], t["rows_updated"], t["rows_unchanged"], t["rows_quarantined"]) == (21, 6, 1, 11, 3)
    assert second.reconciles()
    assert _scalar(conn, "select count(*) from raw.survey_responses") == 18
    assert (
        _scalar(
            conn, "select count(*) from (select submission_uuid, question_name from raw.survey_answers group by 1, 2 having count(*) > 1) d"
        )
        == 0
    )
    # the edited submission carries its new answer
    edited = sample.generate(1, (2025, 3))
    first_uuid = next(edited).uuid
    new_score = _scalar(
        conn, "select raw_value from raw.survey_answers where submission_uuid = %s and question_name = 'hl_tien_luong'", (first_uuid,)
    )
    original = next(sample.generate(1, (2025, 3))).likert["hl_tien_luong"]
    assert new_score == str(5 if original != 5 else 4)

    # the same submissions exported with labels (XLSX) are recognised as unchanged
    third = _ingest(conn, [examples["kobo_labels"]], examples["form"])
    t = third.totals()
    assert (t["rows_read"], t["rows_unchanged"], t["rows_loaded"], t["rows_updated"]) == (6, 6, 0, 0)
    # re-running the partly loaded file (its broken rows are retried) changes nothing
    t = _ingest(conn, [examples["kobo_april"]], examples["form"]).totals()
    assert (t["rows_read"], t["rows_loaded"], t["rows_updated"], t["rows_unchanged"], t["rows_quarantined"]) == (21, 0, 0, 18, 3)
    # a file loaded in full is skipped as a duplicate the second time
    assert _ingest(conn, [examples["kobo_march"]], examples["form"]).files[0].status == "duplicate"
    assert _scalar(conn, "select count(*) from raw.survey_responses") == 18


def test_bad_rows_are_quarantined_with_vietnamese_reasons(loaded_units, examples):
    conn = loaded_units
    _ingest(conn, [examples["kobo_april"]], examples["form"])
    with conn, conn.cursor() as cur:
        cur.execute("select reason_code, field, reason, record::text from ops.quarantine where source = 'surveys' order by row_number")
        rows = cur.fetchall()
    codes = [r[0] for r in rows]
    assert codes == ["missing_uuid", "out_of_scale", "unknown_unit"]
    reasons = {r[0]: r[2] for r in rows}
    assert "Thiếu mã phiếu" in reasons["missing_uuid"]
    assert "nằm ngoài thang đo 1–5" in reasons["out_of_scale"]
    assert "LDLD-XX" in reasons["unknown_unit"] and "danh mục đơn vị" in reasons["unknown_unit"]
    # quarantine records never carry the respondent's identity
    for *_, record in rows:
        for a in sample.generate(3, (2025, 4), start=90):
            assert a.name not in record and a.phone not in record


def test_unknown_choice_and_bad_date(loaded_units, examples, tmp_path):
    shape = sample.FormShape()
    header = sample.kobo_header(shape)
    rows = [sample.kobo_row(a, i, shape) for i, a in enumerate(sample.generate(2, (2025, 5), seed=3))]
    rows[0][header.index("danh_gia/van_de")] = "tien_luong du_lich"
    rows[1][header.index("_submission_time")] = "hôm qua"
    rows[1][header.index("end")] = ""
    path = sample.write_csv(tmp_path / "bad.csv", header, rows)
    summary = _ingest(loaded_units, [path], examples["form"])
    assert summary.totals()["rows_quarantined"] == 2 and summary.files[0].status == "quarantined"
    reasons = {q.reason_code: q.reason for q in summary.files[0].quarantined}
    assert set(reasons) == {"unknown_choice", "bad_date"}
    assert "du_lich" in reasons["unknown_choice"]


def test_reversed_scale_and_select_multiple(loaded_units, examples):
    conn = loaded_units
    _ingest(conn, [examples["kobo_march"]], examples["form"])
    answers = list(sample.generate(12, (2025, 3)))
    with conn, conn.cursor() as cur:
        for a in answers:
            cur.execute(
                """select question_name, topic_code, numeric_score, raw_value, choice_codes, choice_labels
                   from raw.survey_answers where submission_uuid = %s""",
                (a.uuid,),
            )
            got = {r[0]: r[1:] for r in cur.fetchall()}
            assert got["lo_mat_viec"][:3] == ("T11", Decimal(6 - a.likert["lo_mat_viec"]), str(a.likert["lo_mat_viec"]))
            assert got["hl_tien_luong"][1] == Decimal(a.likert["hl_tien_luong"])
            assert got["chinh_sach_bat_cap"][1] == Decimal(6 - a.likert["chinh_sach_bat_cap"])
            if a.issues:
                assert got["van_de"][3] == a.issues
                labels = dict(sample.ISSUES)
                assert got["van_de"][4] == [labels[c] for c in a.issues]
            else:
                assert "van_de" not in got
            cur.execute("select unit_code, period_month from raw.survey_responses where submission_uuid = %s", (a.uuid,))
            unit, month = cur.fetchone()
            assert unit == a.unit
            local = a.submitted_utc.astimezone(__import__("zoneinfo").ZoneInfo("Asia/Ho_Chi_Minh"))
            assert month == date(local.year, local.month, 1)


def test_respondents_hashed_and_free_text_only_in_restricted(loaded_units, examples, monkeypatch):
    monkeypatch.setenv("DLXH_SURVEY_SALT", "bi-mat-kiem-thu")
    conn = loaded_units
    _ingest(conn, [examples["kobo_march"]], examples["form"])
    answers = list(sample.generate(12, (2025, 3)))
    with conn, conn.cursor() as cur:
        cur.execute("select tablename from pg_tables where schemaname = 'raw'")
        dump = []
        for (table,) in cur.fetchall():
            cur.execute(f"select t::text from raw.{table} t")
            dump += [r[0] for r in cur.fetchall()]
        text = "\n".join(dump)
        for a in answers:
            assert a.name not in text and a.phone not in text
            if a.comment:
                assert a.comment not in text
        assert "dtv_laichau" not in text  # Kobo's _submitted_by
        # ... and they are in restricted
        cur.execute("select question_name, answer_text from restricted.survey_free_text where submission_uuid = %s", (answers[0].uuid,))
        restricted = dict(cur.fetchall())
        assert restricted["ho_ten"] == answers[0].name and restricted["so_dien_thoai"] == answers[0].phone
        cur.execute("select respondent_hash from raw.survey_responses where submission_uuid = %s", (answers[0].uuid,))
        got = cur.fetchone()[0]
    from dlxh.core.text import slug

    # The example form keys respondents on name + phone (two people may share a name).
    message = "\x1f".join(slug(v) for v in (answers[0].name, answers[0].phone)).encode()
    expected = hmac.new(b"bi-mat-kiem-thu", message, hashlib.sha256).hexdigest()
    assert got == expected


def test_odk_central_export_loads(loaded_units, examples):
    conn = loaded_units
    summary = _ingest(conn, [examples["odk"]], examples["form"])
    t = summary.totals()
    assert (t["rows_read"], t["rows_loaded"], t["rows_quarantined"]) == (5, 5, 0)
    answers = list(sample.generate(5, (2025, 4), seed=11))
    with conn, conn.cursor() as cur:
        cur.execute("select submission_uuid, platform, unit_code, validation_status from raw.survey_responses order by 1")
        got = cur.fetchall()
        assert sorted(a.uuid for a in answers) == [r[0] for r in got]  # 'uuid:' prefix of KEY removed
        assert {r[1] for r in got} == {"odk_central"} and {r[3] for r in got} == {"approved"}
        cur.execute("select count(*) from raw.survey_answers where question_name = 'lo_mat_viec'")
        assert cur.fetchone()[0] == 5
        cur.execute("select count(*) from restricted.survey_free_text where question_name = 'SubmitterName'")
        assert cur.fetchone()[0] == 5


@pytest.mark.parametrize("vietnamese_locale", [False, True])
def test_google_forms_csv_loads(loaded_units, examples, tmp_path, vietnamese_locale):
    conn = loaded_units
    answers = list(sample.generate(6, (2025, 3), seed=13))
    path = sample.google_forms_export(tmp_path / "gf.csv", answers, vietnamese_locale=vietnamese_locale)
    summary = _ingest(conn, [path], examples["google_mapping"])
    t = summary.totals()
    assert (t["rows_read"], t["rows_loaded"], t["rows_quarantined"]) == (6, 6, 0), summary.render()
    with conn, conn.cursor() as cur:
        cur.execute("select submitted_at, unit_code from raw.survey_responses order by submitted_at")
        got = cur.fetchall()
        assert [r[0] for r in got] == sorted(a.submitted_utc for a in answers)
        cur.execute("select sum(numeric_score) from raw.survey_answers where question_name = 'lo_mat_viec'")
        assert cur.fetchone()[0] == sum(6 - a.likert["lo_mat_viec"] for a in answers)
        cur.execute("select choice_codes from raw.survey_answers where question_name = 'van_de' order by submission_uuid")
        assert sorted(sorted(r[0]) for r in cur.fetchall()) == sorted(sorted(a.issues) for a in answers if a.issues)
    # a second download of the same responses is unchanged
    again = sample.google_forms_export(
        tmp_path / "gf2.csv", answers + list(sample.generate(1, (2025, 3), seed=99)), vietnamese_locale=vietnamese_locale
    )
    t = _ingest(conn, [again], examples["google_mapping"]).totals()
    assert (t["rows_read"], t["rows_loaded"], t["rows_unchanged"]) == (7, 1, 6)


def test_salt_generated_once_with_0600(tmp_path, monkeypatch):
    from ingestion.surveys.anonymise import load_salt

    monkeypatch.delenv("DLXH_SURVEY_SALT", raising=False)
    monkeypatch.setenv("DLXH_HOME", str(tmp_path))
    first = load_salt()
    assert first.origin == "generated" and "DLXH_SURVEY_SALT" in first.note()
    assert (tmp_path / "survey-salt").stat().st_mode & 0o777 == 0o600
    second = load_salt()
    assert second.origin == "file" and second.key == first.key
