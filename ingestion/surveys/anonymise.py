"""Respondent identifiers become HMAC-SHA256 hashes under a secret salt.

The salt comes from the setting ``DLXH_SURVEY_SALT`` (required outside demos). When it is
unset, one is generated once and kept in ``$DLXH_HOME/survey-salt`` (mode 0600) so hashes
stay stable across runs; the import summary says so.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from dataclasses import dataclass

from dlxh.settings import Settings, load_settings
from dlxh.text import slug

SALT_FILE = "survey-salt"


@dataclass(frozen=True)
class Salt:
    key: bytes
    origin: str  # "setting" | "generated" | "file"
    salt_id: str  # short fingerprint: which salt hashed a row, without revealing it

    def note(self) -> str | None:
        if self.origin == "setting":
            return None
        what = "vừa được tạo" if self.origin == "generated" else "đang dùng"
        return (
            f"Chưa đặt DLXH_SURVEY_SALT: khóa băm mã người trả lời {what} tại $DLXH_HOME/{SALT_FILE} (quyền 0600). "
            "Chỉ dùng cho chạy thử; khi dùng thật hãy đặt DLXH_SURVEY_SALT và giữ bí mật."
        )


def load_salt(settings: Settings | None = None) -> Salt:
    settings = settings or load_settings()
    value = settings.get("DLXH_SURVEY_SALT")
    if value:
        key = value.encode("utf-8")
        return Salt(key, "setting", hashlib.sha256(key).hexdigest()[:8])
    path = settings.home / SALT_FILE
    origin = "file"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass  # another process created it first: use theirs
        else:
            with os.fdopen(fd, "w") as fh:
                fh.write(secrets.token_hex(32))
            origin = "generated"
    key = path.read_text().strip().encode("utf-8")
    if not key:
        raise ValueError(f"{path} is empty: delete it to generate a new survey salt, or set DLXH_SURVEY_SALT")
    return Salt(key, origin, hashlib.sha256(key).hexdigest()[:8])


def normalise_identifier(value: str) -> str:
    """The same person written differently ('Nguyễn Văn A', 'nguyen van a ') hashes the same."""
    return slug(value)


def respondent_hash(salt: Salt, values: list[str]) -> str:
    message = "\x1f".join(normalise_identifier(v) for v in values).encode("utf-8")
    return hmac.new(salt.key, message, hashlib.sha256).hexdigest()
