"""Owner-written survey forms: a question-mapping file beside the form, a Google Forms mapping in
XLSForm type syntax, default-deny privacy for types the reader does not know, and every form,
mapping or config error reported with its file and field (exit code 2, no traceback)."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from ingestion.framework import run_ingest
from ingestion.surveys.source import SurveysSource
from ingestion.units.source import UnitsSource
from tests import fixtures_surveys_owner as fx


@pytest.fixture()
def owner_env(warehouse, tmp_path, monkeypatch):
    monkeypatch.setenv("DLXH_CONFIG_DIR", str(fx.write_config(tmp_path / "config")))
    monkeypatch.setenv("DLXH_SURVEY_SALT", "muoi-kiem-thu")
    summary = run_ingest(UnitsSource(), [fx.write_registry(tmp_path / "don_vi.csv")], warehouse, progress=None)
    assert summary.totals()["rows_loaded"] == len(fx.REGISTRY)
    return warehouse


def _rows(conn, sql: str, params=()) -> list[tuple]:
    with conn, conn.cursor() as cur:
        cur.execute(sql, params)
        return cur.fetchall()


def test_mapping_file_beside_a_form_without_annotations(owner_env, tmp_path):
    folder = tmp_path / "inbox" / "surveys" / "viec_lam"
    form = fx.write_form(folder / "form.xlsx", owner_columns=False)
    (folder / "mapping.toml").write_text(
        """# Chủ đề và câu đảo chiều của bảng hỏi khảo sát việc làm
[questions.q1]
topic = "VIEC_LAM"

[questions."grp_b/q2"]
"chủ đề" = "TINH_GON"
"đảo chiều" = "x"

[questions.q6]
topic = "XUYEN_TAC"
reverse = true

[questions."Anh/chị là đoàn viên công đoàn nào?"]
role = "unit"
""",
        encoding="utf-8",
    )
    subs = fx.generate({"ldld_td": 3, "gd": 2}, (2025, 5), seed=21)
    export = fx.write_kobo_csv(folder / "kobo.csv", subs)
    source = SurveysSource(form)
    summary = run_ingest(source, [folder], owner_env, progress=None)  # the folder: form, mapping and export
    t = summary.totals()
    assert (t["rows_read"], t["rows_loaded"], t["rows_quarantined"]) == (5, 5, 0), summary.render()
    detail = next(f.detail for f in summary.files if f.path == str(export))
    assert detail["mapping_file"] == str(folder / "mapping.toml")
    assert detail["unit_question"]["found_by"] == "mapping"
    got = {r[0]: r[1:] for r in _rows(owner_env, "select question_name, topic_code, is_reversed, unit_from from raw.survey_questions")}
    assert got["q1"] == ("VL", False, None) and got["q2"] == ("BM", True, None) and got["q6"] == ("TT", True, None)
    assert got["q3"][0] is None and got["don_vi"] == (None, False, "mapping")
    scores = dict(_rows(owner_env, "select submission_uuid, numeric_score from raw.survey_answers where question_name = 'q2'"))
    assert scores == {s.uuid: 6 - s.scale["q2"] for s in subs}
    units = dict(_rows(owner_env, "select submission_uuid, unit_code from raw.survey_responses"))
    assert units == {s.uuid: s.unit_code for s in subs}


GOOGLE_MAPPING = """# Google Forms: the form's own XLSForm types
form_id: khao_sat_nhanh_gf_2025
choices:
  likert5: {1: Rất không đồng ý, 2: Không đồng ý, 3: Phân vân, 4: Đồng ý, 5: Rất đồng ý}
  don_vi:
    - {name: ldld_td, label: Liên đoàn Lao động huyện Tam Đường}
    - {name: gd, label: CĐN Giáo dục}
    - {name: cdvc, label: CĐVC tỉnh}
questions:
  - header: Đơn vị của anh/chị
    type: select_one don_vi
  - header: Anh/chị yên tâm về việc làm hiện nay
    name: q1
    type: select_one likert5
    topic: VIEC_LAM
  - header: Số năm công tác
    name: so_nam
    type: integer
  - header: Ý kiến, kiến nghị của anh/chị
    name: y_kien
    type: paragraph
  - header: Góp ý ngắn
    name: gop_y
    type: short answer
  - header: Xếp hạng ưu tiên
    name: xep_hang
    type: rank likert5
  - header: Xã nơi làm việc
    name: xa
    type: select_one_from_file xa.csv
  - header: Đánh giá theo lưới
    name: luoi
    type: multiple choice grid
