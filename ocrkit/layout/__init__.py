"""The layout stage: regions of a page image with their roles, in reading order
(`detector`: the ONNX model on the CPU; `regions`: the role vocabulary; `order`: XY-cut
for models that give no order)."""

from typing import TYPE_CHECKING

from ocrkit._lazy import lazy_exports

if TYPE_CHECKING:
    from ocrkit.layout.detector import (
        LayoutDetector,
        LayoutMissing,
        LayoutSettings,
        check_layout,
    )
    from ocrkit.layout.order import reading_order
    from ocrkit.layout.regions import FURNITURE, Region, Role, role_of

_EXPORTS = {
    "LayoutDetector": ".detector",
    "LayoutMissing": ".detector",
    "LayoutSettings": ".detector",
    "check_layout": ".detector",
    "reading_order": ".order",
    "FURNITURE": ".regions",
    "Region": ".regions",
    "Role": ".regions",
    "role_of": ".regions",
}
__all__ = [
    "FURNITURE",
    "LayoutDetector",
    "LayoutMissing",
    "LayoutSettings",
    "Region",
    "Role",
    "check_layout",
    "reading_order",
    "role_of",
]
__getattr__ = lazy_exports(__name__, _EXPORTS)
