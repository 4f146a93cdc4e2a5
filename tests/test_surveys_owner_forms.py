"""A Kobo form as its owner wrote it, end to end: registry and export through the real CLI, then
`dlxh build`, and every survey cell of the marts checked against figures computed here from the
generated rows (tests/fixtures_surveys_owner.py says how the officer built the corpus)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import pytest

from tests import fixtures_surveys_owner as fx

K = int(os.environ.get("DLXH_MIN_CELL_SIZE") or 5)
MAY = {"ldld_tp": 7, "ldld_td": 6, "ldld_pt": 3, "ldld_sh": 5, "ldld_nn": 2, "gd": 5, "cdn_yt": 4, "cdvc": 6}
JUNE = {"ldld_td": 5, "gd": 6, "cdvc": 2, "ldld_sh": 4}


def dlxh(*args: str) -> subprocess.CompletedProcess:
    exe = Path(sys.executable).with_name("dlxh")
    return subprocess.run([str(exe), *args], capture_output=True, text=True, env=os.environ.copy(), timeout=300)


def ingest_json(*args: str) -> dict:
    proc = dlxh("ingest", *args, "--json", "--quiet")
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def _problem_rows(subs: list[fx.Submission]) -> None:
    """Rows the warehouse must quarantine (set on generated submissions of May)."""
    subs[0].unit_choice, subs[0].problem = "cd_khac", "unknown_unit"
    subs[1].unit_choice, subs[1].problem = "cd_khac", "unknown_unit"
    subs[2].unit_choice, subs[2].problem = "", "missing_unit"
    subs[3].extra["q1"], subs[3].problem = "6", "out_of_scale"


@pytest.fixture(scope="module")
def corpus(module_warehouse, tmp_path_factory):
    from dlxh.build import build

    root = tmp_path_factory.mktemp("owner-survey")
    mp = pytest.MonkeyPatch()
    mp.setenv("DLXH_CONFIG_DIR", str(fx.write_config(root / "config")))
    mp.setenv("DLXH_SURVEY_SALT", "muoi-kiem-thu-khao-sat")
    try:
        registry = fx.write_registry(root / "danh_muc_don_vi_2025.csv")
        form = fx.write_form(root / "khao_sat_viec_lam_2025.xlsx")
        may = fx.generate(MAY, (2025, 5), seed=5)
        bad = fx.generate({"ldld_td": 4}, (2025, 5), seed=6)
        _problem_rows(bad)
        june = fx.generate(JUNE, (2025, 6), seed=7)
        may_rows = may + bad
        may_csv = fx.write_kobo_csv(root / "kobo_export_2025-05.csv", may_rows)
        june_xlsx = fx.write_kobo_labels_xlsx(root / "kobo_export_2025-06_labels.xlsx", june)
        units = dlxh("ingest", "units", str(registry), "--quiet")
        assert units.returncode == 0, units.stderr
        first = ingest_json("surveys", str(may_csv), "--form", str(form))
        second = ingest_json("surveys", str(june_xlsx), "--form", str(form))
        # A month later the officer re-exports May with two late submissions: nothing is counted twice.
        late = fx.generate({"cdn_yt": 2}, (2025, 5), seed=9)
        reexport = fx.write_kobo_csv(root / "kobo_export_2025-05_full.csv", may_rows + late)
        third = ingest_json("surveys", str(reexport), "--form", str(form))
        build(as_of=date(2025, 7, 15))
        loaded = may + june + late
        yield {"conn": module_warehouse, "form": form, "may": may_rows, "loaded": loaded, "summaries": (first, second, third), "root": root}
    finally:
        mp.undo()


def test_import_summary_counts_reconcile_and_name_the_problems(corpus):
    first, second, third = corpus["summaries"]
    may = corpus["may"]
    n_bad = sum(1 for s in may if s.problem)
    assert first["totals"]["rows_read"] == len(may), json.dumps(first, ensure_ascii=False)[:3000]
    assert first["totals"]["rows_loaded"] == len(may) - n_bad and first["totals"]["rows_quarantined"] == n_bad
    assert second["totals"]["rows_read"] == second["totals"]["rows_loaded"] == sum(JUNE.values())
    assert third["totals"]["rows_loaded"] == 2 and third["totals"]["rows_unchanged"] == len(may) - n_bad
    for summary in corpus["summaries"]:
        t = summary["totals"]
        assert summary["reconciles"]
        assert t["rows_read"] == t["rows_loaded"] + t["rows_updated"] + t["rows_unchanged"] + t["rows_quarantined"]
    detail = first["files"][0]["detail"]
    # The unit question was found from its choices (not the gender list whose 'nam' looks like Nậm Nhùn).
    assert detail["unit_question"] == {
        "question": "don_vi",
        "found_by": "choices",
        "choices": len(fx.UNIT_CHOICES),
        "resolved": sum(1 for *_, c in fx.UNIT_CHOICES if c),
    }
    assert [c["choice"] for c in detail["unit_choices_unresolved"]] == [n for n, _, c in fx.UNIT_CHOICES if c is None]
    assert [c["unit_code"] for c in detail["unit_choices_ended"]] == ["LDLD.SH"]
    assert detail["unresolved_topics"] == {"NHA_O_CN": {"questions": ["q7"], "questions_in_file": 1}}
    restricted = {r["question"]: (r["type"], r["why"]) for r in detail["restricted_questions"]}
    assert restricted == {"uu_tien": ("rank", "not_numeric_or_choice"), "y_kien": ("textarea", "unknown_type")}
    warnings = "\n".join(detail["warnings"])
    assert "«cd_khac» (Công đoàn khác)" in warnings and "«NHA_O_CN»" in warnings and "«textarea»" in warnings
    # Quarantine reasons: Vietnamese, naming file, row, field and value.
    quarantined = first["files"][0]["quarantined"]
    by_code: dict[str, list[dict]] = {}
    for q in quarantined:
        by_code.setdefault(q["reason_code"], []).append(q)
    assert {k: len(v) for k, v in by_code.items()} == {
        code: sum(1 for s in may if s.problem == code) for code in {s.problem for s in may if s.problem}
    }
    rows_of = {s.uuid: n for n, s in enumerate(may, start=2)}
    for q in by_code["unknown_unit"]:
        assert q["row_number"] == rows_of[q["record"]["submission_uuid"]] and q["field"] == "don_vi"
        assert f"Tệp «kobo_export_2025-05.csv», dòng {q['row_number']}, trường «don_vi»: đơn vị «cd_khac»" in q["reason"]
        assert "không có trong danh mục đơn vị" in q["reason"]
    (missing,) = by_code["missing_unit"]
    assert missing["field"] == "don_vi" and "để trống" in missing["reason"] and f"dòng {missing['row_number']}" in missing["reason"]
    for q in by_code["out_of_scale"]:
        assert q["field"] == "q1" and "nằm ngoài thang đo 1–5" in q["reason"] and q["record"]["value"] == "6"


def test_questions_keep_owner_annotations(corpus):
    with corpus["conn"].cursor() as cur:
        cur.execute(
            """select question_name, question_type, topic_code, topic_raw, scale_min, scale_max, is_reversed, is_unit_question, unit_from
               from raw.survey_questions where form_id = %s""",
            (fx.FORM_ID,),
        )
        got = {r[0]: r[1:] for r in cur.fetchall()}
    for _, name, _, owner_topic, reverse in fx.SCALE_QUESTIONS:
        qtype, topic, raw, lo, hi, rev, *_ = got[name]
        assert (qtype, topic, raw, rev) == ("select_one", fx.TOPIC_OF.get(owner_topic), owner_topic, bool(reverse)), name
        assert (lo, hi) == (1, 5), name  # the scale is the likert5 list's numeric choices
    assert got["q5"][1:4] == ("TT", "XUYEN_TAC", None)  # a topic without a numeric scale
    assert got["don_vi"][6:] == (True, "choices")
    assert got["gioi_tinh"][6] is False


def test_answers_units_and_privacy(corpus):
    loaded = {s.uuid: s for s in corpus["loaded"]}
    with corpus["conn"].cursor() as cur:
        cur.execute("select submission_uuid, unit_code, period_month from raw.survey_responses where form_id = %s", (fx.FORM_ID,))
        responses = {r[0]: r[1:] for r in cur.fetchall()}
        assert set(responses) == set(loaded)
        for uuid, (unit, month) in responses.items():
            s = loaded[uuid]
            local = s.submitted_utc + timedelta(hours=7)
            assert (unit, month) == (s.unit_code, date(local.year, local.month, 1))
        cur.execute(
            "select submission_uuid, question_name, numeric_score, numeric_value from raw.survey_answers where question_name = 'q2'"
        )
        for uuid, _, score, value in cur.fetchall():
            assert (value, score) == (loaded[uuid].scale["q2"], 6 - loaded[uuid].scale["q2"])
        cur.execute("select distinct question_name from raw.survey_answers")
        in_raw = {r[0] for r in cur.fetchall()}
        assert not in_raw & {"y_kien", "uu_tien"}
        cur.execute("select question_name, count(*) from restricted.survey_free_text group by 1")
        restricted = dict(cur.fetchall())
    assert restricted["uu_tien"] == len(loaded)
    assert restricted["y_kien"] == sum(1 for s in loaded.values() if s.comment)
    assert restricted["_submitted_by"] == len(loaded)


def test_every_survey_cell_matches_the_generated_rows(corpus):
    expected = fx.expected_cells(corpus["loaded"])
    with corpus["conn"].cursor() as cur:
        cur.execute(
            """select unit_code, topic_code, to_char(period_month, 'YYYY-MM'), survey_respondents, survey_mean_score,
                      survey_is_suppressed
               from marts.mart_unit_topic_month where survey_respondents is not null or survey_is_suppressed"""
        )
        mart = {(u, t, m): (n, s, sup) for u, t, m, n, s, sup in cur.fetchall()}
        cur.execute(
            """select unit_code, topic_code, to_char(period_month, 'YYYY-MM'), respondents, sentiment, is_suppressed
               from marts.fct_opinion_signal where source = 'survey'"""
        )
        signals = {(u, t, m): (n, s, sup) for u, t, m, n, s, sup in cur.fetchall()}
    assert set(mart) == set(expected) == set(signals)
    shown = suppressed = 0
    for key, (respondents, mean) in expected.items():
        for n, score, is_suppressed in (mart[key], signals[key]):
            if respondents >= K:
                assert not is_suppressed and n == respondents, key
                assert float(score) == pytest.approx(mean, abs=1e-4), key
            else:
                assert is_suppressed and n is None and score is None, key
        shown += respondents >= K
        suppressed += respondents < K
    assert shown >= 10 and suppressed >= 5  # both kinds of cell are exercised
    assert {t for _, t, _ in expected} == {"VL", "BM", "TT"}