"""
SECRETS = {
    "y_kien": "Tôi là Lò Văn Tâm ở bản Nà Luông, đề nghị giữ kín",
    "gop_y": "SĐT 0912345678",
    "xep_hang": "3 1 2",
    "xa": "Xã Bản Bo",
    "luoi": "Hàng 1: Tốt; Hàng 2: Kém",
}


def _google_export(path: Path, n: int) -> tuple[Path, list[tuple[str, int, int]]]:
    header = [
        "Dấu thời gian",
        "Đơn vị của anh/chị",
        "Anh/chị yên tâm về việc làm hiện nay",
        "Số năm công tác",
        "Ý kiến, kiến nghị của anh/chị",
        "Góp ý ngắn",
        "Xếp hạng ưu tiên",
        "Xã nơi làm việc",
        "Đánh giá theo lưới",
    ]
    units = [("CĐN Giáo dục", "CDN-GD"), ("Liên đoàn Lao động huyện Tam Đường", "LDLD.TD"), ("CĐVC tỉnh", "CDVC")]
    likert = dict(fx.LIKERT)
    rows, truth = [], []
    for i in range(n):
        when = datetime(2025, 5, 3, 8, 0, tzinfo=UTC) + timedelta(hours=7 * i)
        label, code = units[i % 3]
        score = 1 + (i * 3) % 5
        rows.append([(when + timedelta(hours=7)).strftime("%d/%m/%Y %H:%M:%S"), label, likert[str(score)], str(i + 1), *SECRETS.values()])
        truth.append((code, score, i + 1))
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        w.writerows(rows)
    return path, truth


def test_google_forms_mapping_with_xlsform_types_and_default_deny(owner_env, tmp_path):
    mapping = tmp_path / "form.yaml"
    mapping.write_text(GOOGLE_MAPPING, encoding="utf-8")
    export, truth = _google_export(tmp_path / "gf.csv", 6)
    summary = run_ingest(SurveysSource(mapping), [export], owner_env, progress=None)
    t = summary.totals()
    assert (t["rows_read"], t["rows_loaded"], t["rows_quarantined"]) == (6, 6, 0), summary.render()
    detail = summary.files[0].detail
    assert detail["unit_question"] == {"question": "don_vi_cua_anh_chi", "found_by": "choices", "choices": 3, "resolved": 3}
    restricted = {r["question"]: r["why"] for r in detail["restricted_questions"]}
    assert restricted == {
        "y_kien": "free_text",
        "gop_y": "free_text",
        "xep_hang": "not_numeric_or_choice",
        "xa": "not_numeric_or_choice",
        "luoi": "unknown_type",
    }
    warning = "\n".join(detail["warnings"])
    for name in ("xep_hang", "xa", "luoi"):
        assert f"«{name}»" in warning and "restricted.survey_free_text" in warning
    # Only the numeric/choice answers are in raw; the unscoped alias applies (VIEC_LAM -> CD here).
    answers = _rows(owner_env, "select question_name, topic_code, numeric_score, numeric_value from raw.survey_answers")
    assert {a[0] for a in answers} == {"q1", "so_nam"}
    assert sorted((float(a[2]), a[1]) for a in answers if a[0] == "q1") == sorted((float(s), "CD") for _, s, _ in truth)
    assert sorted(int(a[3]) for a in answers if a[0] == "so_nam") == sorted(y for *_, y in truth)
    units = sorted(r[0] for r in _rows(owner_env, "select unit_code from raw.survey_responses"))
    assert units == sorted(c for c, *_ in truth)
    free = _rows(owner_env, "select question_name, answer_text from restricted.survey_free_text")
    assert sorted(free) == sorted((q, v) for q, v in SECRETS.items() for _ in truth)
    raw_text = "\n".join(
        r[0]
        for table in ("survey_responses", "survey_answers", "survey_questions", "survey_choices", "survey_forms")
        for r in _rows(owner_env, f"select t::text from raw.{table} t")
    )
    raw_text += "\n".join(r[0] for r in _rows(owner_env, "select coalesce(record::text, '') || reason from ops.quarantine"))
    for secret in SECRETS.values():
        assert secret not in raw_text


# -- errors: file and field named, exit 2, no traceback ---------------------------------------------
def _dlxh(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    exe = Path(sys.executable).with_name("dlxh")
    return subprocess.run([str(exe), *args], capture_output=True, text=True, env={**os.environ, **env}, timeout=300)


def _owner_form(tmp: Path, edit=None) -> Path:
    """The owner's XLSForm, optionally with one survey cell changed: edit = (question name, column, value)."""
    import openpyxl

    path = fx.write_form(tmp / "form.xlsx")
    if edit:
        wb = openpyxl.load_workbook(path)
        ws = wb["survey"]
        header = [c.value for c in ws[1]]
        for row in ws.iter_rows(min_row=2):
            if row[1].value == edit[0]:
                row[header.index(edit[1])].value = edit[2]
        wb.save(path)
    return path


