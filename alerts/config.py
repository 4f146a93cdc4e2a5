"""Alert settings (all `DLXH_*`, see docs/alerts.md), read once per run into a typed record."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from dlxh.core.config.unit_types import owing_unit_types
from dlxh.core.errors import ConfigError
from dlxh.core.settings import Settings, load_settings

CHANNELS = ("log", "email", "webhook")
SECURITY_PORTS = {"none": 25, "starttls": 587, "ssl": 465}
WEBHOOK_STYLES = ("auto", "slack", "mattermost", "telegram")

# name -> (default, description); docs/alerts.md lists the same settings.
ALERT_SETTINGS: dict[str, tuple[str, str]] = {
    "DLXH_ALERT_CHANNELS": ("log", "Comma-separated channels: log, email, webhook."),
    "DLXH_ALERT_REMIND_DAYS": ("3", "Reminder this many days before the deadline."),
    "DLXH_ALERT_ESCALATE_DAYS": ("5", "Escalate to the office and the parent unit at this many days late."),
    "DLXH_ALERT_OPEN_DAYS": ("30", "A period stays open (chased, in the digest) this many days after its deadline."),
    "DLXH_NETWORK_NOTICE_DAY": (
        "",
        "Day of the month (1-28) the collaborator-network notices for the last complete month go out; "
        "default: the first day at or after the monthly report's deadline.",
    ),
    "DLXH_ALERT_RETRY_BASE_SECONDS": ("300", "First retry delay after a failed send; doubles per attempt."),
    "DLXH_ALERT_RETRY_MAX_SECONDS": ("21600", "Longest retry delay."),
    "DLXH_ALERT_MAX_ATTEMPTS": ("12", "Give up (status failed) after this many failed attempts."),
    "DLXH_OFFICE_NAME": ("Ban Tuyên giáo Liên đoàn Lao động tỉnh", "Who receives digests and escalations (display name)."),
    "DLXH_OFFICE_EMAIL": ("", "Office email for digests and escalations."),
    "DLXH_OFFICE_WEBHOOK": ("", "Office webhook URL (else DLXH_WEBHOOK_URL)."),
    "DLXH_REPORT_SUBMIT_TO": ("", "Where units send reports (text in messages); default: office name and email."),
    "DLXH_SMTP_HOST": ("", "SMTP server (required for the email channel)."),
    "DLXH_SMTP_PORT": ("25 / 587 / 465", "Default by security none / starttls / ssl."),
    "DLXH_SMTP_SECURITY": ("starttls", "none | starttls | ssl."),
    "DLXH_SMTP_USER": ("", "Optional SMTP login."),
    "DLXH_SMTP_PASSWORD": ("", "Password for DLXH_SMTP_USER."),
    "DLXH_SMTP_FROM": ("", "Sender address (required for the email channel), e.g. `LĐLĐ tỉnh <noreply@example.vn>`."),
    "DLXH_SMTP_TIMEOUT": ("20", "Seconds before an SMTP connect/command gives up."),
    "DLXH_SMTP_CA_FILE": ("", "CA bundle (PEM) to verify a mail server whose certificate a private CA signed; default: system CAs."),
    "DLXH_WEBHOOK_URL": ("", "Global webhook for units without dim_unit.contact_webhook."),
    "DLXH_WEBHOOK_STYLE": ("auto", "auto | slack | mattermost | telegram (auto: api.telegram.org or /sendMessage is Telegram)."),
    "DLXH_TELEGRAM_CHAT_ID": ("", "chat_id for Telegram URLs without a `chat_id` query parameter."),
    "DLXH_WEBHOOK_TIMEOUT": ("10", "Seconds before a webhook POST gives up."),
}


@dataclass(frozen=True)
class SmtpConfig:
    host: str
    port: int
    security: str
    user: str | None
    password: str | None
    sender: str
    timeout: float
    ca_file: str | None = None  # CA bundle for a mail server with a private CA


@dataclass(frozen=True)
class AlertConfig:
    channels: tuple[str, ...]
    remind_days: int
    escalate_days: int
    open_days: int
    retry_base_seconds: float
    retry_max_seconds: float
    max_attempts: int
    office_name: str
    office_email: str | None
    office_webhook: str | None
    submit_to: str
    smtp: SmtpConfig | None
    webhook_url: str | None
    webhook_style: str
    telegram_chat_id: str | None
    webhook_timeout: float
    # Unit types that owe reports (config unit_types.csv), the guard on top of the mart.
    owing_unit_types: tuple[str, ...] = ()
    # The collaborator-network notices (alerts/network.py): their day of the month (None = the day after
    # the monthly deadline) and the monthly due day to fall back on when the marts have no deadline.
    network_notice_day: int | None = None
    default_due_day: int = 20


def _number(settings: Settings, name: str, cast: type[int] | type[float] = int) -> Any:
    raw = settings.get(name) or ALERT_SETTINGS[name][0]
    try:
        return cast(raw)
    except ValueError:
        kind = "a whole number" if cast is int else "a number"
        raise ConfigError(f"{name}={raw!r} is not {kind}") from None


def _opt(settings: Settings, name: str) -> str | None:
    value = (settings.get(name) or "").strip()
    return value or None


def load_alert_config(settings: Settings | None = None) -> AlertConfig:
    settings = settings or load_settings()
    channels = tuple(dict.fromkeys(c.lower() for c in settings.alert_channels)) or ("log",)
    unknown = [c for c in channels if c not in CHANNELS]
    if unknown:
        raise ConfigError(f"DLXH_ALERT_CHANNELS has unknown channel(s) {', '.join(unknown)}; use log, email, webhook")
    smtp = None
    if "email" in channels:
        host, sender = _opt(settings, "DLXH_SMTP_HOST"), _opt(settings, "DLXH_SMTP_FROM")
        if not host or not sender:
            raise ConfigError("the email channel needs DLXH_SMTP_HOST and DLXH_SMTP_FROM")
        security = (settings.get("DLXH_SMTP_SECURITY") or "starttls").lower()
        if security not in SECURITY_PORTS:
            raise ConfigError(f"DLXH_SMTP_SECURITY={security!r}: use none, starttls or ssl")
        port = _opt(settings, "DLXH_SMTP_PORT")
        smtp = SmtpConfig(
            host=host,
            port=int(port) if port else SECURITY_PORTS[security],
            security=security,
            user=_opt(settings, "DLXH_SMTP_USER"),
            password=settings.get("DLXH_SMTP_PASSWORD") or None,
            sender=sender,
            timeout=_number(settings, "DLXH_SMTP_TIMEOUT", float),
            ca_file=_opt(settings, "DLXH_SMTP_CA_FILE"),
        )
    style = (settings.get("DLXH_WEBHOOK_STYLE") or "auto").lower()
    if style not in WEBHOOK_STYLES:
        raise ConfigError(f"DLXH_WEBHOOK_STYLE={style!r}: use {', '.join(WEBHOOK_STYLES)}")
    office_name = _opt(settings, "DLXH_OFFICE_NAME") or ALERT_SETTINGS["DLXH_OFFICE_NAME"][0]
    office_email = _opt(settings, "DLXH_OFFICE_EMAIL")
    submit_to = _opt(settings, "DLXH_REPORT_SUBMIT_TO") or (f"{office_name} ({office_email})" if office_email else office_name)
    cfg = AlertConfig(
        channels=channels,
        remind_days=_number(settings, "DLXH_ALERT_REMIND_DAYS"),
        escalate_days=_number(settings, "DLXH_ALERT_ESCALATE_DAYS"),
        open_days=_number(settings, "DLXH_ALERT_OPEN_DAYS"),
        retry_base_seconds=_number(settings, "DLXH_ALERT_RETRY_BASE_SECONDS", float),
        retry_max_seconds=_number(settings, "DLXH_ALERT_RETRY_MAX_SECONDS", float),
        max_attempts=_number(settings, "DLXH_ALERT_MAX_ATTEMPTS"),
        office_name=office_name,
        office_email=office_email,
        office_webhook=_opt(settings, "DLXH_OFFICE_WEBHOOK"),
        submit_to=submit_to,
        smtp=smtp,
        webhook_url=_opt(settings, "DLXH_WEBHOOK_URL"),
        webhook_style=style,
        telegram_chat_id=_opt(settings, "DLXH_TELEGRAM_CHAT_ID"),
        webhook_timeout=_number(settings, "DLXH_WEBHOOK_TIMEOUT", float),
        owing_unit_types=owing_unit_types(settings),
        network_notice_day=_number(settings, "DLXH_NETWORK_NOTICE_DAY") if _opt(settings, "DLXH_NETWORK_NOTICE_DAY") else None,
        default_due_day=settings.default_due_day,
    )
    if cfg.network_notice_day is not None and not 1 <= cfg.network_notice_day <= 28:
        raise ConfigError(f"DLXH_NETWORK_NOTICE_DAY={cfg.network_notice_day}: use a day from 1 to 28")
    if cfg.remind_days < 0 or cfg.escalate_days < 1 or cfg.open_days < 0 or cfg.max_attempts < 1:
        raise ConfigError(
            "DLXH_ALERT_REMIND_DAYS >= 0, DLXH_ALERT_ESCALATE_DAYS >= 1, DLXH_ALERT_OPEN_DAYS >= 0, DLXH_ALERT_MAX_ATTEMPTS >= 1"
        )
    return cfg
