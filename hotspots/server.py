"""`dlxh hotspots serve`: the small endpoint behind the acknowledgement links of hot-spot alerts.

GET shows a confirmation page (mail scanners that prefetch links change nothing); POST applies the
action. 403: the signature does not match (changed id, action, expiry or signature); 410: the link
expired or was used before; 409: the case is no longer in a status the action applies to.
Listens on DLXH_HOTSPOT_BIND (default 127.0.0.1) : DLXH_HOTSPOT_PORT (default 8765).
"""

from __future__ import annotations

import html
import logging
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from hotspots.cases import ACTION_VI, STATUS_VI, CaseError, act
from hotspots.links import LinkClaim, bind_address, load_secret, parse_link, verify

log = logging.getLogger("dlxh.hotspots")


def _page(title: str, body: str) -> bytes:
    return (
        f'<!DOCTYPE html><html lang="vi"><head><meta charset="utf-8"><title>{html.escape(title)}</title></head>'
        f'<body style="font-family: Arial, sans-serif"><h1>{html.escape(title)}</h1>{body}</body></html>'
    ).encode()


class Handler(BaseHTTPRequestHandler):
    server_version = "dlxh-hotspots"
    target = None  # PgTarget, set by make_server
    secret: bytes = b""

    def log_message(self, fmt: str, *args) -> None:  # no query strings (signatures) in logs
        log.info("%s %s", self.command, self.path.split("?", 1)[0])

    def _reply(self, status: int, title: str, body: str) -> None:
        data = _page(title, body)
        self.send_response(status)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(data)

    def _claim(self) -> LinkClaim | None:
        claim = parse_link(self.path)
        if claim is None or not verify(claim, self.secret):
            self._reply(403, "Liên kết không hợp lệ", "<p>Liên kết không đúng hoặc đã bị sửa đổi.</p>")
            return None
        if claim.expires < time.time():
            self._reply(
                410, "Liên kết đã hết hạn", "<p>Liên kết đã hết hạn; dùng lệnh <code>dlxh hotspots</code> hoặc liên hệ văn phòng.</p>"
            )
            return None
        return claim

    def do_GET(self) -> None:  # noqa: N802
        claim = self._claim()
        if claim is None:
            return
        label = ACTION_VI[claim.action]
        self._reply(
            200,
            f"Vụ việc điểm nóng #{claim.case_id}: {label}",
            f'<form method="post" action="{html.escape(self.path)}"><button type="submit">Đồng ý {html.escape(label)}</button></form>',
        )

    def do_POST(self) -> None:  # noqa: N802
        claim = self._claim()
        if claim is None:
            return
        from dlxh.core.db import connection

        try:
            with connection(self.target) as conn:
                done = act(conn, claim.case_id, claim.action, via="link", link_signature_hash=claim.signature_hash)
        except CaseError as exc:
            self._reply(exc.http_status, "Không thực hiện được", f"<p>{html.escape(str(exc))}</p>")
            return
        self._reply(
            200,
            f"Vụ việc điểm nóng #{claim.case_id}",
            f"<p>Đã {html.escape(ACTION_VI[claim.action])}: trạng thái «{html.escape(STATUS_VI[done['to']])}».</p>",
        )


def make_server(host: str | None = None, port: int | None = None, target=None) -> ThreadingHTTPServer:
    from dlxh.core.db import ensure_up

    default_host, default_port = bind_address()
    handler = type("BoundHandler", (Handler,), {"target": target or ensure_up(), "secret": load_secret()})
    return ThreadingHTTPServer((host or default_host, default_port if port is None else port), handler)


def serve(host: str | None = None, port: int | None = None) -> None:
    server = make_server(host, port)
    bound_host, bound_port = server.server_address[:2]
    print(f"dlxh hotspots: đang lắng nghe tại http://{bound_host}:{bound_port}/ (Ctrl+C để dừng)", flush=True)
    try:
        server.serve_forever()
    finally:
        server.server_close()
