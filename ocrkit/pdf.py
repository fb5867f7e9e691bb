"""PDF pages through poppler: page sizes, one page rendered at an exact pixel size, and the
text layer. Each call renders a single page, so memory never depends on document length."""

from __future__ import annotations

import math
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

from pdf2image import convert_from_path
from PIL import Image

from ocrkit.inputs import InputError

_PAGE_SIZE = re.compile(r"^Page\s+(\d+)\s+size:\s+([\d.]+)\s+x\s+([\d.]+)", re.M)
_PAGE_ROT = re.compile(r"^Page\s+(\d+)\s+rot:\s+(\d+)", re.M)
POPPLER_TIMEOUT_S = 120


class PdfError(InputError):
    """The file cannot be read as a PDF (corrupt, encrypted, empty, not a PDF)."""


@dataclass(frozen=True)
class PdfPage:
    number: int  # 1-based
    width_pt: float  # as displayed, rotation applied
    height_pt: float


def inspect(path: Path) -> list[PdfPage]:
    """Every page's displayed size; raises PdfError with the reason poppler gives."""
    with path.open("rb") as f:
        head = f.read(1024)
    if b"%PDF-" not in head:
        raise PdfError(f"{path}: not a PDF (no %PDF header)")
    try:
        proc = subprocess.run(
            ["pdfinfo", "-f", "1", "-l", "2147483647", str(path)],
            capture_output=True,
            text=True,
            timeout=POPPLER_TIMEOUT_S,
        )
    except FileNotFoundError:
        raise PdfError(
            "poppler's pdfinfo is not installed (Debian: apt-get install poppler-utils)"
        ) from None
    except subprocess.TimeoutExpired:
        raise PdfError(f"{path}: pdfinfo took over {POPPLER_TIMEOUT_S} s") from None
    err = proc.stderr
    if "Incorrect password" in err:
        raise PdfError(
            f"{path}: the PDF is encrypted with a password; decrypt it first (e.g. qpdf --decrypt)"
        )
    if "Invalid page count 0" in err or re.search(r"^Pages:\s+0\s*$", proc.stdout, re.M):
        raise PdfError(f"{path}: the PDF has no pages")
    if proc.returncode != 0:
        reason = next((line for line in err.splitlines() if "Error" in line), err.strip()[:200])
        raise PdfError(f"{path}: corrupt or truncated PDF ({reason})")
    rotation = {int(n): int(r) for n, r in _PAGE_ROT.findall(proc.stdout)}
    pages = []
    for n, w, h in _PAGE_SIZE.findall(proc.stdout):
        number, width, height = int(n), float(w), float(h)
        if rotation.get(number, 0) % 180 == 90:
            width, height = height, width
        pages.append(PdfPage(number, width, height))
    if not pages:
        raise PdfError(f"{path}: the PDF has no pages")
    return pages


def pixel_size(page: PdfPage, *, max_pixels: int | None, dpi: int | None) -> tuple[int, int]:
    """The render size: `dpi` if given, shrunk to fit `max_pixels` if that is smaller."""
    scale = (dpi or 200) / 72
    if max_pixels:
        scale = min(scale, math.sqrt(max_pixels / (page.width_pt * page.height_pt)))
    return max(1, math.floor(page.width_pt * scale)), max(1, math.floor(page.height_pt * scale))


def render(
    path: Path, page: PdfPage, size: tuple[int, int], *, grayscale: bool = False
) -> Image.Image:
    """One page straight at `size` pixels (poppler scales the vector page, nothing is
    rendered large and shrunk)."""
    images = convert_from_path(
        path,
        first_page=page.number,
        last_page=page.number,
        size=size,
        grayscale=grayscale,
        timeout=POPPLER_TIMEOUT_S,
    )
    if not images:
        raise PdfError(f"{path}: page {page.number} could not be rendered")
    return images[0]


def text_layer(path: Path, number: int) -> str:
    """The page's embedded text ('' when it has none, as a scan has none)."""
    try:
        proc = subprocess.run(
            [
                "pdftotext",
                "-f",
                str(number),
                "-l",
                str(number),
                "-layout",
                "-enc",
                "UTF-8",
                str(path),
                "-",
            ],
            capture_output=True,
            timeout=POPPLER_TIMEOUT_S,
        )
    except (OSError, subprocess.TimeoutExpired):
        return ""
    return proc.stdout.decode("utf-8", "replace").strip() if proc.returncode == 0 else ""
