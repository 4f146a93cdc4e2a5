"""Run the real DAGs in order with `dag.test()` (no scheduler needed): `python -m dlxh.orchestration.runner`.

Used by `dlxh run`; each DAG run is recorded in the Airflow metadata database like any other.
"""

from __future__ import annotations

import json
import sys
from datetime import datetime

from dlxh.calendar import LOCAL

PIPELINE = (
    ("dlxh_ingest_units", None),
    ("dlxh_ingest_reports", None),
    ("dlxh_ingest_surveys", None),
    ("dlxh_ingest_scans", None),
    ("dlxh_build", None),
    ("dlxh_validate", "months"),
    ("dlxh_alerts", "as_of"),
)


def main(argv: list[str]) -> int:
    from airflow.dag_processing.dagbag import DagBag
    from airflow.utils.state import DagRunState

    options = json.loads(argv[0]) if argv else {}
    bag = DagBag(dag_folder=options["dags_folder"])
    if bag.import_errors:
        for path, err in bag.import_errors.items():
            print(f"DAG import error in {path}:\n{err}", file=sys.stderr)
        return 1
    failed = []
    for dag_id, param in PIPELINE:
        dag = bag.get_dag(dag_id)
        conf = {param: options[param]} if param and options.get(param) is not None else None
        print(f"▶ {dag_id} {json.dumps(conf, ensure_ascii=False) if conf else ''}", flush=True)
        dr = dag.test(logical_date=datetime.now(LOCAL), run_conf=conf)
        state = getattr(dr, "state", None)
        print(f"  {dag_id}: {state}", flush=True)
        if state != DagRunState.SUCCESS:
            failed.append(dag_id)
            break
    if failed:
        print(f"pipeline stopped: {failed[0]} did not succeed (see its task logs above)", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
