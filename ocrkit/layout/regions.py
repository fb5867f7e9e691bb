"""What a layout model finds on a page: regions, each with a role from one vocabulary.

Every detector's labels map onto the roles the rest of ocrkit uses for blocks (the same
names the text-layer and Tesseract routes give theirs), so nothing downstream knows which
model ran. A label missing here is read as text: a new model's extra classes lose their
nuance, never their words.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel

Role = Literal[
    "text",
    "title",
    "table",
    "figure",
    "caption",
    "formula",
    "header",
    "footer",
    "page_number",
    "footnote",
]
# Running headers, footers and page numbers: out of the page's text unless kept.
FURNITURE: tuple[Role, ...] = ("header", "footer", "page_number")

# Labels of the bundled PP-Layout CDLA model and of PP-DocLayout V2/V3, as their ONNX
# files name them.
ROLES: dict[str, Role] = {
    # CDLA
    "text": "text",
    "title": "title",
    "figure": "figure",
    "figure_caption": "caption",
    "table": "table",
    "table_caption": "caption",
    "header": "header",
    "footer": "footer",
    "reference": "text",
    "equation": "formula",
    # PP-DocLayout V2/V3
    "abstract": "text",
    "algorithm": "text",
    "aside_text": "text",
    "chart": "figure",
    "content": "text",
    "display_formula": "formula",
    "doc_title": "title",
    "figure_title": "caption",
    "table_title": "caption",
    "chart_title": "caption",
    "footer_image": "footer",
    "footnote": "footnote",
    "vision_footnote": "footnote",
    "formula": "formula",
    "formula_number": "formula",
    "header_image": "header",
    "image": "figure",
    "inline_formula": "formula",
    "number": "page_number",
    "paragraph_title": "title",
    "reference_content": "text",
    "seal": "figure",
    "vertical_text": "text",
}


def role_of(label: str) -> Role:
    return ROLES.get(label.lower(), "text")


class Region(BaseModel):
    """A region of a page image: its role, its box in that image's pixels (x0, y0, x1, y1,
    top left origin) and the detector's confidence."""

    role: Role
    box: tuple[float, float, float, float]
    score: float
    label: str  # the model's own class name
