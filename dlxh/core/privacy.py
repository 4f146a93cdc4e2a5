"""Pseudonymisation of personal identifiers (survey respondents, social-media handles).

One salt for the whole warehouse: the setting ``DLXH_SURVEY_SALT`` if set, otherwise the file
``$DLXH_HOME/survey-salt`` (32 random bytes, hex, generated once with mode 0600). Identifiers
are keyed with HMAC-SHA256 so that a hash cannot be reversed by hashing a list of known handles
without the salt, and the same person gets the same pseudonym in every source.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path

from dlxh.core.secret_files import create_secret_file, read_secret_file
from dlxh.core.settings import load_settings
from dlxh.core.text import nfc

SALT_SETTING = "DLXH_SURVEY_SALT"
SALT_FILE = "survey-salt"


def _salt_file(home: Path) -> Path:
    return home / SALT_FILE


def ensure_salt(configured: str | None, home: Path) -> tuple[bytes, str]:
    """(salt, origin): origin is "setting", "generated" (created now) or "file" (created before)."""
    if configured:
        return configured.encode("utf-8"), "setting"
    path = _salt_file(home)
    origin = "file"
    if not path.exists() and create_secret_file(path, secrets.token_hex(32)):
        origin = "generated"
    try:
        value = read_secret_file(path)
    except RuntimeError:
        raise RuntimeError(f"{path} is empty: delete it to regenerate the salt, or set {SALT_SETTING}") from None
    return value.encode("utf-8"), origin


@lru_cache(maxsize=8)
def _salt_for(configured: str | None, home: str) -> bytes:
    return ensure_salt(configured, Path(home))[0]


def salt() -> bytes:
    """The pseudonymisation salt (setting first, else the generated file under DLXH_HOME)."""
    settings = load_settings()
    return _salt_for(settings.get(SALT_SETTING) or None, str(settings.home))


def pseudonymiser() -> Callable[[str], str]:
    """`pseudonymise` with the salt read once (for bulk loads of millions of rows)."""
    key_bytes = salt()

    def _hash(value: str) -> str:
        key = (nfc(value) or "").lower()
        return hmac.new(key_bytes, key.encode("utf-8"), hashlib.sha256).hexdigest()

    return _hash


def pseudonymise(value: str) -> str:
    """HMAC-SHA256 (hex) of an identifier, normalised to NFC, trimmed and lower-cased."""
    return pseudonymiser()(value)
