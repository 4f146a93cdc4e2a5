"""Render alert texts from the Jinja templates in alerts/templates (Vietnamese, NFC)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from dlxh.core.text import nfc

TEMPLATE_DIR = Path(__file__).resolve().parent / "templates"


@dataclass(frozen=True)
class RenderedText:
    subject: str
    text: str
    html: str


@lru_cache(maxsize=1)
def _env():
    import jinja2

    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATE_DIR)),
        autoescape=jinja2.select_autoescape(enabled_extensions=("html.j2",), default_for_string=False, default=False),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def render(rule: str, context: dict[str, Any]) -> RenderedText:
    """Subject (one line), plain text and HTML of one alert; `rule` names the template set."""
    env = _env()
    subject = " ".join(env.get_template(f"{rule}.subject.j2").render(context).split())
    text = env.get_template(f"{rule}.txt.j2").render(context)
    html = env.get_template(f"{rule}.html.j2").render({**context, "subject": subject})
    return RenderedText(nfc(subject) or "", (nfc(text) or "") + "\n", (nfc(html) or "") + "\n")
