"""Prepare the next part of a file in a background thread while the database merges this one.

Parsing is Python (one core, holds the GIL); merging is the server's work (another core, the
GIL is released while psycopg2 waits for it). Handing the staged lines over in parts through a
small bounded queue lets both run at once, with at most `depth` + 2 parts in memory.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterable, Iterator

_DONE = object()


class Prefetch:
    """Iterate over parts (COPY text of up to `part_rows` lines) built by a background thread.

    The producer's exception is re-raised in the consumer; if the consumer stops early
    (error or break), the producer is told to stop and is joined, so no thread outlives it.
    """

    def __init__(self, lines: Iterable[str], part_rows: int, depth: int = 2):
        if part_rows < 1:
            raise ValueError(f"part_rows must be >= 1, got {part_rows}")
        self._lines = lines
        self._part_rows = part_rows
        self._queue: queue.Queue[object] = queue.Queue(maxsize=depth)
        self._stop = threading.Event()

    def __iter__(self) -> Iterator[str]:
        thread = threading.Thread(target=self._produce, name="scans-prefetch", daemon=True)
        thread.start()
        try:
            while True:
                item = self._queue.get()
                if item is _DONE:
                    return
                if isinstance(item, BaseException):
                    raise item
                yield item  # type: ignore[misc]
        finally:
            self._stop.set()
            while thread.is_alive():
                try:
                    self._queue.get(timeout=0.05)
                except queue.Empty:
                    pass
            thread.join()

    def _produce(self) -> None:
        try:
            part: list[str] = []
            for line in self._lines:
                if self._stop.is_set():
                    return
                part.append(line)
                if len(part) >= self._part_rows:
                    self._put("".join(part))
                    part = []
            if part:
                self._put("".join(part))
            self._put(_DONE)
        except BaseException as exc:  # handed to the consumer, which re-raises it
            self._put(exc)

    def _put(self, item: object) -> None:
        while not self._stop.is_set():
            try:
                self._queue.put(item, timeout=0.05)
                return
            except queue.Full:
                continue
