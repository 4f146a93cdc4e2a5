"""Benchmark of the scans source: >= 1,000,000 unique items from two tools with ~30% overlap.

Generates reputa CSV and newsmon JSONL exports (files of --rows-per-file rows), ingests them
end to end with `run_ingest` into a fresh embedded warehouse, and compares with two baselines:

* raw COPY of the export rows: the CSV rows with COPY ... csv into an unindexed table of text
  columns, the JSONL lines into one text column (the cost of moving the bytes, nothing else);
* COPY of the normalised rows: what the end-to-end run stored (raw.scan_items,
  raw.scan_captures, restricted.scan_item_text) dumped and COPYed back into the same tables
  with their keys and indexes: the floor for storing these rows (how bench_surveys.py defines
  its baseline).

    .venv/bin/python benchmarks/bench_scans.py [--items 1000000] [--overlap 0.3] [--keep]

Prints rows/s end to end and of each baseline, both ratios (target >= 0.5) and peak memory:
the max RSS of this process and of its largest child (the forked parser of each file); the
server's memory is not counted.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import random
import resource
import shutil
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

HEADERS = [
    "Đường dẫn",
    "Nền tảng",
    "Thời gian đăng",
    "Thời gian quét",
    "Tiêu đề",
    "Nội dung",
    "Tài khoản",
    "Lượt thích",
    "Lượt chia sẻ",
    "Bình luận",
    "Lượt xem",
    "Sắc thái",
    "Chủ đề",
    "Địa bàn",
]
PLACES = [
    "xã Bình Lư",
    "xã Sơn Bình",
    "xã Dào San",
    "xã Mường So",
    "xã Ka Lăng",
    "xã Pa Ủ",
    "huyện Than Uyên",
    "huyện Tân Uyên",
    "tỉnh Lai Châu",
]
PHRASES = [
    "công nhân phản ánh tình trạng nợ lương kéo dài",
    "mưa lũ gây sạt lở đường giao thông",
    "người dân quan tâm chuyển đổi số",
    "xử lý vi phạm nồng độ cồn theo Nghị định 168",
    "tuyên truyền xóa bỏ hủ tục tảo hôn",
    "ý kiến về sắp xếp tinh gọn bộ máy",
    "giá điện tăng khiến nhiều hộ khó khăn",
    "một buổi sinh hoạt văn hóa bình thường ở bản",
]
LABELS = ["Tích cực", "Trung tính", "Tiêu cực"]


def item(i: int) -> dict:
    """Item i is the same in every export (text drawn from its own seed)."""
    rng = random.Random(i)
    published = datetime(2025, 1, 1, tzinfo=UTC) + timedelta(minutes=i % 500_000)
    text = f"Bài số {i}: tại {rng.choice(PLACES)}, {rng.choice(PHRASES)}; {rng.choice(PHRASES)}."
    return {
        "i": i,
        "url": f"https://www.facebook.com/groups/{i % 997}/posts/{i}/" if i % 10 else None,
        "published": published,
        "text": text,
        "handle": f"user{i % 50_000}",
    }


def reputa_row(it: dict, rng: random.Random) -> list:
    captured = it["published"] + timedelta(hours=rng.randint(1, 48))
    url = (it["url"].replace("www.", "m.") + f"?fbclid=x{rng.randint(0, 9)}") if it["url"] else ""
    return [
        url,
        "Facebook",
        it["published"].strftime("%d/%m/%Y %H:%M"),
        captured.strftime("%d/%m/%Y %H:%M:%S"),
        "",
        it["text"],
        "@" + it["handle"],
        rng.randint(0, 5000),
        rng.randint(0, 500),
        rng.randint(0, 900),
        rng.randint(0, 90_000),
        rng.choice(LABELS),
        "",
        "",
    ]


def newsmon_record(it: dict, rng: random.Random) -> dict:
    captured = it["published"] + timedelta(hours=rng.randint(1, 48))
    return {
        "link": (it["url"] + "?utm_source=newsmon") if it["url"] else None,
        "published": it["published"].isoformat(),
        "crawled_at": captured.isoformat(),
        "body": it["text"],
        "source": {"type": "fb", "handle": it["handle"]},
        "engagement": {
            "likes": rng.randint(0, 5000),
            "shares": rng.randint(0, 500),
            "comments": rng.randint(0, 900),
            "views": rng.randint(0, 90_000),
        },
        "sentiment_score": rng.randint(0, 100),
    }


def generate(folder: Path, items: int, overlap: float, per_file: int) -> tuple[int, list[Path], list[Path]]:
    rng = random.Random(20250320)
    shared = int(items * overlap)
    only_each = (items - shared) // 2
    unique = shared + 2 * only_each
    reputa_ids = range(0, only_each + shared)
    newsmon_ids = range(only_each, only_each * 2 + shared)
    reputa_files, newsmon_files = [], []
    for k, start in enumerate(range(reputa_ids.start, reputa_ids.stop, per_file)):
        path = folder / "reputa" / f"reputa-{k:03d}.csv"
        path.parent.mkdir(parents=True, exist_ok=True)
        buf = io.StringIO()
        w = csv.writer(buf)
        w.writerow(HEADERS)
        for i in range(start, min(start + per_file, reputa_ids.stop)):
            w.writerow(reputa_row(item(i), rng))
        path.write_text(buf.getvalue(), encoding="utf-8")
        reputa_files.append(path)
    for k, start in enumerate(range(newsmon_ids.start, newsmon_ids.stop, per_file)):
        path = folder / "newsmon" / f"newsmon-{k:03d}.jsonl"
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("w", encoding="utf-8") as fh:
            for i in range(start, min(start + per_file, newsmon_ids.stop)):
                fh.write(json.dumps(newsmon_record(item(i), rng), ensure_ascii=False) + "\n")
        newsmon_files.append(path)
    return unique, reputa_files, newsmon_files


def raw_copy(conn, reputa_files: list[Path], newsmon_files: list[Path]) -> tuple[int, float]:
    cols = ", ".join(f"c{i} text" for i in range(len(HEADERS)))
    t0 = time.perf_counter()
    rows = 0
    with conn, conn.cursor() as cur:
        cur.execute(f"drop table if exists public.bench_reputa; create table public.bench_reputa ({cols})")
        cur.execute("drop table if exists public.bench_newsmon; create table public.bench_newsmon (line text)")
    for path in reputa_files:
        with conn, conn.cursor() as cur, path.open("rb") as fh:
            cur.copy_expert("copy public.bench_reputa from stdin with (format csv, header true)", fh)
            rows += cur.rowcount
    for path in newsmon_files:
        with conn, conn.cursor() as cur, path.open("rb") as fh:
            cur.copy_expert("copy public.bench_newsmon from stdin with (format text)", io.BytesIO(fh.read().replace(b"\\", b"\\\\")))
            rows += cur.rowcount
    elapsed = time.perf_counter() - t0
    with conn, conn.cursor() as cur:
        cur.execute("drop table public.bench_reputa; drop table public.bench_newsmon")
    return rows, elapsed


NORMALISED_TABLES = ("raw.scan_items", "raw.scan_captures", "restricted.scan_item_text")


def normalised_copy(conn, folder: Path) -> float:
    """Seconds to COPY what the end-to-end run stored back into the same (emptied) indexed tables."""
    folder.mkdir(parents=True, exist_ok=True)
    with conn, conn.cursor() as cur:
        for table in NORMALISED_TABLES:
            with (folder / f"{table}.tsv").open("w", encoding="utf-8") as fh:
                cur.copy_expert(f"copy {table} to stdout", fh)
        cur.execute(f"truncate {', '.join(NORMALISED_TABLES)}")
    t0 = time.perf_counter()
    with conn, conn.cursor() as cur:
        for table in NORMALISED_TABLES:
            with (folder / f"{table}.tsv").open(encoding="utf-8") as fh:
                cur.copy_expert(f"copy {table} from stdin", fh, size=1 << 16)
    return time.perf_counter() - t0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--items", type=int, default=1_000_000)
    ap.add_argument("--overlap", type=float, default=0.3)
    ap.add_argument("--rows-per-file", type=int, default=100_000)
    ap.add_argument("--part-rows", type=int, default=None, help="rows per merged part (default: ScansSource's PART_ROWS)")
    ap.add_argument("--keep", action="store_true", help="keep the temporary DLXH_HOME")
    args = ap.parse_args()
    home = Path(tempfile.mkdtemp(prefix="dlxh-bench-scans-", dir="/tmp"))
    os.chmod(home, 0o755)
    os.environ["DLXH_HOME"] = str(home)
    os.environ.pop("DLXH_DATABASE_URL", None)
    os.environ.pop("DLXH_PG_PORT", None)
    from dlxh.core.db import connect, ensure_up
    from dlxh.core.pg_embedded import EmbeddedPostgres
    from dlxh.core.settings import load_settings
    from ingestion.framework import run_ingest
    from ingestion.scans.source import ScansSource

    try:
        t0 = time.perf_counter()
        unique, reputa_files, newsmon_files = generate(home / "exports", args.items, args.overlap, args.rows_per_file)
        rows_total = sum(1 for f in reputa_files for _ in f.open(encoding="utf-8")) - len(reputa_files)
        rows_total += sum(1 for f in newsmon_files for _ in f.open(encoding="utf-8"))
        print(f"generated {rows_total:,} rows ({unique:,} unique items, overlap {args.overlap:.0%}) in {time.perf_counter() - t0:.1f}s")
        target = ensure_up()
        conn = connect(target)
        copy_rows_n, copy_s = raw_copy(conn, reputa_files, newsmon_files)
        print(f"raw COPY: {copy_rows_n:,} rows in {copy_s:.1f}s = {copy_rows_n / copy_s:,.0f} rows/s")
        t1 = time.perf_counter()
        part = {"part_rows": args.part_rows} if args.part_rows else {}
        s1 = run_ingest(ScansSource(tool="reputa", **part), reputa_files, conn, progress=None)
        s2 = run_ingest(ScansSource(tool="newsmon", **part), newsmon_files, conn, progress=None)
        elapsed = time.perf_counter() - t1
        with conn, conn.cursor() as cur:
            cur.execute("select count(*) from raw.scan_items")
            items_db = cur.fetchone()[0]
        conn.close()
        rows_in = s1.totals()["rows_read"] + s2.totals()["rows_read"]
        ratio = (rows_in / elapsed) / (copy_rows_n / copy_s)
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        child_peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        print(
            f"end to end: {rows_in:,} rows -> {items_db:,} items in {elapsed:.1f}s = {rows_in / elapsed:,.0f} rows/s, "
            f"{items_db / elapsed:,.0f} items/s"
        )
        print(
            f"unique items expected {unique:,}, found {items_db:,}: {'OK' if unique == items_db else 'MISMATCH'}; "
            f"reconciles: {s1.reconciles() and s2.reconciles()}"
        )
        conn = connect(target)
        norm_s = normalised_copy(conn, home / "normalised")
        conn.close()
        print(f"COPY of the normalised rows into the indexed raw tables: {norm_s:.1f}s = {rows_in / norm_s:,.0f} input rows/s")
        print(f"ratio to raw COPY of the export rows (unindexed text table): {ratio:.3f} (target >= 0.5)")
        print(f"ratio to COPY of the normalised rows (indexed raw tables, as bench_surveys): {norm_s / elapsed:.3f} (target >= 0.5)")
        print(
            f"peak memory: {peak_mb:,.0f} MiB (max RSS of this process), {child_peak_mb:,.0f} MiB (largest child: "
            "a file's parser process, or the server's initdb/pg_ctl helpers)"
        )
    finally:
        EmbeddedPostgres(load_settings()).stop()
        if not args.keep:
            shutil.rmtree(home, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
