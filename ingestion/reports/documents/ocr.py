"""OCR of page images with the Tesseract CLI (Vietnamese data `vie`), via subprocess.

Settings: DLXH_TESSERACT (binary, default `tesseract` on PATH), DLXH_OCR_LANG (default `vie`),
DLXH_OCR_TIMEOUT (seconds per page, default 120).
"""

from __future__ import annotations

import io
import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

from ingestion.reports.documents.errors import DocumentError

INSTALL_HINT = "apt-get install tesseract-ocr tesseract-ocr-vie"


def _binary() -> str:
    return os.environ.get("DLXH_TESSERACT", "tesseract")


def _env() -> dict[str, str]:
    """Tesseract's environment: one OpenMP thread unless the operator set OMP_THREAD_LIMIT.

    Tesseract built with OpenMP spreads each page over threads that spin while they wait; on this
    2-core machine one page took 5.1 s with the default and 1.0 s with one thread. Files are read
    in parallel by the read-ahead (DLXH_OCR_WORKERS) instead.
    """
    return {**os.environ, "OMP_THREAD_LIMIT": os.environ.get("OMP_THREAD_LIMIT", "1")}


def _lang() -> str:
    return os.environ.get("DLXH_OCR_LANG", "vie")


def check_available() -> str:
    """The tesseract path; raises DocumentError (quarantine) when the binary or the language data is missing."""
    exe = shutil.which(_binary())
    if exe is None:
        raise DocumentError(
            "ocr_unavailable",
            f"Không có chương trình nhận dạng chữ Tesseract trên máy chủ nên chưa đọc được bản scan/ảnh chụp. "
            f"Quản trị viên cần cài: {INSTALL_HINT}, rồi nạp lại tệp.",
        )
    langs = _list_langs(exe)
    missing = [lang for lang in _lang().split("+") if lang not in langs]
    if missing:
        raise DocumentError(
            "ocr_unavailable",
            f"Tesseract chưa có dữ liệu tiếng Việt ({', '.join(missing)}) nên chưa đọc được bản scan/ảnh chụp. "
            f"Quản trị viên cần cài: {INSTALL_HINT}, rồi nạp lại tệp.",
        )
    return exe


_LANG_CACHE: dict[str, set[str]] = {}


def _list_langs(exe: str) -> set[str]:
    if exe not in _LANG_CACHE:
        proc = subprocess.run([exe, "--list-langs"], capture_output=True, text=True, timeout=30)
        lines = (proc.stdout + proc.stderr).splitlines()
        _LANG_CACHE[exe] = {ln.strip() for ln in lines if ln.strip() and " " not in ln.strip()}
    return _LANG_CACHE[exe]


_ROTATE = re.compile(r"Rotate:\s*(\d+)")
_ORIENT_CONF = re.compile(r"Orientation confidence:\s*([\d.]+)")


def upright(image, exe: str):
    """Turn a page the right way up: phone photos carry an EXIF orientation, and scans fed
    sideways are detected with Tesseract's orientation detection (OSD, `--psm 0`)."""
    from PIL import ImageOps

    img = ImageOps.exif_transpose(image)
    if "osd" not in _list_langs(exe):
        return img
    with tempfile.TemporaryDirectory(prefix="dlxh-osd-") as tmp:
        src = Path(tmp) / "page.png"
        img.convert("L").save(src, format="PNG")
        try:
            proc = subprocess.run([exe, str(src), "stdout", "--psm", "0"], capture_output=True, text=True, timeout=60, env=_env())
        except subprocess.TimeoutExpired:
            return img
    rotate, conf = _ROTATE.search(proc.stdout), _ORIENT_CONF.search(proc.stdout)
    # Too little text gives no or a low-confidence answer: then leave the page as it is.
    if proc.returncode != 0 or not rotate or not conf or float(conf[1]) < 1.0 or int(rotate[1]) == 0:
        return img
    return img.rotate(-int(rotate[1]), expand=True)  # "Rotate: 90" = turn 90° clockwise


def ocr_image(image) -> str:
    """Text of one PIL image (any mode): turned upright, grey-scaled, upscaled when small, given to tesseract as PNG.

    When orientation detection was unsure and hardly any text comes out, the other three
    orientations are tried and the one that reads best is kept.
    """
    exe = check_available()
    img = upright(image, exe).convert("L")
    if img.width < 1500:
        factor = 1500 / img.width
        img = img.resize((1500, int(img.height * factor)))
    text = _tesseract(exe, img)
    if _letters(text) >= 200:
        return text
    for turn in (90, 270, 180):
        candidate = _tesseract(exe, img.rotate(turn, expand=True))
        if _letters(candidate) > _letters(text):
            text = candidate
    return text


def _letters(text: str) -> int:
    return sum(ch.isalpha() for ch in text)


def _tesseract(exe: str, img) -> str:
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    with tempfile.TemporaryDirectory(prefix="dlxh-ocr-") as tmp:
        src = Path(tmp) / "page.png"
        src.write_bytes(buf.getvalue())
        try:
            proc = subprocess.run(
                [exe, str(src), "stdout", "-l", _lang(), "--psm", "4"],
                capture_output=True,
                timeout=float(os.environ.get("DLXH_OCR_TIMEOUT", "120")),
                env=_env(),
            )
        except subprocess.TimeoutExpired as exc:
            raise DocumentError("ocr_timeout", "Nhận dạng chữ quá lâu (ảnh quá lớn hoặc quá mờ); hãy scan lại ở 300 dpi.") from exc
    if proc.returncode != 0:
        raise DocumentError("ocr_failed", f"Tesseract báo lỗi khi đọc ảnh: {proc.stderr.decode('utf-8', 'replace').strip()[:300]}")
    return proc.stdout.decode("utf-8", "replace")


def ocr_images(images) -> str:
    return "\n\n".join(ocr_image(img) for img in images)
