"""monthly_report.toml: issuer, title, signature, recipients, mail and layout of the report upward.

The deployment's file in $DLXH_CONFIG_DIR wins over the shipped default (dlxh.core.config.config_path).
Every problem is a ConfigError naming the file and the field (exit 2).
"""

from __future__ import annotations

import os
import re
import tomllib
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dlxh.core.errors import ConfigError

FILE_NAME = "monthly_report.toml"
EMAIL_RE = re.compile(r"^[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+$")
# Decree 30/2020/NĐ-CP, Appendix I: margins in millimetres.
MARGINS = {"margin_top_mm": (20, 25), "margin_bottom_mm": (20, 25), "margin_left_mm": (30, 35), "margin_right_mm": (15, 20)}


@dataclass(frozen=True)
class Recipient:
    name: str
    email: str | None = None


@dataclass(frozen=True)
class ReportConfig:
    path: Path
    superior_body: str
    issuing_body: str
    document_symbol: str
    number: str
    place: str
    subject: str
    on_behalf: str
    position: str
    signer: str
    recipients: tuple[Recipient, ...]
    mail_to: tuple[str, ...]
    font: str
    font_size_pt: float
    margins_mm: dict[str, float]
    months_of_history: int
    quotes_per_topic: int
    quote_max_chars: int
    top_scan_items: int

    def title_subject(self, month: int, year: int) -> str:
        return self.subject.replace("{month}", str(month)).replace("{year}", str(year))


def _nfc(value: str) -> str:
    return unicodedata.normalize("NFC", value).strip()


class _Reader:
    def __init__(self, path: Path, data: dict[str, Any]):
        self.path, self.data = path, data

    def fail(self, field: str, problem: str) -> ConfigError:
        return ConfigError(f"{self.path}, field {field}: {problem}")

    def table(self, name: str) -> dict[str, Any]:
        value = self.data.get(name, {})
        if not isinstance(value, dict):
            raise self.fail(name, "must be a table ([" + name + "])")
        return value

    def text(self, section: str, key: str, required: bool = True) -> str:
        value = self.table(section).get(key, "")
        if not isinstance(value, str):
            raise self.fail(f"{section}.{key}", f"must be text, got {value!r}")
        value = _nfc(value)
        if required and not value:
            raise self.fail(f"{section}.{key}", "is missing or empty")
        return value

    def number(self, section: str, key: str, default: float, low: float, high: float, integer: bool = False) -> float:
        value = self.table(section).get(key, default)
        if isinstance(value, bool) or not isinstance(value, int | float) or (integer and not isinstance(value, int)):
            raise self.fail(f"{section}.{key}", f"must be {'a whole number' if integer else 'a number'}, got {value!r}")
        if not low <= value <= high:
            raise self.fail(f"{section}.{key}", f"{value} is outside {low:g}-{high:g}")
        return value


def _email(reader: _Reader, field: str, value: Any) -> str:
    if not isinstance(value, str) or not EMAIL_RE.match(value.strip()):
        raise reader.fail(field, f"{value!r} is not an e-mail address")
    return value.strip().lower()


def load_report_config(path: Path | None = None) -> ReportConfig:
    from dlxh.core.config import config_path

    path = path or config_path(FILE_NAME)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    try:
        data = tomllib.loads(raw.decode("utf-8-sig"))
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not UTF-8 text (byte {exc.start})") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc})") from None
    r = _Reader(path, data)
    subject = r.text("title", "subject")
    if "{month}" not in subject or "{year}" not in subject:
        raise r.fail("title.subject", "must contain {month} and {year}")

    recipients_raw = data.get("recipients", [])
    if not isinstance(recipients_raw, list) or not all(isinstance(x, dict) for x in recipients_raw):
        raise r.fail("recipients", "must be a list of [[recipients]] tables")
    recipients = []
    for i, entry in enumerate(recipients_raw, start=1):
        name = entry.get("name")
        if not isinstance(name, str) or not _nfc(name):
            raise r.fail(f"recipients[{i}].name", "is missing or empty")
        email = entry.get("email")
        recipients.append(Recipient(_nfc(name), _email(r, f"recipients[{i}].email", email) if email else None))
    if not recipients:
        raise r.fail("recipients", "lists no recipient (Nơi nhận)")

    mail = r.table("mail").get("to", [])
    if isinstance(mail, str):
        mail = [mail]
    if not isinstance(mail, list):
        raise r.fail("mail.to", "must be a list of e-mail addresses")
    mail_to = [_email(r, "mail.to", m) for m in mail]
    env = os.environ.get("DLXH_REPORT_MAIL_TO", "")
    for m in (x for x in env.split(",") if x.strip()):
        if not EMAIL_RE.match(m.strip()):
            raise ConfigError(f"DLXH_REPORT_MAIL_TO: {m.strip()!r} is not an e-mail address")
        mail_to.append(m.strip().lower())
    mail_to += [rec.email for rec in recipients if rec.email]

    return ReportConfig(
        path=path,
        superior_body=r.text("issuer", "superior_body"),
        issuing_body=r.text("issuer", "issuing_body"),
        document_symbol=r.text("issuer", "document_symbol"),
        number=r.text("issuer", "number", required=False),
        place=r.text("issuer", "place"),
        subject=subject,
        on_behalf=r.text("signature", "on_behalf", required=False),
        position=r.text("signature", "position"),
        signer=r.text("signature", "signer"),
        recipients=tuple(recipients),
        mail_to=tuple(dict.fromkeys(mail_to)),
        font=r.text("layout", "font", required=False) or "Times New Roman",
        font_size_pt=float(r.number("layout", "font_size_pt", 14, 13, 14)),
        margins_mm={k: float(r.number("layout", k, lo, lo, hi)) for k, (lo, hi) in MARGINS.items()},
        months_of_history=int(r.number("content", "months_of_history", 6, 1, 24, integer=True)),
        quotes_per_topic=int(r.number("content", "quotes_per_topic", 2, 0, 10, integer=True)),
        quote_max_chars=int(r.number("content", "quote_max_chars", 220, 40, 2000, integer=True)),
        top_scan_items=int(r.number("content", "top_scan_items", 5, 0, 50, integer=True)),
    )
