"""The build DAG's decisions from the producer's `dbt build` results (dlxh/orchestration/dbt_tasks.py):
what each model task does, and whether the relationship tests must run again."""

from __future__ import annotations

from dlxh.orchestration.dbt_tasks import Model, model_outcome, models_all_ok, relationship_tests_after

STG = "model.dlxh_warehouse.stg_raw__reports"
FACT = "model.dlxh_warehouse.fct_report_submission"
STG_TEST = "test.dlxh_warehouse.not_null_stg_raw__reports_report_id.1a2b3c"
FACT_TEST = "test.dlxh_warehouse.relationships_fct_report_submission_unit_key__unit_key__ref_dim_unit_.9f8e7d"
FACT_UNIT_TEST = "unit_test.dlxh_warehouse.fct_report_submission.a_late_report_is_late"


def models() -> dict[str, Model]:
    return {
        STG: Model(STG, "stg_raw__reports", checks=[STG_TEST]),
        FACT: Model(FACT, "fct_report_submission", parents=[STG], checks=[FACT_TEST, FACT_UNIT_TEST]),
    }


def result(status: str, message: str = "") -> dict[str, object]:
    return {"status": status, "seconds": 0.4, "message": message}


def produced() -> dict[str, object]:
    """A producer XCom as dbt.build returns it, every node fine."""
    results = {
        STG: result("success", "SELECT 12"),
        STG_TEST: result("pass"),
        FACT: result("success", "INSERT 0 73"),
        FACT_TEST: result("pass"),
        FACT_UNIT_TEST: result("pass"),
    }
    return {"results": results, "elapsed_s": 9.7, "as_of": None}


def with_results(**results: dict[str, object]) -> dict[str, object]:
    base = produced()
    base["results"].update(results)  # type: ignore[union-attr]
    return base


def test_a_model_built_and_tested_fine_is_ok_and_its_lines_name_every_check():
    outcome, lines = model_outcome(models()[FACT], produced()["results"])  # type: ignore[arg-type]
    assert outcome == "ok"
    assert lines[0] == "fct_report_submission: success in 0.4s INSERT 0 73"
    assert any(FACT_TEST in line for line in lines) and any(FACT_UNIT_TEST in line for line in lines)


def test_a_failing_test_fails_its_model_but_a_warning_does_not():
    failing = with_results(**{FACT_TEST: result("fail", "Got 3 results, configured to fail if != 0")})
    assert model_outcome(models()[FACT], failing["results"])[0] == "failed"  # type: ignore[arg-type]
    warned = with_results(**{FACT_TEST: result("warn", "Got 3 results, configured to warn if != 0")})
    assert model_outcome(models()[FACT], warned["results"])[0] == "ok"  # type: ignore[arg-type]


def test_a_model_dbt_skipped_or_never_saw_is_left_to_its_task_to_build():
    skipped = with_results(**{STG: result("error", "column canonical_url does not exist"), FACT: result("skipped")})
    assert model_outcome(models()[STG], skipped["results"])[0] == "failed"  # type: ignore[arg-type]
    assert model_outcome(models()[FACT], skipped["results"])[0] == "upstream"  # type: ignore[arg-type]
    missing = produced()
    del missing["results"][FACT]  # type: ignore[attr-defined]
    assert model_outcome(models()[FACT], missing["results"])[0] == "upstream"  # type: ignore[arg-type]


def test_every_model_fine_means_no_model_task_rebuilt_anything():
    assert models_all_ok(models(), produced())
    assert not models_all_ok(models(), with_results(**{STG_TEST: result("fail", "Got 1 result")}))
    assert not models_all_ok(models(), with_results(**{FACT: result("skipped")}))
    assert not models_all_ok(models(), None)


def test_relationship_tests_are_reported_from_the_project_build_when_nothing_was_rebuilt():
    message = relationship_tests_after(produced(), models())
    assert message == "1 relationship tests passed in the project build (dbt.build)"
