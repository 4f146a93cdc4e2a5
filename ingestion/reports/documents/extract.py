"""Text of a report document, per format: DOCX, PDF (text layer or scanned), images, plain text.

Every failure a person can fix (empty, truncated, password-protected, unreadable) raises
DocumentError with a Vietnamese reason; the text returned is NFC.
"""

from __future__ import annotations

import io
import re
import unicodedata
import zipfile
from dataclasses import dataclass
from pathlib import Path

from dlxh.core.tabular import decode_bytes
from ingestion.reports.documents import ocr
from ingestion.reports.documents.errors import DocumentError

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
IMAGE_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".tif", ".tiff"})
# A PDF page with fewer letters than this in its text layer is treated as scanned.
MIN_TEXT_CHARS = 40


@dataclass
class ExtractedText:
    text: str
    source_format: str  # docx | pdf_text | pdf_scan | image_ocr | text
    ocr: bool = False  # text came from OCR (here or elsewhere): match tolerantly
    encoding: str | None = None
    pages: int = 1


def extract_text(path: Path, data: bytes) -> ExtractedText:
    if not data.strip():
        raise DocumentError("empty_file", "Tệp rỗng (0 byte): hãy gửi lại báo cáo.")
    suffix = path.suffix.lower()
    if suffix == ".docx":
        result = _docx(data)
    elif suffix == ".pdf":
        result = _pdf(data)
    elif suffix in IMAGE_SUFFIXES:
        result = _image(data)
    elif suffix == ".doc":
        raise DocumentError(
            "legacy_doc", "Tệp Word dạng .doc cũ chưa được hỗ trợ: hãy mở bằng Word và «Lưu thành» .docx hoặc PDF rồi gửi lại."
        )
    else:
        result = _plain(data)
    result.text = unicodedata.normalize("NFC", result.text).replace("\ufeff", "")
    if result.ocr and result.source_format in ("image_ocr", "pdf_scan") and len(re.findall(r"\w{3,}", result.text)) < 5:
        raise DocumentError(
            "not_a_report",
            "Ảnh/bản quét không có chữ đọc được (ảnh chụp không phải văn bản, hoặc bản quét quá mờ): tệp không được coi là báo cáo. "
            "Nếu đây là báo cáo, hãy chụp hoặc quét lại rõ hơn, hoặc dùng «dlxh reports assign».",
        )
    if not result.text.strip():
        raise DocumentError("no_text", "Không đọc được chữ nào trong tệp (tệp trống hoặc ảnh quá mờ): hãy gửi bản rõ hơn.")
    return result


def _ole_reason(data: bytes, kind: str) -> DocumentError:
    if "EncryptedPackage".encode("utf-16-le") in data:
        return DocumentError(
            "password_protected", f"Tệp {kind} được đặt mật khẩu nên không đọc được: hãy gỡ mật khẩu (File > Info > Protect) rồi gửi lại."
        )
    return DocumentError("legacy_doc", f"Tệp {kind} ở định dạng cũ (.doc/.xls) dù mang đuôi mới: hãy «Lưu thành» .docx rồi gửi lại.")


