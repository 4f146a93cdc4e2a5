"""Respondent identifiers become HMAC-SHA256 hashes under a secret salt.

The salt comes from the setting ``DLXH_SURVEY_SALT`` (required outside demos). When it is
unset, one is generated once and kept in ``$DLXH_HOME/survey-salt`` (mode 0600) so hashes
stay stable across runs; the import summary says so.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass

from dlxh.core.privacy import SALT_FILE, ensure_salt
from dlxh.core.settings import Settings, load_settings
from dlxh.core.text import slug


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
    """The warehouse-wide pseudonymisation salt (dlxh.core.privacy), with where it came from."""
    settings = settings or load_settings()
    key, origin = ensure_salt(settings.get("DLXH_SURVEY_SALT") or None, settings.home)
    return Salt(key, origin, hashlib.sha256(key).hexdigest()[:8])


def normalise_identifier(value: str) -> str:
    """The same person written differently ('Nguyễn Văn A', 'nguyen van a ') hashes the same."""
    return slug(value)


def respondent_hash(salt: Salt, values: list[str]) -> str:
    message = "\x1f".join(normalise_identifier(v) for v in values).encode("utf-8")
    return hmac.new(salt.key, message, hashlib.sha256).hexdigest()
