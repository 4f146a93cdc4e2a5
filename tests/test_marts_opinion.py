"""Opinion marts on generated survey and scan rows: privacy suppression, survey scores, a hot spot
raised by a spike of negative scan items, and incremental runs equal to a full refresh."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pytest

from dlxh.core.calendar import LOCAL

UNIT_COLS = ["load_id", "source_file", "file_hash", "row_number", "unit_code", "unit_name", "unit_type", "parent_code", "valid_from"]
RESPONSE_COLS = [
    "submission_uuid",
    "form_id",
    "respondent_hash",
    "unit_code",
    "submitted_at",
    "period_month",
    "content_hash",
    "load_id",
    "source_file",
    "file_hash",
]
SCAN_COLS = [
    "item_key",
    "url",
    "text_hash",
    "first_captured_at",
    "last_captured_at",
    "period_month",
    "likes",
    "shares",
    "comments",
    "views",
    "sentiment",
    "topic_codes",
    "unit_code",
    "load_id",
    "source_file",
    "file_hash",
]
SEPT = date(2026, 9, 1)


def _at(month: date, day: int = 10) -> datetime:
    return datetime(month.year, month.month, day, 9, 0, tzinfo=LOCAL)


def _scan(key: str, unit: str, month: date, sentiment: float, topic: str = "T12") -> tuple:
    return (
        key,
        f"https://example.vn/bai/{key}",
        f"h-{key}",
        _at(month),
        _at(month),
        month,
        10,
        2,
        3,
        100,
        sentiment,
        "{" + topic + "}",
        unit,
        1,
        "scan.csv",
        "scan-file",
    )


def _response(uuid: str, unit: str, month: date) -> tuple:
    return (uuid, "F1", f"resp-{uuid}", unit, _at(month), month, f"c-{uuid}", 1, "survey.csv", "survey-file")


def _answers(uuid: str, scores: tuple[int, int, int]) -> list[tuple]:
    """Rows as ingestion lands them: the negatively worded q_lo_lang is stored reversed (1..5: 6 - answer)."""
    stored = (scores[0], 6 - scores[1], scores[2])
    return [(uuid, q, s) for q, s in zip(("q_luong", "q_lo_lang", "q_chuyen_doi_so"), stored, strict=True)]


def _survey_score(scores: tuple[int, int, int]) -> tuple[float, float]:
    """Independent computation: (T11 score, T04 score) of one response on -1..1."""
    wage = 2 * ((scores[0] - 1) / 4) - 1
    worry = 2 * (1 - (scores[1] - 1) / 4) - 1  # reversed question
    digital = 2 * ((scores[2] - 1) / 4) - 1
    return (wage + worry) / 2, digital


UA_SCORES = [(5, 1, 4), (4, 2, 3), (2, 4, 5), (3, 3, 3), (1, 5, 2), (4, 1, 4)]  # six respondents
UB_SCORES = [(1, 5, 1), (2, 4, 2), (1, 5, 1)]  # three respondents: suppressed


@pytest.fixture(scope="module")
def conn(module_warehouse):
    return module_warehouse


def _q(conn, sql: str, params=()) -> list[tuple]:
    # `with conn` ends the transaction: an open one would block dbt's table swaps in the next build.
    with conn, conn.cursor() as cur:
        cur.execute(sql, params)
        return cur.fetchall()


def _load(conn, table: str, cols: list[str], rows: list[tuple]) -> None:
    from dlxh.core.db import copy_rows

    with conn, conn.cursor() as cur:
        copy_rows(cur, table, cols, rows)


@pytest.fixture(scope="module")
def built(conn):
    from dlxh.build import build

    _load(
        conn,
        "raw.units",
        UNIT_COLS,
        [
            (1, "units.csv", "u", 1, "LDLD-TINH", "Liên đoàn Lao động tỉnh", "province", None, date(2000, 1, 1)),
            (1, "units.csv", "u", 2, "U-A", "Liên đoàn Lao động huyện A", "district", "LDLD-TINH", date(2026, 1, 1)),
            (1, "units.csv", "u", 3, "U-B", "Công đoàn ngành B", "sector", "LDLD-TINH", date(2026, 1, 1)),
        ],
    )
    with conn, conn.cursor() as cur:
        cur.execute("""insert into raw.survey_forms (form_id, title, platform, source_file, file_hash, load_id)
                       values ('F1', 'Khảo sát tâm tư người lao động', 'kobo', 'form.xlsx', 'f', 1)""")
        cur.execute("""insert into raw.survey_questions (form_id, question_name, question_type, topic_code, scale_min, scale_max, is_reversed)
                       values ('F1', 'q_luong', 'integer', 'T11', 1, 5, false),
                              ('F1', 'q_lo_lang', 'integer', 'T11', 1, 5, true),
                              ('F1', 'q_chuyen_doi_so', 'integer', 'T04', 1, 5, false)""")
    responses, answers = [], []
    for unit, table in (("U-A", UA_SCORES), ("U-B", UB_SCORES)):
        for i, scores in enumerate(table):
            uuid = f"{unit}-{i}"
            responses.append(_response(uuid, unit, SEPT))
            answers += _answers(uuid, scores)
    _load(conn, "raw.survey_responses", RESPONSE_COLS, responses)
    _load(conn, "raw.survey_answers", ["submission_uuid", "question_name", "numeric_score"], answers)
    scans = []
    for back in range(1, 7):  # six quiet months: one negative item a month for U-A, two for U-B
        month = date(2026, 9 - back, 1)
        scans.append(_scan(f"a-{back}", "U-A", month, -0.6))
        scans += [_scan(f"b-{back}-{j}", "U-B", month, -0.5) for j in range(2)]
    scans += [_scan(f"a-spike-{j}", "U-A", SEPT, -0.8) for j in range(8)]  # spike: 8 > 2 x 1
    scans += [_scan(f"b-sept-{j}", "U-B", SEPT, -0.5) for j in range(3)]  # 3 is not > 2 x 2
    scans.append(_scan("pos-1", "U-A", SEPT, 0.7, topic="T04"))
    _load(conn, "raw.scan_items", SCAN_COLS, scans)
    return build(as_of=date(2026, 9, 30), full_refresh=True)


def test_survey_cells_below_k_are_suppressed(built, conn):
    rows = dict(
        _q(
            conn,
            """select unit_code, (respondents, sentiment, weight, is_suppressed)::text
                            from marts.fct_opinion_signal where source = 'survey' and topic_code = 'T11'""",
        )
    )
    assert rows["U-B"] == "(,,,t)"
    mart = _q(
        conn,
        """select survey_respondents, survey_mean_score, survey_is_suppressed from marts.mart_unit_topic_month
                       where unit_code = 'U-B' and topic_code = 'T11' and period_month = %s""",
        (SEPT,),
    )
    assert mart == [(None, None, True)]


def test_survey_mean_score_matches_independent_computation(built, conn):
    expected_t11 = sum(_survey_score(s)[0] for s in UA_SCORES) / len(UA_SCORES)
    expected_t04 = sum(_survey_score(s)[1] for s in UA_SCORES) / len(UA_SCORES)
    got = dict(
        _q(
            conn,
            """select topic_code, survey_mean_score from marts.mart_unit_topic_month
                           where unit_code = 'U-A' and period_month = %s and survey_respondents = 6""",
            (SEPT,),
        )
    )
    assert float(got["T11"]) == pytest.approx(expected_t11, abs=1e-4)
    assert float(got["T04"]) == pytest.approx(expected_t04, abs=1e-4)


def test_marts_expose_no_respondent_hash_or_restricted_text(built, conn):
    cols = {c for (c,) in _q(conn, "select column_name from information_schema.columns where table_schema = 'marts'")}
    assert not {c for c in cols if "respondent_hash" in c or "respondent_key" in c or c in ("text", "answer_text")}
    assert _q(conn, "select count(*) from marts.fct_opinion_signal where evidence_ref like %s", ("%resp-%",)) == [(0,)]
    # A scanned item's headline is public (the monthly report lists the most engaged by title);
    # the post text stays in restricted: no mart value carries it.
    assert _q(
        conn,
        """select count(*) from marts.dim_scan_item d join restricted.scan_item_text r using (item_key)
                       where r.text is not null and r.text <> '' and d.title = r.text""",
    ) == [(0,)]


def test_negative_spike_raises_a_hot_spot_with_evidence(built, conn):
    hot = _q(
        conn,
        """select unit_code, rules, negative_signals, baseline_negative_signals, evidence_refs
                      from marts.mart_hot_spots where topic_code = 'T12' and period_month = %s""",
        (SEPT,),
    )
    assert [(u, r, n, b) for u, r, n, b, _ in hot] == [("U-A", ["negative_spike"], 8, Decimal("1.0000"))]
    assert len(hot[0][4]) == 8 and all(ref.startswith("https://example.vn/bai/a-spike-") for ref in hot[0][4])


def _snapshot(conn) -> tuple[list, list, list]:
    signals = _q(
        conn,
        """select signal_id, source, unit_code, topic_code, period_month, sentiment, weight, respondents, is_suppressed
                          from marts.fct_opinion_signal order by signal_id""",
    )
    months = _q(
        conn,
        """select unit_topic_month_key, signals, survey_respondents, survey_mean_score, scan_items, mean_sentiment,
                                negative_signals, mean_sentiment_change from marts.mart_unit_topic_month order by 1""",
    )
    hot = _q(
        conn,
        """select hot_spot_key, unit_code, topic_code, period_month, rules, negative_signals, baseline_negative_signals,
                             evidence_refs from marts.mart_hot_spots order by 1""",
    )
    return signals, months, hot


def test_incremental_run_equals_full_refresh(built, conn):
    from dlxh.build import build

    before = _q(conn, "select count(*) from marts.fct_opinion_signal")[0][0]
    october = date(2026, 10, 1)
    _load(conn, "raw.scan_items", SCAN_COLS, [_scan("a-oct", "U-A", october, -0.2), _scan("b-oct", "U-B", october, 0.4, topic="T04")])
    # A late survey response moves U-B's September cell above k: it must be recomputed, not appended.
    _load(conn, "raw.survey_responses", RESPONSE_COLS, [_response("U-B-late-1", "U-B", SEPT), _response("U-B-late-2", "U-B", SEPT)])
    _load(
        conn,
        "raw.survey_answers",
        ["submission_uuid", "question_name", "numeric_score"],
        _answers("U-B-late-1", (3, 3, 3)) + _answers("U-B-late-2", (2, 2, 2)),
    )
    # 18 late negative August items: August becomes a spike and raises September's baseline to 4, so
    # September's only hot spot (8 is not > 2 x 4) must disappear from an incremental run too.
    august = date(2026, 8, 1)
    _load(conn, "raw.scan_items", SCAN_COLS, [_scan(f"a-aug-late-{j}", "U-A", august, -0.7) for j in range(18)])
    build(as_of=date(2026, 10, 31))
    incremental = _snapshot(conn)
    assert len(incremental[0]) == before + 2 + 18
    hot = _q(conn, "select period_month, negative_signals, baseline_negative_signals from marts.mart_hot_spots where topic_code = 'T12'")
    assert hot == [(august, 19, Decimal("0.8333"))]
    ub = _q(
        conn,
        """select respondents, is_suppressed from marts.fct_opinion_signal
                     where source = 'survey' and unit_code = 'U-B' and topic_code = 'T11'""",
    )
    assert ub == [(5, False)]
    change = _q(
        conn,
        """select mean_sentiment_change from marts.mart_unit_topic_month
                         where unit_code = 'U-A' and topic_code = 'T12' and period_month = %s""",
        (october,),
    )
    assert change and change[0][0] is not None
    build(as_of=date(2026, 10, 31), full_refresh=True)
    assert _snapshot(conn) == incremental


def test_items_moving_to_another_month_leave_no_stale_cells(built, conn):
    """A later capture gives a scanned item its publication date, in another month: the incremental
    run must take it out of the month it leaves (even when that month is left with no signal)."""
    from dlxh.build import build

    october, november, august = date(2026, 10, 1), date(2026, 11, 1), date(2026, 8, 1)
    assert _q(conn, "select count(*) from marts.mart_unit_topic_month where period_month = %s", (october,))[0][0] > 0
    with conn, conn.cursor() as cur:  # October's only two items (previous test) move to August and November
        cur.execute("update raw.scan_items set period_month = %s, updated_at = now() where item_key = 'a-oct'", (august,))
        cur.execute("update raw.scan_items set period_month = %s, updated_at = now() where item_key = 'b-oct'", (november,))
    build(as_of=date(2026, 11, 30))
    incremental = _snapshot(conn)
    assert _q(conn, "select count(*) from marts.mart_unit_topic_month where period_month = %s and scan_items > 0", (october,)) == [(0,)]
    moved = _q(
        conn,
        """select period_month, unit_code, topic_code, scan_items from marts.mart_unit_topic_month
                        where (unit_code, topic_code, period_month) in (('U-B', 'T04', %s), ('U-A', 'T12', %s))
                        order by period_month""",
        (november, august),
    )
    assert moved == [(august, "U-A", "T12", 20), (november, "U-B", "T04", 1)]
    build(as_of=date(2026, 11, 30), full_refresh=True)
    assert _snapshot(conn) == incremental


def test_fact_built_before_previous_period_month_gets_the_column(built, conn):
    """Upgrade path: an existing fct_opinion_signal without the column gains it on the next incremental run."""
    from dlxh.build import build

    with conn, conn.cursor() as cur:
        cur.execute("alter table marts.fct_opinion_signal drop column previous_period_month")
        cur.execute("update raw.scan_items set updated_at = now() where item_key = 'pos-1'")
    build(as_of=date(2026, 11, 30))
    cols = _q(
        conn,
        """select column_name from information_schema.columns
                       where table_schema = 'marts' and table_name = 'fct_opinion_signal' and column_name = 'previous_period_month'""",
    )
    assert cols == [("previous_period_month",)]
    assert _q(conn, "select count(*) from marts.fct_opinion_signal where signal_group_key = 'scan|pos-1'") == [(1,)]


def _written_in_last_build(conn) -> list[str]:
    """The signal groups the last build wrote (their rows carry its transaction's start)."""
    rows = _q(
        conn,
        """select distinct signal_group_key from marts.fct_opinion_signal
           where updated_at = (select max(updated_at) from marts.fct_opinion_signal) order by 1""",
    )
    return [r[0] for r in rows]


def test_an_incremental_run_rewrites_only_what_changed(built, conn):
    """Rows loaded seconds before the last build (a history loaded just before it) are not read
    again: the next run rewrites the one new item's group, and the marts only its month."""
    from dlxh.build import build

    build(as_of=date(2026, 11, 30))  # settles what the earlier tests changed
    november = date(2026, 11, 1)
    _load(conn, "raw.scan_items", SCAN_COLS, [_scan("only-new", "U-A", november, -0.3)])
    build(as_of=date(2026, 11, 30))
    assert _written_in_last_build(conn) == ["scan|only-new"]
    written = _q(
        conn,
        """select distinct period_month from marts.mart_unit_topic_month
           where source_updated_at = (select max(source_updated_at) from marts.mart_unit_topic_month)""",
    )
    # the month of the change (the month after it, recomputed too, has no signals)
    assert sorted(m for (m,) in written) == [november]
    recorded = _q(conn, "select model from ops.build_watermarks order by 1")
    assert recorded == [
        ("marts.dim_scan_item",),
        ("marts.fct_opinion_signal",),
        ("marts.mart_hot_spots",),
        ("marts.mart_unit_topic_month",),
    ]
    assert _q(conn, "select count(*) from marts.dim_scan_item") == _q(conn, "select count(*) from raw.scan_items")


def test_a_row_committed_after_the_build_began_is_picked_up_next(built, conn):
    """A transaction that started before a build and commits after it (a long ingest) wrote rows
    stamped before the build: the run cannot see them, the next one must still read them."""
    from dlxh.build import build
    from dlxh.core.db import connect, copy_rows, warehouse_target

    november = date(2026, 11, 1)
    late = connect(warehouse_target())
    try:
        with late.cursor() as cur:
            copy_rows(cur, "raw.scan_items", SCAN_COLS, [_scan("late-commit", "U-B", november, -0.5)])  # still open
            build(as_of=date(2026, 11, 30))
            assert _q(conn, "select count(*) from marts.fct_opinion_signal where signal_group_key = 'scan|late-commit'") == [(0,)]
        late.commit()
    finally:
        late.close()
    build(as_of=date(2026, 11, 30))
    assert _written_in_last_build(conn) == ["scan|late-commit"]
    incremental = _snapshot(conn)
    items_sql = "select item_key, signal_group_key, period_month, unit_code, engagement, updated_at from marts.dim_scan_item order by 1"
    items = _q(conn, items_sql)
    assert "late-commit" in [row[0] for row in items]
    build(as_of=date(2026, 11, 30), full_refresh=True)
    assert _snapshot(conn) == incremental
    assert _q(conn, items_sql) == items
