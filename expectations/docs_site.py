"""GX Data Docs that render offline, read in Vietnamese time, and call business results findings.

GX 1.x writes pages that load Bootstrap, jQuery, bootstrap-table, Font Awesome and Vega from CDNs
and the GX logo from S3 (with tracking parameters). :func:`localize` post-processes the generated
site after every validation run:

* the CDN links point at vendored copies in ``static/vendor/`` (``expectations/static/vendor``,
  copied into the site; versions and licences in its LICENSES.txt); Vega (charts of profiling
  pages, which this project does not build) is left out; the logo is GX's own local copy;
* UTC times ("2026-12-01T22:14:29Z", "2026-12-01 22:14:36 UTC") read in Asia/Ho_Chi_Minh;
* in the business suites (completeness and timeliness of unit reports: a late or missing unit is
  a finding, not a data error) "Failed" reads "Phát hiện (findings)" with a warning icon.

Idempotent: a page already rewritten is left as it is.
"""

from __future__ import annotations

import os
import re
import shutil
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from dlxh.core.settings import Settings
from expectations.definitions import FINDING_SUITES

VENDOR_DIR = Path(__file__).resolve().parent / "static" / "vendor"
LOCAL = ZoneInfo("Asia/Ho_Chi_Minh")

# CDN address in GX's templates -> file under static/vendor/.
CDN_ASSETS = {
    "https://code.jquery.com/jquery-3.7.1.min.js": "jquery-3.7.1.min.js",
    "https://cdnjs.cloudflare.com/ajax/libs/popper.js/1.12.9/umd/popper.min.js": "popper-1.12.9.min.js",
    "https://stackpath.bootstrapcdn.com/bootstrap/4.3.1/js/bootstrap.min.js": "bootstrap-4.3.1.min.js",
    "https://maxcdn.bootstrapcdn.com/bootstrap/4.3.1/css/bootstrap.min.css": "bootstrap-4.3.1.min.css",
    "https://unpkg.com/bootstrap-table@1.19.1/dist/bootstrap-table.min.css": "bootstrap-table-1.19.1.min.css",
    "https://unpkg.com/bootstrap-table@1.19.1/dist/bootstrap-table.min.js": "bootstrap-table-1.19.1.min.js",
    "https://unpkg.com/bootstrap-table@1.19.0/dist/extensions/filter-control/bootstrap-table-filter-control.css": "bootstrap-table-filter-control-1.19.1.min.css",
    "https://unpkg.com/bootstrap-table@1.19.0/dist/extensions/filter-control/bootstrap-table-filter-control.min.css": "bootstrap-table-filter-control-1.19.1.min.css",
    "https://unpkg.com/bootstrap-table@1.19.1/dist/extensions/filter-control/bootstrap-table-filter-control.min.js": "bootstrap-table-filter-control-1.19.1.min.js",
    "https://cdnjs.cloudflare.com/ajax/libs/bootstrap-datepicker/1.9.0/css/bootstrap-datepicker.min.css": "bootstrap-datepicker-1.9.0.min.css",
    "https://cdnjs.cloudflare.com/ajax/libs/bootstrap-datepicker/1.9.0/js/bootstrap-datepicker.min.js": "bootstrap-datepicker-1.9.0.min.js",
    "https://cdn.jsdelivr.net/npm/@forevolve/bootstrap-dark@1.1.0/dist/css/bootstrap-prefers-dark.css": "bootstrap-prefers-dark-1.1.0.css",
    "https://cdnjs.cloudflare.com/ajax/libs/font-awesome/6.6.0/css/all.min.css": "fontawesome-6.6.0/css/all.min.css",
}
GX_IMAGES = "https://great-expectations-web-assets.s3.us-east-2.amazonaws.com/"
BANNER_MARK = "dlxh-findings-note"
BANNER = (
    f'<div id="{BANNER_MARK}" class="alert alert-warning m-2" role="note">'
    "<strong>Phát hiện (findings)</strong>: đơn vị nộp báo cáo trễ hạn, chưa nộp hoặc báo cáo thiếu nội dung; "
    "mạng lưới cộng tác viên chưa đủ chỉ tiêu, chưa phủ hết địa bàn, lĩnh vực hoặc thiếu thông tin liên hệ. "
    "Đây là kết quả nghiệp vụ cần đôn đốc, không phải lỗi dữ liệu. Thời gian theo giờ Việt Nam (UTC+7)."
    "</div>"
)