ERROR_CASES = {
    "mapping_unknown_question": (
        lambda t: (_owner_form(t), {"mapping.toml": '[questions.q99]\ntopic = "VIEC_LAM"\n'}),
        ["mapping.toml", "[questions.q99]", "field «question»", "no question «q99»"],
    ),
    "mapping_unknown_field": (
        lambda t: (_owner_form(t), {"mapping.csv": "question,topic,revrse\nq1,VIEC_LAM,x\n"}),
        ["mapping.csv, line 2", "field «revrse»", "unknown field"],
    ),
    "mapping_unknown_role": (
        lambda t: (_owner_form(t), {"mapping.csv": "cau_hoi;vai_tro\ndon_vi;truong nhom\n"}),
        ["mapping.csv, line 2", "field «vai_tro»", "unknown role «truong nhom»"],
    ),
    "mapping_bad_toml": (
        lambda t: (_owner_form(t), {"mapping.toml": "[questions.q1\ntopic = 1\n"}),
        ["mapping.toml", "not valid TOML"],
    ),
    "form_bad_reverse_value": (
        lambda t: (_owner_form(t, ("q1", "reverse", "có lẽ")), {}),
        ["form.xlsx survey row", "(«q1»)", "field «reverse»", "có lẽ"],
    ),
    "form_reverse_without_scale": (
        lambda t: (_owner_form(t, ("tuoi", "reverse", "yes")), {}),
        ["form.xlsx", "«tuoi»", "marked reverse", "no scale"],
    ),
    "form_unknown_choice_list": (
        lambda t: (_owner_form(t, ("q1", "type", "select_one likert7")), {}),
        ["form.xlsx", "«q1»", "«likert7»", "choices sheet"],
    ),
    "google_type_without_choices": (
        lambda t: ((t / "form.yaml"), {"form.yaml": "questions:\n  - header: Mức độ\n    type: select_one likert9\n"}),
        ["form.yaml question 1", "field «type»", "«likert9»"],
    ),
    "alias_to_unknown_topic": (
        lambda t: (_owner_form(t), {"config/topic_aliases.csv": f"alias,topic_code,scope,note\nVIEC_LAM,KHONG_CO,{fx.FORM_ID},\n"}),
        ["topic_aliases.csv, line 2, field topic_code", "'KHONG_CO'", "«VIEC_LAM»"],
    ),
}


@pytest.mark.parametrize("case", sorted(ERROR_CASES))
def test_form_and_mapping_errors_exit_2_naming_file_and_field(warehouse_target, tmp_path, case):
    build, expected = ERROR_CASES[case]
    config = fx.write_config(tmp_path / "config")
    form, files = build(tmp_path)
    for name, text in files.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    export = fx.write_kobo_csv(tmp_path / "kobo.csv", fx.generate({"ldld_td": 1}, (2025, 5), seed=1))
    proc = _dlxh({"DLXH_CONFIG_DIR": str(config)}, "ingest", "surveys", str(export), "--form", str(form), "--quiet")
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr
    for part in expected:
        assert part in proc.stderr, (part, proc.stderr)
