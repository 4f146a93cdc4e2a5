"""Extract the text of a batch's scans and PDFs ahead of the loop that loads them, in threads.

OCR is Tesseract, a separate process per page: while it runs, the Python thread that started it
only waits. The ingestion loop loads one file at a time (one transaction each), so on its own it
leaves every core but one idle during a batch of scans. `TextAhead` runs `extract_text` for the
next files of the batch in a few threads while the loop loads the current one; the loop takes
each result when it reaches that file. What a file's load does with the text is unchanged.

* Only files worth it are read ahead: page images and PDFs (a PDF without a text layer is OCR'd).
  DOCX and text files are parsed in Python, where a thread would only compete for the GIL.
* A result is used only for the very content it was made from (its SHA-256 is the file hash
  the loop computed); a file that changed in between is extracted again by the loop itself.
* `extract_text`'s own verdict on a file (a DocumentError: empty, unreadable, no text) is
  handed to the loop as if it had raised there; any other failure is not: the loop extracts
  that file itself, so the error is reported from the file's own load, as without read-ahead.
* At most `window` files are extracted ahead of the loop, so memory stays bounded; files the
  loop never asks for (already loaded) are dropped when it moves past them.

DLXH_OCR_WORKERS sets how many threads (default: the CPUs this process may use; 1 turns
read-ahead off).
"""

from __future__ import annotations

import hashlib
import logging
import os
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

from ingestion.reports.documents.errors import DocumentError
from ingestion.reports.documents.extract import IMAGE_SUFFIXES, ExtractedText, extract_text

log = logging.getLogger("dlxh")
AHEAD_SUFFIXES = frozenset({".pdf", *IMAGE_SUFFIXES})


def workers_setting() -> int:
    """DLXH_OCR_WORKERS, default the CPUs available to this process; at least 1."""
    raw = os.environ.get("DLXH_OCR_WORKERS", "").strip()
    if raw:
        try:
            return max(1, int(raw))
        except ValueError:
            log.warning("DLXH_OCR_WORKERS=%r is not a whole number; using 1", raw)
            return 1
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)


def worth_reading_ahead(path: Path) -> bool:
    return path.suffix.lower() in AHEAD_SUFFIXES


_Result = tuple[str, ExtractedText | DocumentError] | None


def _extract(path: Path) -> _Result:
    """(sha256 of the bytes read, the text or extract_text's DocumentError); None on any other failure."""
    try:
        data = path.read_bytes()
        digest = hashlib.sha256(data).hexdigest()
        try:
            return digest, extract_text(path, data)
        except DocumentError as exc:
            return digest, exc
    except Exception:  # reported by the loop's own extraction of this file
        log.debug("read-ahead of %s failed; the load extracts it itself", path, exc_info=True)
        return None


class TextAhead:
    """The text of `files` (paths with the content hash they are expected to have), extracted in
    `workers` threads, at most `window` files ahead of the last one taken."""

    def __init__(self, files: Sequence[tuple[Path, str]], workers: int, window: int | None = None) -> None:
        self._files = [(Path(p).resolve(), h) for p, h in files]
        self._index = {path: i for i, (path, _h) in enumerate(self._files)}
        self._window = max(1, window if window is not None else 2 * workers)
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="dlxh-ocr-ahead")
        self._futures: dict[int, Future[_Result]] = {}
        self._next = 0  # the first file not submitted yet
        self.submitted: list[Path] = []  # in order (what was read ahead, for tests and the log)
        self._fill(0)

    def _fill(self, position: int) -> None:
        while self._next < len(self._files) and self._next < position + self._window:
            path = self._files[self._next][0]
            self._futures[self._next] = self._pool.submit(_extract, path)
            self.submitted.append(path)
            self._next += 1

    def take(self, path: Path, file_hash: str) -> ExtractedText | None:
        """The text of `path` if it was read ahead from content with this hash (raises the
        DocumentError extract_text raised for it); None when the caller must extract it itself."""
        position = self._index.get(Path(path).resolve())
        if position is None:
            return None
        for skipped in [i for i in self._futures if i < position]:  # files the loop passed by
            self._futures.pop(skipped).cancel()
        self._fill(position)
        future = self._futures.pop(position, None)
        self._fill(position + 1)
        if future is None:
            return None
        result = future.result()
        if result is None or result[0] != file_hash:
            return None
        if isinstance(result[1], DocumentError):
            raise result[1]
        return result[1]

    def close(self) -> None:
        for future in self._futures.values():
            future.cancel()
        self._futures.clear()
        self._pool.shutdown(wait=True, cancel_futures=True)
