"""Identity of a scanned item: canonical URL, else a hash of its normalised text.

The same post reaches the warehouse through many exports and several tools, with mobile or
desktop hosts, tracking parameters and share links. Canonicalisation folds those variants:

* scheme and host lower-cased, ``http`` folded into ``https``, default ports and ``www.`` dropped;
* mobile hosts folded into the desktop one (m./mbasic./touch./web.facebook.com, fb.com,
  m.youtube.com, youtu.be/ID -> youtube.com/watch?v=ID, shorts/ID -> watch?v=ID, m.tiktok.com,
  mobile.twitter.com and x.com -> twitter.com);
* tracking parameters dropped (utm_*, fbclid, gclid, igshid, si, ref*, ...), the rest sorted;
* fragment and trailing slash dropped.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from urllib.parse import parse_qsl, quote, urlencode, urlsplit

from dlxh.core.text import fold

HOST_ALIASES = {
    "m.facebook.com": "facebook.com",
    "mbasic.facebook.com": "facebook.com",
    "touch.facebook.com": "facebook.com",
    "web.facebook.com": "facebook.com",
    "mobile.facebook.com": "facebook.com",
    "fb.com": "facebook.com",
    "m.youtube.com": "youtube.com",
    "music.youtube.com": "youtube.com",
    "m.tiktok.com": "tiktok.com",
    "vt.tiktok.com": "tiktok.com",
    "mobile.twitter.com": "twitter.com",
    "x.com": "twitter.com",
    "mobile.x.com": "twitter.com",
}
TRACKING_PARAMS = frozenset(
    {
        "fbclid",
        "gclid",
        "dclid",
        "gbraid",
        "wbraid",
        "msclkid",
        "yclid",
        "igshid",
        "igsh",
        "si",
        "mibextid",
        "ref",
        "ref_src",
        "ref_url",
        "refsrc",
        "referrer",
        "referer",
        "_rdc",
        "_rdr",
        "sfnsn",
        "mc_cid",
        "mc_eid",
        "feature",
        "share_source",
        "is_from_webapp",
        "sender_device",
        "_nc_ht",
        "_nc_cat",
        "rdid",
        "share_url",
    }
)
TRACKING_PREFIXES = ("utm_", "__cft__", "__tn__", "hc_", "ref_")
# Parameters that only position a video (same item): dropped on YouTube.
YOUTUBE_DROP = frozenset({"t", "start", "list", "index", "pp", "ab_channel"})

_SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.\-]*://")
_OTHER_SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.\-]*:(?!//)(?!\d)")
_SPACE = re.compile(r"\s")
_HOSTLIKE = re.compile(r"^(?:[a-z0-9\-]+\.)+[a-z]{2,}$")


# Fast path for the common shape (ASCII, no credentials/port/percent-escapes, plain query
# values): identical result to `_canonical_url_general`, without urlsplit/parse_qsl/urlencode.
_SIMPLE = re.compile(r"^(?:[hH][tT][tT][pP][sS]?://)?([A-Za-z0-9.\-]+)(/[A-Za-z0-9/_.\-~]*)?(?:\?([A-Za-z0-9_.\-~=&]*))?(?:#\S*)?$")
_CACHE_LIMIT = 65536
_cache: dict[str, str | None] = {}


def canonical_url(url: str | None) -> str | None:
    """The canonical form of an http(s) URL, or None when `url` is empty.

    Raises ValueError when the text is not a web address at all. Results are cached per raw
    URL (the same link recurs across exports and captures).
    """
    if url is None:
        return None
    hit = _cache.get(url)
    if hit is not None:
        return hit
    m = _SIMPLE.match(url)
    result = _canonical_simple(*m.groups()) if m is not None else None
    if result is None:
        result = _canonical_url_general(url)
    if result is not None:
        if len(_cache) >= _CACHE_LIMIT:
            _cache.clear()
        _cache[url] = result
    return result


def _canonical_simple(host: str, path: str | None, query: str | None) -> str | None:
    """Canonical form of an already split simple URL; None hands over to the general path."""
    host = host.lower().rstrip(".")
    if host.startswith("www."):
        host = host[4:]
    if not _HOSTLIKE.match(host):
        return None  # let the general path word the error
    host = HOST_ALIASES.get(host, host)
    path = path or ""
    pairs = []
    if query:
        for pair in query.split("&"):
            if pair:
                k, _, v = pair.partition("=")
                if "=" in v:
                    return None  # urlencode would escape it
                if not _is_tracking(k):
                    pairs.append((k, v))
    if host == "youtu.be" or host == "youtube.com":
        return None
    path = path.rstrip("/")
    if not pairs:
        return f"https://{host}{path}"
    pairs.sort()
    return f"https://{host}{path}?" + "&".join(f"{k}={v}" for k, v in pairs)


def _canonical_url_general(url: str) -> str | None:
    """Reference canonicalisation (any URL shape)."""
    if url is None:
        return None
    text = url.strip()
    if not text:
        return None
    if _SPACE.search(text):
        raise ValueError("có khoảng trắng trong đường dẫn")
    if _OTHER_SCHEME.match(text):
        raise ValueError(f"giao thức «{text.split(':')[0]}» không phải http/https")
    if text.startswith("//"):
        text = "https:" + text
    elif not _SCHEME.match(text):
        text = "https://" + text
    parts = urlsplit(text)
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise ValueError(f"giao thức «{parts.scheme}» không phải http/https")
    if parts.username is not None:
        raise ValueError("đường dẫn có tên người dùng/mật khẩu")
    host = (parts.hostname or "").rstrip(".")
    try:
        host = host.encode("idna").decode("ascii").lower() if not host.isascii() else host.lower()
    except UnicodeError as exc:
        raise ValueError(f"tên miền «{host}» không hợp lệ") from exc
    if host.startswith("www."):
        host = host[4:]
    if not _HOSTLIKE.match(host):
        raise ValueError(f"tên miền «{host or text}» không hợp lệ")
    host = HOST_ALIASES.get(host, host)
    path = parts.path or ""
    path = quote(unicodedata.normalize("NFC", path), safe="/%:@!$&'()*+,;=-._~")
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not _is_tracking(k)]
    if host == "youtu.be" and path.strip("/"):
        query = [("v", path.strip("/").split("/")[0])] + [(k, v) for k, v in query if k != "v"]
        host, path = "youtube.com", "/watch"
    if host == "youtube.com":
        if path.startswith("/shorts/") and path[8:].strip("/"):
            query = [("v", path[8:].strip("/").split("/")[0])] + [(k, v) for k, v in query if k != "v"]
            path = "/watch"
        query = [(k, v) for k, v in query if k not in YOUTUBE_DROP]
    path = path.rstrip("/")
    query.sort()
    q = urlencode(query, doseq=True)
    return f"https://{host}{path}" + (f"?{q}" if q else "")


def _is_tracking(key: str) -> bool:
    k = key.lower()
    return k in TRACKING_PARAMS or k.startswith(TRACKING_PREFIXES)


def url_host(canonical: str) -> str:
    """Host of a canonical URL ("https://host/path?query", as `canonical_url` builds it)."""
    rest = canonical[8:] if canonical.startswith("https://") else canonical
    end = len(rest)
    for sep in ("/", "?"):
        i = rest.find(sep)
        if 0 <= i < end:
            end = i
    return rest[:end]


def normalised_text(text: str | None) -> str:
    """The text key hashed for items without a URL: NFC, accent-folded, whitespace collapsed."""
    return fold(unicodedata.normalize("NFC", text)) if text else ""


def digest(value: str) -> str:
    return hashlib.blake2b(value.encode("utf-8"), digest_size=16).hexdigest()


def item_key(canonical: str | None, text_hash: str) -> str:
    """Stable key of one item: 'u' + hash of the canonical URL, else 't' + the text hash."""
    return "u" + digest(canonical) if canonical else "t" + text_hash
