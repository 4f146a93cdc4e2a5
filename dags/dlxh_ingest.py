"""Airflow DAGs: one ingest DAG per source declared in `ingestion/<source>/spec.py`.

`dlxh_ingest_<source>` polls `$DLXH_INBOX/<source>/` for files whose content was never loaded,
fans out over them (one mapped task per batch of files, on the source's Celery queue: report
documents are OCR'd on the `ocr` workers), and emits the source's asset with the months the new
rows touched, which triggers `dlxh_build`, once the planner's statistics of the source's tables
are refreshed. Same code as `dlxh ingest <source>`.
"""

from __future__ import annotations

from typing import Any

from airflow.sdk import Metadata, dag, task

from dlxh.orchestration.assets import RAW
from dlxh.orchestration.defaults import COMMON, INBOX_POLL
from ingestion.sources import specs
from ingestion.spec import SourceSpec


def ingest_dag(spec: SourceSpec):
    asset = RAW[spec.name]

    @dag(
        dag_id=spec.dag_id,
        schedule=INBOX_POLL,
        **COMMON,
        tags=["dlxh", "ingest", spec.name],
        doc_md=f"""
### Ingest: {spec.name}
{spec.title}. Polls `$DLXH_INBOX/{spec.name}/` for new files ({", ".join(sorted(spec.suffixes))}),
loads them into {", ".join(f"`{t}`" for t in spec.table_names)} in batches of {spec.batch_size} (one mapped
task each, queue `{spec.queue}`), and emits `{spec.asset}` with the months touched, which triggers `dlxh_build`.
""",
    )
    def ingest():
        @task.short_circuit(task_id="detect_new_files")
        def detect_new_files() -> list[dict[str, Any]]:
            """Batches of inbox files never loaded (by content hash); none: the run stops here."""
            from dlxh.orchestration import tasks

            return tasks.plan_batches(spec.name, tasks.new_files(spec.name))

        @task(task_id=f"ingest_{spec.name}", queue=spec.queue, map_index_template="{{ task.op_kwargs['batch']['files'][0] }}")
        def ingest_batch(batch: dict[str, Any]) -> dict[str, Any]:
            from dlxh.orchestration import tasks

            return tasks.ingest_batch(spec.name, batch)

        @task(task_id=f"publish_{spec.name}", outlets=[asset])
        def publish(results: list[dict[str, Any]]):
            from dlxh.orchestration import tasks

            result = tasks.merge_results(spec.name, list(results))
            tasks.refresh_statistics(spec.name, result["totals"])  # once, when all the batches are in
            yield Metadata(asset, {"months": result["months"], "load_ids": result["load_ids"]})
            return result

        publish(ingest_batch.expand(batch=detect_new_files()))

    return ingest()


for source_spec in specs():
    ingest_dag(source_spec)
