"""Survey figures in the marts after real ingestion and `dlxh build` match an independent
computation over the raw tables, and cells under k respondents show no figures."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from pathlib import Path

import pytest

from ingestion.framework import run_ingest
from ingestion.surveys import sample
from ingestion.surveys.source import SurveysSource
from ingestion.units.source import UnitsSource

K = 5


@pytest.fixture(scope="module")
def built(warehouse_target, tmp_path_factory):
    from dlxh.build import build
    from dlxh.core.db import connect
    from tests.conftest import truncate_all

    conn = connect(warehouse_target)
    truncate_all(conn)
    examples = sample.write_examples(tmp_path_factory.mktemp("survey-examples"))
    run_ingest(UnitsSource(), [examples["units"]], conn, progress=None)
    form = SurveysSource(examples["form"])
    # The March export, then the April re-export that contains it (plus new and broken rows).
    for export in ("kobo_march", "kobo_april"):
        run_ingest(form, [examples[export]], conn, progress=None)
    folder = Path(examples["form"]).parent
    # May: 70 submissions over the 7 units (10 each): cells at or above k.
    many = list(sample.generate(70, (2025, 5), seed=42, start=5_000))
    run_ingest(form, [sample.kobo_export(folder / "kobo_2025-05.csv", many)], conn, progress=None)
    # June: 3 submissions of one unit: cells under k.
    few = list(sample.generate(3, (2025, 6), seed=99, start=10_000))
    for a in few:
        a.unit = "CDN-YT"
    run_ingest(form, [sample.kobo_export(folder / "kobo_2025-06_few.csv", few)], conn, progress=None)
    build(as_of=date(2025, 6, 30))
    conn.autocommit = True
    yield conn
    conn.close()


def independent_cells(conn) -> dict[tuple[str, str, date], tuple[int, float]]:
    """(unit, topic, month) -> (respondents, mean score on -1..1), computed in Python from raw.

    A response's score on a topic is the mean of its scale answers on that topic, each mapped
    from [scale_min, scale_max] to [-1, 1] (negatively worded questions are already reversed in
    raw.survey_answers.numeric_score); the cell's mean is the mean over its responses, and its
    respondents are the distinct respondent hashes (one person who answers twice counts once).
    """
    with conn.cursor() as cur:
        cur.execute(
            """select r.submission_uuid, r.respondent_hash, r.unit_code, r.period_month, a.topic_code, a.numeric_score,
                      q.scale_min, q.scale_max
               from raw.survey_answers a
               join raw.survey_responses r using (submission_uuid)
               join raw.survey_questions q on q.form_id = r.form_id and q.question_name = a.question_name
               where a.numeric_score is not null and a.topic_code is not null and q.scale_max > q.scale_min"""
        )
        rows = cur.fetchall()
    per_response: dict[tuple, list[float]] = defaultdict(list)
    for uuid, person, unit, month, topic, score, lo, hi in rows:
        per_response[(unit, topic, month, uuid, person)].append(2 * (float(score) - float(lo)) / (float(hi) - float(lo)) - 1)
    cells: dict[tuple, list[float]] = defaultdict(list)
    people: dict[tuple, set[str]] = defaultdict(set)
    for (unit, topic, month, _uuid, person), scores in per_response.items():
        cells[(unit, topic, month)].append(sum(scores) / len(scores))
        people[(unit, topic, month)].add(person)
    return {key: (len(people[key]), sum(v) / len(v)) for key, v in cells.items()}


def test_survey_cells_match_independent_computation(built):
    expected = independent_cells(built)
    assert expected, "the example exports produced no scale answers"
    with built.cursor() as cur:
        cur.execute(
            """select unit_code, topic_code, period_month, survey_respondents, survey_mean_score, survey_is_suppressed
               from marts.mart_unit_topic_month where survey_respondents is not null or survey_is_suppressed"""
        )
        mart = {(u, t, m): (n, s, sup) for u, t, m, n, s, sup in cur.fetchall()}
    assert set(mart) == set(expected)
    shown = 0
    for key, (respondents, mean) in expected.items():
        n, score, suppressed = mart[key]
        if respondents >= K:
            shown += 1
            assert not suppressed and n == respondents, key
            assert float(score) == pytest.approx(mean, abs=1e-4), key
        else:
            assert suppressed and n is None and score is None, key
    assert shown > 0


def test_cells_under_k_show_no_figures_anywhere_bi_can_read(built):
    with built.cursor() as cur:
        cur.execute(
            """select count(*) from marts.mart_unit_topic_month
               where unit_code = 'CDN-YT' and period_month = '2025-06-01' and survey_is_suppressed"""
        )
        assert cur.fetchone()[0] > 0
        cur.execute(
            """select count(*) from marts.fct_opinion_signal
               where source = 'survey' and unit_code = 'CDN-YT' and period_month = '2025-06-01'
                 and (sentiment is not null or respondents is not null or weight is not null)"""
        )
        assert cur.fetchone()[0] == 0


def test_each_submission_counted_once_across_overlapping_exports(built):
    with built.cursor() as cur:
        cur.execute("select count(*), count(distinct submission_uuid) from raw.survey_responses")
        total, distinct = cur.fetchone()
    assert total == distinct
    respondents = sum(n for (n, _) in independent_cells(built).values())
    assert respondents > 0
