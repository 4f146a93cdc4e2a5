"""Signed one-time action links: HMAC-SHA256 over case id + action + expiry.

The secret lives in $DLXH_HOME/hotspot-link-secret (mode 0600, created once with O_CREAT|O_EXCL,
so two processes starting at once agree on it). A link is used once: the endpoint records the
signature's hash in ops.hot_spot_link_uses.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

from dlxh.core.secret_files import stored_secret
from dlxh.core.settings import Settings, load_settings

SECRET_FILE = "hotspot-link-secret"
ACTIONS = ("ack", "resolve")
DEFAULT_BIND = "127.0.0.1"
DEFAULT_PORT = 8765


def secret_path(settings: Settings | None = None) -> Path:
    return (settings or load_settings()).home / SECRET_FILE


def load_secret(settings: Settings | None = None) -> bytes:
    """The signing key; created on first use (0600, never overwritten)."""
    return stored_secret(secret_path(settings), lambda: secrets.token_hex(32)).encode("ascii")


def bind_address(settings: Settings | None = None) -> tuple[str, int]:
    settings = settings or load_settings()
    host = (settings.get("DLXH_HOTSPOT_BIND") or DEFAULT_BIND).strip()
    port = int((settings.get("DLXH_HOTSPOT_PORT") or str(DEFAULT_PORT)).strip())
    return host, port


def base_url(settings: Settings | None = None) -> str:
    """Where links point: DLXH_HOTSPOT_URL (e.g. behind a reverse proxy), else the local endpoint."""
    settings = settings or load_settings()
    configured = (settings.get("DLXH_HOTSPOT_URL") or "").strip().rstrip("/")
    if configured:
        return configured
    host, port = bind_address(settings)
    return f"http://{host}:{port}"


def signature(secret: bytes, case_id: int, action: str, expires: int, cycle: int = 0) -> str:
    # The cycle is signed too: a case reopened within the hour gets a link of its own, not the
    # one already used in the cycle before (which would answer 410).
    return hmac.new(secret, f"{case_id}|{action}|{expires}|{cycle}".encode(), hashlib.sha256).hexdigest()


def make_link(case_id: int, action: str, expires_at: datetime, settings: Settings | None = None, cycle: int = 0) -> str:
    if action not in ACTIONS:
        raise ValueError(action)
    expires = int(expires_at.timestamp())
    sig = signature(load_secret(settings), case_id, action, expires, cycle)
    query = {"exp": expires, **({"cyc": cycle} if cycle else {}), "sig": sig}
    return f"{base_url(settings)}/hotspots/{case_id}/{action}?{urlencode(query)}"


@dataclass(frozen=True)
class LinkClaim:
    case_id: int
    action: str
    expires: int
    sig: str
    cycle: int = 0

    @property
    def signature_hash(self) -> str:
        return hashlib.sha256(self.sig.encode()).hexdigest()


def parse_link(path_and_query: str) -> LinkClaim | None:
    """The claim a request path makes (/hotspots/<id>/<action>?exp=..&sig=..), unverified; None if malformed."""
    parts = urlsplit(path_and_query)
    segs = [s for s in parts.path.split("/") if s]
    if len(segs) != 3 or segs[0] != "hotspots" or not segs[1].isdigit() or segs[2] not in ACTIONS:
        return None
    query = parse_qs(parts.query)
    exp, sig, cyc = query.get("exp", [""])[0], query.get("sig", [""])[0], query.get("cyc", ["0"])[0]
    if not exp.isdigit() or not sig or not cyc.isdigit():
        return None
    return LinkClaim(int(segs[1]), segs[2], int(exp), sig, int(cyc))


def verify(claim: LinkClaim, secret: bytes) -> bool:
    expected = signature(secret, claim.case_id, claim.action, claim.expires, claim.cycle)
    return hmac.compare_digest(expected.encode(), claim.sig.encode())
