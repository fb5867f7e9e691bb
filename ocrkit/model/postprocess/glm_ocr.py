"""GLM-OCR's replies: Markdown text, LaTeX formulas (kept: Markdown renders `$$…$$`), and
tables as HTML, which become Markdown tables where they have no merged cells."""

from __future__ import annotations

import re

from ocrkit.structure.blocks import PageText
from ocrkit.structure.markup import html_tables_to_markdown

# Special tokens that may be left in a reply decoded with skip_special_tokens=false.
_SPECIAL = re.compile(
    r"<\|(?:user|assistant|system|endoftext|begin_of_image|end_of_image|image)\|>|\[gMASK\]|<sop>"
)


def postprocess(raw: str, width: int, height: int) -> PageText:
    return PageText(text=html_tables_to_markdown(_SPECIAL.sub("", raw)).strip())