_UTC_TIME = re.compile(r"(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}:\d{2})(?:\.\d+)?(?:Z| UTC|\+00:00)")
_REMOTE_TAG = re.compile(r'<script[^>]*\bsrc="https?://[^"]*"[^>]*>\s*</script>|<link[^>]*\bhref="https?://[^"]*"[^>]*/?>')
_SRI = re.compile(r'\s(?:integrity="[^"]*"|crossorigin="[^"]*")')


def to_local(match: re.Match[str]) -> str:
    instant = datetime.fromisoformat(f"{match.group(1)}T{match.group(2)}+00:00").astimezone(LOCAL)
    return f"{instant:%Y-%m-%d %H:%M:%S} (UTC+7)"


def rewrite_page(html: str, static_prefix: str, business: bool) -> str:
    """One page: local assets, local times, findings wording (business pages)."""
    for url, name in CDN_ASSETS.items():
        html = html.replace(f'"{url}"', f'"{static_prefix}/vendor/{name}"')
    html = _SRI.sub("", html)
    html = _REMOTE_TAG.sub("", html)
    # The logo (with tracking query parameters) and the dark logo of the CSS: GX's local copies.
    html = re.sub(re.escape(GX_IMAGES) + r'[^"\')]*', f"{static_prefix}/images/logo-long.png", html)
    html = _UTC_TIME.sub(to_local, html)
    # GX's newsletter footer (a tracking link to greatexpectations.io).
    html = re.sub(r"<footer>\s*<p>Stay current on everything GX.*?</footer>", "", html, flags=re.S)
    if business:
        html = html.replace(
            '<i class="fas fa-times text-danger" aria-hidden="true"></i> Failed',
            '<i class="fas fa-exclamation-circle text-warning" aria-hidden="true"></i> Phát hiện (findings)',
        )
        html = html.replace("Unsuccessful Expectations", "Phát hiện (findings)")
        html = html.replace("> Failed Only", "> Chỉ phát hiện (findings only)")
        if BANNER_MARK not in html:
            html = re.sub(r"(<body[^>]*>)", r"\1" + BANNER, html, count=1)
    return html


def rewrite_index(html: str, static_prefix: str) -> str:
    """The index: its table rows are data in a script; business rows say Phát hiện."""
    html = rewrite_page(html, static_prefix, business=False)
    suites = "|".join(re.escape(s) for s in FINDING_SUITES)
    # One row: from its first key to its status text, never across the next row.
    row = re.compile(r"\{'validation_success':(?:(?!\{'validation_success':).)*?'_validation_success_text': 'Failed'", re.S)

    def finding(match: re.Match[str]) -> str:
        text = match.group(0)
        if not re.search(rf"'_expectation_suite_name_sort': '(?:{suites})'", text):
            return text
        text = text.replace("fas fa-times text-danger ge-failed-icon", "fas fa-exclamation-circle text-warning ge-failed-icon")
        return text.replace("'_validation_success_text': 'Failed'", "'_validation_success_text': 'Phát hiện'")

    return row.sub(finding, html)


def localize(site: Path) -> int:
    """Rewrite every page of the Data Docs site in `site`; returns how many pages changed."""
    if not site.is_dir():
        return 0
    shutil.copytree(VENDOR_DIR, site / "static" / "vendor", dirs_exist_ok=True)
    changed = 0
    for page in site.rglob("*.html"):
        prefix = os.path.relpath(site / "static", page.parent).replace(os.sep, "/")
        html = page.read_text(encoding="utf-8")
        if page == site / "index.html":
            new = rewrite_index(html, prefix)
        else:
            parts = page.relative_to(site).parts
            business = len(parts) > 2 and parts[0] == "validations" and parts[1] in FINDING_SUITES
            new = rewrite_page(html, prefix, business)
        if new != html:
            page.write_text(new, encoding="utf-8")
            changed += 1
    return changed


DEFAULT_DOCS_PORT = 8090
GX_PREFIX = "gx"  # where `dlxh docs serve` serves the Data Docs; dbt docs under "dbt"


def docs_link(settings: Settings) -> str:
    """What quality.validation_runs.data_docs_path holds: the Data Docs index under DLXH_DOCS_URL
    (the address BI users reach `dlxh docs serve` at), else its path relative to that server's root."""
    base = (settings.get("DLXH_DOCS_URL") or "").strip()
    path = f"{GX_PREFIX}/index.html"
    return f"{base.rstrip('/')}/{path}" if base else path
