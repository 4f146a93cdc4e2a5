"""Prepare the next part of a file in another process while the database merges this one.

Parsing is Python (one core); merging is the server's work (another core). A parser *thread*
cannot keep up that overlap: it releases the GIL for a moment on every read of the export
file, and CPython's GIL then keeps going back to it, so the thread waiting to send a part to
the server starved for up to a second per part (measured: a 20,000-row part waited 0.5-0.9 s
after it was ready). A forked child process has its own interpreter: it parses and sends
each part through a pipe while the parent merges the previous one. Where `os.fork` does not
exist (or is not dependable: not Linux) the same producer runs in a thread instead.

A producer yields parts (any picklable value). At most DEPTH parts wait (one with a thread),
so memory stays bounded by a few parts.
"""

from __future__ import annotations

import os
import pickle
import queue
import signal
import sys
import threading
import traceback
from collections.abc import Callable, Generator, Iterable
from typing import Any, BinaryIO

# Parts a child process may have sent ahead of the one being merged.
DEPTH = 4


class ProducerError(RuntimeError):
    """An exception raised in the producer process that could not be sent as itself."""


def prefetch(produce: Callable[[], Iterable[Any]], *, use_process: bool | None = None) -> Generator[Any, None, None]:
    """Iterate over what `produce()` yields, built ahead in a child process (or a thread).

    The producer's exception is re-raised here; if the consumer stops early (error, break or
    close()), the producer is stopped and reaped, so no process or thread outlives the loop.
    """
    if use_process is None:
        # fork without exec is only dependable on Linux (macOS system libraries may abort in the child)
        use_process = sys.platform.startswith("linux") and hasattr(os, "fork")
    return _from_process(produce) if use_process else _from_thread(produce)


# ---------------------------------------------------------------- child process


def _from_process(produce: Callable[[], Iterable[Any]]) -> Generator[Any, None, None]:
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: produce, send, and leave without running the parent's clean-up
        os.close(read_fd)
        _child(produce, write_fd)
    os.close(write_fd)
    reader = os.fdopen(read_fd, "rb", buffering=1 << 20)
    # A reader thread takes parts off the pipe as soon as they are sent, so the child keeps
    # parsing (up to DEPTH parts ahead) while this thread's caller waits for the server.
    handoff: queue.Queue[tuple[str, Any]] = queue.Queue(maxsize=DEPTH)
    stop = threading.Event()

    def drain() -> None:
        while not stop.is_set():
            message = _receive(reader)
            _put(handoff, stop, message)
            if message[0] != "item":
                return

    thread = threading.Thread(target=drain, name="scans-prefetch-reader", daemon=True)
    thread.start()
    finished = False
    try:
        while True:
            kind, value = handoff.get()
            if kind == "item":
                yield value
            elif kind == "done":
                finished = True
                return
            else:
                finished = True
                raise value
    finally:
        stop.set()
        if not finished:
            _kill(pid)  # the reader then meets the end of the pipe
        _join(thread, handoff)
        reader.close()
        os.waitpid(pid, 0)


def _child(produce: Callable[[], Iterable[Any]], write_fd: int) -> None:
    code = 0
    try:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
        with os.fdopen(write_fd, "wb", buffering=1 << 20) as out:
            try:
                for value in produce():
                    pickle.dump(("item", value), out, protocol=pickle.HIGHEST_PROTOCOL)
                    out.flush()  # the parent is waiting for this part now, not with the next one
                pickle.dump(("done", None), out, protocol=pickle.HIGHEST_PROTOCOL)
            except BrokenPipeError:
                code = 1  # the parent stopped reading: nothing left to do
            except BaseException as exc:  # sent to the parent, which re-raises it
                code = 1
                _send_error(out, exc)
    except BaseException:
        code = 1
    finally:
        os._exit(code)  # never return into the parent's code (tests, Airflow, open connections)


def _send_error(out: BinaryIO, exc: BaseException) -> None:
    detail = "".join(traceback.format_exception(exc, limit=8))
    try:
        payload = pickle.dumps(("error", exc), protocol=pickle.HIGHEST_PROTOCOL)
        pickle.loads(payload)  # some exceptions pickle but cannot be rebuilt
    except Exception:
        payload = pickle.dumps(("error", ProducerError(f"{type(exc).__name__}: {exc}\n{detail}")))
    try:
        out.write(payload)
        out.flush()
    except OSError:
        pass


def _receive(reader: BinaryIO) -> tuple[str, Any]:
    try:
        return pickle.load(reader)
    except EOFError:
        return "error", ProducerError("the parser process ended without finishing the file (killed, or out of memory?)")


def _kill(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        pass


# ---------------------------------------------------------------- thread (no fork)


def _from_thread(produce: Callable[[], Iterable[Any]]) -> Generator[Any, None, None]:
    handoff: queue.Queue[tuple[str, Any]] = queue.Queue(maxsize=1)
    stop = threading.Event()

    def run() -> None:
        try:
            for value in produce():
                if stop.is_set():
                    return
                _put(handoff, stop, ("item", value))
            _put(handoff, stop, ("done", None))
        except BaseException as exc:  # handed to the consumer, which re-raises it
            _put(handoff, stop, ("error", exc))

    thread = threading.Thread(target=run, name="scans-prefetch", daemon=True)
    thread.start()
    try:
        while True:
            kind, value = handoff.get()
            if kind == "done":
                return
            if kind == "error":
                raise value
            yield value
    finally:
        stop.set()
        _join(thread, handoff)


def _put(handoff: queue.Queue[tuple[str, Any]], stop: threading.Event, item: tuple[str, Any]) -> None:
    while not stop.is_set():
        try:
            handoff.put(item, timeout=0.05)
            return
        except queue.Full:
            continue


def _join(thread: threading.Thread, handoff: queue.Queue[tuple[str, Any]]) -> None:
    """Join a producer thread that may be waiting to hand over an item (`stop` is set)."""
    while thread.is_alive():
        try:
            handoff.get(timeout=0.05)
        except queue.Empty:
            pass
    thread.join()
