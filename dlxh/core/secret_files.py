"""Secret files (passwords, keys, salts) under DLXH_HOME: one way to create and read them.

Every secret file is created race-safely with ``os.open(..., O_CREAT | O_EXCL, 0o600)``: the
file never exists with wider permissions, and when two processes start at once exactly one
writes it and the other reads what was written. A secret file found with a wider mode is
narrowed to 0600. Secrets are never logged: errors name the file, never its content.
"""

from __future__ import annotations

import os
import stat
import time
from collections.abc import Callable
from pathlib import Path

SECRET_MODE = 0o600


def _narrow(path: Path) -> None:
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
        if mode & 0o077:
            os.chmod(path, SECRET_MODE)
    except PermissionError:
        pass


def create_secret_file(path: Path, value: str, replace: bool = False) -> bool:
    """Write `value` into a new 0600 file; False when it already exists (and `replace` is off)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if replace:
        path.unlink(missing_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, SECRET_MODE)
    except FileExistsError:
        return False
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(value if value.endswith("\n") else value + "\n")
    return True


def write_secret_bytes(path: Path, data: bytes) -> None:
    """Replace `path` with `data` in a new 0600 file (a file that holds a secret among other bytes)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.unlink(missing_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, SECRET_MODE)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)


def read_secret_file(path: Path) -> str:
    """The stripped content of a secret file (narrowing its mode to 0600 if it was wider)."""
    _narrow(path)
    for _ in range(50):  # a concurrent creator may not have written it yet
        value = path.read_text(encoding="utf-8").strip()
        if value:
            return value
        time.sleep(0.02)
    raise RuntimeError(f"secret file {path} is empty: delete it to regenerate it")


def stored_secret(path: Path, make: Callable[[], str]) -> str:
    """The secret kept in `path`, generated with `make()` on first use (0600, created once)."""
    if not path.exists():
        create_secret_file(path, make())
    return read_secret_file(path)