# -- DOCX ------------------------------------------------------------------------------------
def _docx(data: bytes) -> ExtractedText:
    if data[:8] == OLE_MAGIC:
        raise _ole_reason(data, "Word")
    try:
        import docx

        document = docx.Document(io.BytesIO(data))
    except (zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise DocumentError("corrupt_docx", f"Tệp Word bị hỏng hoặc tải về chưa hết ({type(exc).__name__}): hãy gửi lại tệp.") from exc
    except Exception as exc:  # python-docx/lxml raise many types for damaged archives
        raise DocumentError("corrupt_docx", f"Tệp Word bị hỏng, không mở được ({type(exc).__name__}: {exc}).") from exc
    return ExtractedText("\n".join(_docx_lines(document)), "docx")


def _docx_lines(document) -> list[str]:
    """Page header, then paragraphs and tables in body order; each table cell's paragraphs become
    lines; text in text boxes (w:txbxContent, often the issuer or the motto) comes before the
    paragraph that anchors it. Tabs inside a paragraph (a header typed with centre tab stops) are
    kept: header reading splits the columns on them."""
    lines: list[str] = []
    seen_parts: set[int] = set()
    for section in document.sections:
        for part in (section.first_page_header, section.header):
            try:
                if part.is_linked_to_previous or id(part.part) in seen_parts:
                    continue
                seen_parts.add(id(part.part))
                lines += _block_lines(part._element, part)
            except Exception:  # a header part python-docx cannot read is not worth failing the report
                continue
    lines += _block_lines(document.element.body, document)
    return lines


def _block_lines(container, parent) -> list[str]:
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    lines: list[str] = []
    for block in container.iterchildren():
        tag = block.tag.rsplit("}", 1)[-1]
        if tag == "p":
            lines += _textbox_lines(block, parent)
            lines.append(Paragraph(block, parent).text)
        elif tag == "tbl":
            table = Table(block, parent)
            # Row-wise: the two-column header table yields issuer lines, then the motto's lines.
            for row in table.rows:
                seen = set()
                for cell in row.cells:
                    if id(cell._tc) in seen:  # merged cells repeat
                        continue
                    seen.add(id(cell._tc))
                    lines += _block_lines(cell._tc, cell)
        elif tag == "sdt":
            content = block.find(f"{{{_W}}}sdtContent")
            if content is not None:
                lines += _block_lines(content, parent)
    return lines


_W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_MC_FALLBACK = "{http://schemas.openxmlformats.org/markup-compatibility/2006}Fallback"


def _textbox_lines(paragraph, parent) -> list[str]:
    """Paragraphs of the text boxes anchored in `paragraph` (the VML fallback copy is skipped)."""
    from docx.text.paragraph import Paragraph

    out: list[str] = []
    for box in paragraph.iter(f"{{{_W}}}txbxContent"):
        if any(a.tag == _MC_FALLBACK for a in box.iterancestors()):
            continue
        out += [Paragraph(p, parent).text for p in box.iter(f"{{{_W}}}p")]
    return out


# -- PDF -------------------------------------------------------------------------------------
def _pdf(data: bytes) -> ExtractedText:
    if not data.lstrip().startswith(b"%PDF"):
        raise DocumentError("corrupt_pdf", "Tệp không phải PDF hợp lệ (thiếu phần đầu %PDF): hãy xuất lại PDF rồi gửi.")
    import pypdf

    try:
        reader = pypdf.PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise DocumentError("password_protected", "Tệp PDF được đặt mật khẩu nên không đọc được: hãy gửi bản PDF không đặt mật khẩu.")
        pages = list(reader.pages)
    except DocumentError:
        raise
    except Exception as exc:
        if b"/Encrypt" in data:
            raise DocumentError(
                "password_protected", "Tệp PDF được đặt mật khẩu nên không đọc được: hãy gửi bản PDF không đặt mật khẩu."
            ) from exc
        raise DocumentError("corrupt_pdf", f"Tệp PDF bị hỏng hoặc tải về chưa hết ({type(exc).__name__}): hãy gửi lại tệp.") from exc
    if not pages:
        raise DocumentError("corrupt_pdf", "Tệp PDF không có trang nào: hãy gửi lại tệp.")
    texts = _pdf_text_layer(data, len(pages))
    if texts is not None and sum(len(t.strip()) for t in texts) >= MIN_TEXT_CHARS * len(pages) // 2:
        return ExtractedText("\n".join(texts), "pdf_text", pages=len(pages))
    images = _pdf_page_images(data, pages)
    return ExtractedText(ocr.ocr_images(images), "pdf_scan", ocr=True, pages=len(pages))


def _pdf_text_layer(data: bytes, n_pages: int) -> list[str] | None:
    import pdfplumber

    try:
        with pdfplumber.open(io.BytesIO(data), password="") as pdf:
            return [(page.extract_text(layout=False) or "") for page in pdf.pages]
    except Exception:
        return None


def _pdf_page_images(data: bytes, pages) -> list:
    """Render each page at 300 dpi (pdfium); scans are image-only pages."""
    try:
        import pypdfium2

        pdf = pypdfium2.PdfDocument(data)
        try:
            return [pdf[i].render(scale=300 / 72).to_pil() for i in range(len(pdf))]
        finally:
            pdf.close()
    except Exception as exc:
        raise DocumentError("corrupt_pdf", f"Không dựng được ảnh trang PDF để nhận dạng chữ ({type(exc).__name__}: {exc}).") from exc


# -- images ----------------------------------------------------------------------------------
def _image(data: bytes) -> ExtractedText:
    from PIL import Image, ImageSequence, UnidentifiedImageError

    try:
        img = Image.open(io.BytesIO(data))
        frames = [frame.copy() for frame in ImageSequence.Iterator(img)]  # multi-page TIFF
        for frame in frames:
            frame.load()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise DocumentError(
            "unreadable_image", f"Không mở được ảnh (tệp hỏng hoặc không phải ảnh PNG/JPEG/TIFF: {exc}): hãy chụp hoặc scan lại."
        ) from exc
    return ExtractedText(ocr.ocr_images(frames), "image_ocr", ocr=True, pages=len(frames))


# -- plain text (often OCR'd elsewhere) --------------------------------------------------------
def _plain(data: bytes) -> ExtractedText:
    try:
        text, encoding = decode_bytes(data)
    except UnicodeDecodeError as exc:
        raise DocumentError("bad_encoding", f"Không nhận ra bảng mã của tệp văn bản ({exc}): hãy lưu lại dạng UTF-8.") from exc
    return ExtractedText(text, "text", ocr=looks_ocr_damaged(text), encoding=encoding)


def looks_ocr_damaged(text: str) -> bool:
    """Plain text with few Vietnamese diacritics for its length was OCR'd (or typed) without them."""
    letters = [c for c in text if c.isalpha()]
    if len(letters) < 50:
        return True
    marked = sum(1 for c in letters if not c.isascii())
    return marked / len(letters) < 0.12
