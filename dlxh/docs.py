"""`dlxh docs`: the dbt docs and the GX Data Docs of this instance, built and served on loopback.

Layout of the server (stdlib http.server, 127.0.0.1 only): ``/`` a small index in Vietnamese,
``/dbt/`` the dbt docs (`dbt docs generate` into ``$DLXH_HOME/dbt-target``), ``/gx/`` the Data Docs
(``$DLXH_HOME/gx/data_docs``, rewritten to render offline by expectations/docs_site.py).
"""

from __future__ import annotations

import functools
import http.server
import posixpath
from pathlib import Path
from urllib.parse import unquote, urlsplit

from dlxh.core.errors import ConfigError
from dlxh.core.settings import Settings, load_settings

INDEX = """<!doctype html>
<html lang="vi"><head><meta charset="utf-8"><title>DLXH Warehouse - tài liệu</title></head>
<body style="font-family: sans-serif; max-width: 48rem; margin: 2rem auto">
<h1>DLXH Warehouse - tài liệu dữ liệu</h1>
<ul>
<li><a href="dbt/index.html">Mô tả kho dữ liệu (dbt docs)</a>: các bảng marts, cột, quan hệ và nguồn gốc dữ liệu.</li>
<li><a href="gx/index.html">Kết quả kiểm định dữ liệu (Great Expectations Data Docs)</a>: phát hiện về báo cáo trễ hạn,
chưa nộp, thiếu nội dung và chất lượng dữ liệu khảo sát, rà quét. Thời gian theo giờ Việt Nam (UTC+7).</li>
</ul>
</body></html>
"""


def dbt_docs_dir(settings: Settings) -> Path:
    from dlxh.build import target_path

    return target_path(settings)


def build_docs(settings: Settings | None = None) -> dict[str, Path]:
    """dbt docs generate (reads the warehouse catalog) and the offline rewrite of the Data Docs."""
    from dlxh.build import docs_generate
    from dlxh.core.db import ensure_up
    from expectations.context import data_docs_dir
    from expectations.docs_site import localize

    settings = settings or load_settings()
    ensure_up(settings)
    dbt_dir = docs_generate(settings)
    gx_dir = data_docs_dir(settings)
    localize(gx_dir)
    return {"dbt": dbt_dir, "gx": gx_dir}


class _Handler(http.server.SimpleHTTPRequestHandler):
    """Serves /dbt/ and /gx/ from their folders and / from INDEX; nothing else of the disk."""

    roots: dict[str, Path] = {}

    def translate_path(self, path: str) -> str:
        parts = [p for p in posixpath.normpath(unquote(urlsplit(path).path)).split("/") if p and p not in (".", "..")]
        if not parts or parts[0] not in self.roots:
            return str(Path("/nonexistent-dlxh-docs"))
        return str(self.roots[parts[0]].joinpath(*parts[1:]))

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        if urlsplit(self.path).path in ("/", "/index.html"):
            body = INDEX.encode("utf-8")
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        super().do_GET()

    def log_message(self, format: str, *args) -> None:  # noqa: A002 - signature of the base class
        pass


def make_server(dirs: dict[str, Path], port: int) -> http.server.ThreadingHTTPServer:
    handler = type("DocsHandler", (_Handler,), {"roots": dict(dirs)})
    try:
        return http.server.ThreadingHTTPServer(("127.0.0.1", port), functools.partial(handler))
    except OSError as exc:
        raise ConfigError(f"cannot serve the docs on 127.0.0.1:{port} ({exc.strerror}); set DLXH_DOCS_PORT or --port") from None


def docs_port(settings: Settings, port: int | None) -> int:
    from dlxh.core.settings import _int_setting
    from expectations.docs_site import DEFAULT_DOCS_PORT

    if port is not None:
        return port
    configured = _int_setting(settings.raw, "DLXH_DOCS_PORT", 0, 65535)
    return DEFAULT_DOCS_PORT if configured is None else configured
