"""Benchmark of the reports source.

1. Documents per second for each format on a generated corpus (extraction + unit + parts + topics,
   no database), printed with the ratio to DOCX.
2. Structured-form rows per second through `run_ingest` against a raw COPY of the same rows into
   an unindexed table, printed as a ratio.
3. A batch of scans (page images and image-only PDFs, as a district office's scanner writes them)
   through `run_ingest` with the OCR read-ahead (DLXH_OCR_WORKERS, default the CPUs) against the
   same batch with DLXH_OCR_WORKERS=1 (no read-ahead), alternated over --rounds, printed as ratios.

Usage: DLXH_HOME=/tmp/dlxh-bench .venv/bin/python benchmarks/bench_reports.py [--docs 40] [--ocr 3] [--rows 20000]
       [--scans 8] [--rounds 3]
(starts the embedded PostgreSQL of that DLXH_HOME for parts 2 and 3).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests import fixtures_reports as fx  # noqa: E402


def registry():
    from ingestion.reference.units import UnitRegistry, UnitVersion

    return UnitRegistry([UnitVersion(r[0], r[1], date.fromisoformat(r[4]), None, r[2], r[3] or None) for r in fx.REGISTRY])


def bench_documents(root: Path, n_docs: int, n_ocr: int) -> dict[str, float]:
    from ingestion.reports.documents import parse_document

    writers = {
        "docx": (lambda s, p: fx.write_docx(s, p), ".docx", n_docs),
        "pdf_text": (lambda s, p: fx.write_pdf_text(s, p), ".pdf", n_docs),
        "txt_cp1258": (lambda s, p: fx.write_text(s, p, "cp1258"), ".txt", n_docs),
        "txt_ocr_damaged": (lambda s, p: fx.write_text(s, p, damage=True), ".txt", n_docs),
        "image_png": (lambda s, p: fx.write_image(s, p), ".png", n_ocr),
        "pdf_scan": (lambda s, p: fx.write_scanned_pdf(s, p), ".pdf", n_ocr),
    }
    reg = registry()
    rates: dict[str, float] = {}
    for name, (write, suffix, n) in writers.items():
        files = [write(fx.ReportSpec(doc_number=f"{i + 1}/BC-LĐLĐ"), root / name / f"bc{i}{suffix}") for i in range(n)]
        t0 = time.perf_counter()
        for f in files:
            rec = parse_document(f, f.read_bytes(), reg)
            assert rec.unit_code == "LDLD-TD" and rec.period_month == date(2025, 3, 1), (name, rec.unit_code)
        rates[name] = n / (time.perf_counter() - t0)
    return rates


def bench_form(root: Path, n_rows: int) -> tuple[float, float]:
    from dlxh.core.db import connect, copy_rows, ensure_up
    from ingestion.framework import run_ingest
    from ingestion.reports.source import ReportsSource
    from ingestion.units.source import UnitsSource

    target = ensure_up()
    conn = connect(target)
    with conn, conn.cursor() as cur:
        cur.execute("truncate raw.reports, raw.report_items, raw.report_topics, raw.document_register cascade")
        cur.execute("delete from ops.files where source in ('reports', 'units')")
    run_ingest(UnitsSource(), [fx.write_registry(root / "units.csv")], conn, progress=None)
    rows = []
    units = [r for r in fx.REGISTRY if r[2] != "province"]
    per_report = 4
    for i in range(n_rows // per_report):
        u = units[i % len(units)]
        month = f"{2000 + i // (12 * len(units)) % 100:04d}-{i // len(units) % 12 + 1:02d}"
        for r in fx.form_rows(u[0], u[1], month, f"{month}-10 08:{i % 60:02d}", f"{i}/BC-LĐLĐ") * (per_report // 2):
            rows.append(r)
    path = fx.write_form_csv(root / "form_big.csv", rows)
    t0 = time.perf_counter()
    summary = run_ingest(ReportsSource(), [path], conn, progress=None)
    form_s = time.perf_counter() - t0
    assert summary.reconciles() and summary.totals()["rows_quarantined"] == 0, summary.render()
    with conn, conn.cursor() as cur:
        cur.execute("create temp table bench_copy (" + ", ".join(f"c{i} text" for i in range(len(fx.FORM_HEADER))) + ")")
        t0 = time.perf_counter()
        copy_rows(cur, "bench_copy", [f"c{i}" for i in range(len(fx.FORM_HEADER))], rows)
        copy_s = time.perf_counter() - t0
    conn.close()
    return len(rows) / form_s, len(rows) / copy_s


def _empty_reports(conn) -> None:
    with conn, conn.cursor() as cur:
        cur.execute("truncate raw.reports, raw.report_items, raw.report_topics, raw.document_register cascade")
        cur.execute("delete from ops.quarantine where source = 'reports'")
        cur.execute("delete from ops.files where source = 'reports'")


def bench_read_ahead(root: Path, n_scans: int, rounds: int) -> list[tuple[float, float]]:
    """(seconds without read-ahead, seconds with it) per round, the order alternating."""
    import os

    from dlxh.core.db import connect, ensure_up
    from ingestion.framework import run_ingest
    from ingestion.reports.documents.ahead import workers_setting
    from ingestion.reports.source import ReportsSource
    from ingestion.units.source import UnitsSource

    conn = connect(ensure_up())
    with conn, conn.cursor() as cur:
        cur.execute("delete from ops.files where source = 'units'")
    run_ingest(UnitsSource(), [fx.write_registry(root / "units_scans.csv")], conn, progress=None)
    districts = [u for u in fx.REGISTRY if u[2] == "district"]
    batch = []
    for i in range(n_scans):
        place = districts[i % len(districts)][1].split("huyện ")[-1]
        spec = fx.ReportSpec(issuer=f"LĐLĐ HUYỆN {place.upper()}", place=place, doc_number=f"{i + 1}/BC-LĐLĐ")
        write = fx.write_scanned_pdf if i % 3 == 2 else fx.write_image
        batch.append(write(spec, root / "scans" / f"scan_{i + 1}{'.pdf' if i % 3 == 2 else '.png'}"))
    saved = os.environ.get("DLXH_OCR_WORKERS")
    default_workers = workers_setting() if saved is None else int(saved)
    timings: list[tuple[float, float]] = []
    try:
        for n in range(rounds):
            seconds: dict[int, float] = {}
            for workers in (1, default_workers) if n % 2 == 0 else (default_workers, 1):
                _empty_reports(conn)
                os.environ["DLXH_OCR_WORKERS"] = str(workers)
                t0 = time.perf_counter()
                summary = run_ingest(ReportsSource(), batch, conn, progress=None)
                seconds[workers] = time.perf_counter() - t0
                assert summary.reconciles() and all(f.status == "loaded" for f in summary.files), summary.render()
            timings.append((seconds[1], seconds[default_workers]))
    finally:
        if saved is None:
            os.environ.pop("DLXH_OCR_WORKERS", None)
        else:
            os.environ["DLXH_OCR_WORKERS"] = saved
        conn.close()
    print(f"  ({n_scans} scans, read-ahead in {default_workers} threads on {os.cpu_count()} CPUs)")
    return timings


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--docs", type=int, default=40)
    ap.add_argument("--ocr", type=int, default=3)
    ap.add_argument("--rows", type=int, default=20000)
    ap.add_argument("--scans", type=int, default=8)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--only-read-ahead", action="store_true", help="part 3 alone")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-reports-") as tmp:
        root = Path(tmp)
        if not args.only_read_ahead:
            _documents_and_form(root, args)
        print("scans through run_ingest, without / with the OCR read-ahead:")
        ratios = []
        for without, with_ahead in bench_read_ahead(root, args.scans, args.rounds):
            ratios.append(with_ahead / without)
            print(f"  without {without:6.1f}s   with {with_ahead:6.1f}s   ratio {with_ahead / without:.2f}")
        print(f"  median ratio with / without: {sorted(ratios)[len(ratios) // 2]:.2f}")


def _documents_and_form(root: Path, args: argparse.Namespace) -> None:
    rates = bench_documents(root, args.docs, args.ocr)
    print("documents per second (extraction + unit + month + parts + topics, no database):")
    for name, rate in rates.items():
        print(f"  {name:<16} {rate:9.2f} docs/s   ratio to docx {rate / rates['docx']:.3f}")
    form_rate, copy_rate = bench_form(root, args.rows)
    print(
        f"structured form: {form_rate:,.0f} rows/s through run_ingest vs {copy_rate:,.0f} rows/s raw COPY -> ratio {form_rate / copy_rate:.3f}"
    )


if __name__ == "__main__":
    main()
