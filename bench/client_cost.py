"""Client cost per page: render + encode + request build, against the floor, side by side.

    .venv/bin/python -m bench.client_cost [--pages 100]

On a generated Russian PDF (samples/make_sample.py), at the qwen2-vl-2b pixel budget:
- ocrkit: `SourceDocument.render` (PDFium, JPEG q90) + data URI + `build_chat_request`;
- floor: pypdfium2 render + Pillow JPEG q90 of the same pages at the same size, nothing else;
- poppler per page: pdf2image (a pdftoppm process per page) at the same size + JPEG q90;
- the old way: pdf2image at its default 200 dpi, full-size PNG, base64 (first 20 pages).
Target: ocrkit <= 1.5x the floor. Also compares encodings (time, bytes, and Tesseract's
character error rate on the sample's text) to justify JPEG q90. Writes
bench/results/client_cost.json.
"""

from __future__ import annotations

import argparse
import base64
import io
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

import pypdfium2 as pdfium
from pdf2image import convert_from_path
from PIL import Image
from rapidfuzz.distance import Levenshtein

from bench.common import write_result
from ocrkit import load_profile
from ocrkit.model.request import build_chat_request
from ocrkit.pdf.inputs import Input
from ocrkit.pdf.sources import RenderTarget, SourceDocument, check_source
from samples.make_sample import build

PROFILE = load_profile("qwen2-vl-2b")
BUDGET = PROFILE.client.max_pixels


def per_page_ms(fn, pages: list[int], rounds: int = 3) -> float:  # type: ignore[no-untyped-def]
    """Median over rounds of the mean time per page."""
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        for n in pages:
            fn(n)
        times.append((time.perf_counter() - started) / len(pages) * 1000)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pages", type=int, default=100)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-client-"))
    path = work / "doc.pdf"
    path.write_bytes(bytes(build(args.pages).output()))
    pages = list(range(1, args.pages + 1))

    doc = SourceDocument(check_source(Input(path, "pdf")))
    target = RenderTarget(max_pixels=BUDGET, dpi=200)
    probe = doc.render(1, target)
    size = (probe.width, probe.height)

    def ocrkit_page(n: int) -> None:
        page = doc.render(n, target)
        build_chat_request(PROFILE, page.data_uri(), model="m")

    floor_pdf = pdfium.PdfDocument(str(path))

    def floor_page(n: int) -> None:
        page = floor_pdf[n - 1]
        w, h = page.get_size()
        img = page.render(scale=(BUDGET / (w * h)) ** 0.5).to_pil()
        img.save(io.BytesIO(), "JPEG", quality=90)
        page.close()

    def poppler_page(n: int) -> None:
        (img,) = convert_from_path(path, first_page=n, last_page=n, size=size)
        img.save(io.BytesIO(), "JPEG", quality=90)

    def old_page(n: int) -> None:
        (img,) = convert_from_path(path, first_page=n, last_page=n)  # 200 dpi
        buf = io.BytesIO()
        img.save(buf, "PNG")
        base64.b64encode(buf.getvalue())

    # Interleaved so that machine noise hits both alike.
    ocrkit_ms, floor_ms = [], []
    for _ in range(3):
        ocrkit_ms.append(per_page_ms(ocrkit_page, pages, rounds=1))
        floor_ms.append(per_page_ms(floor_page, pages, rounds=1))
    old = pages[:20]
    result = {
        "pages": args.pages,
        "render_size": list(size),
        "ocrkit_ms_per_page": statistics.median(ocrkit_ms),
        "floor_ms_per_page": statistics.median(floor_ms),
        "poppler_per_page_ms": per_page_ms(poppler_page, old, rounds=1),
        "old_way_ms_per_page": per_page_ms(old_page, old, rounds=1),
        "encodings": encodings(path),
    }
    result["ratio_to_floor"] = result["ocrkit_ms_per_page"] / result["floor_ms_per_page"]
    print(f"page size {size[0]}x{size[1]} ({args.pages} pages)")
    print(f"ocrkit            {result['ocrkit_ms_per_page']:7.1f} ms/page")
    print(f"floor (pdfium)    {result['floor_ms_per_page']:7.1f} ms/page")
    print(f"ratio             {result['ratio_to_floor']:7.2f}  (target <= 1.5)")
    print(f"poppler per page  {result['poppler_per_page_ms']:7.1f} ms/page (pdf2image, same size)")
    print(f"old way           {result['old_way_ms_per_page']:7.1f} ms/page (200 dpi, full PNG)")
    for name, e in result["encodings"].items():
        print(
            f"  {name:8s} encode {e['encode_ms']:6.1f} ms  {e['kbytes']:7.1f} KB  "
            f"Tesseract CER {e['cer']:.4f}"
        )
    write_result("client_cost", result)


def encodings(path: Path) -> dict[str, dict[str, float]]:
    """Each encoding of page 1 at 200 dpi: encode time, size, and what Tesseract reads."""
    page = pdfium.PdfDocument(str(path))[0]
    img = page.render(scale=200 / 72).to_pil().convert("RGB")
    reference = (
        " ".join(
            (Path(__file__).parent.parent / "samples" / "prospectus_ru.txt")
            .read_text(encoding="utf-8")
            .split("3. Досрочное погашение")[0]
            .split()
        )
        + " Страница 1"
    )
    options = {
        "png-1": ("PNG", {"compress_level": 1}),
        "png-6": ("PNG", {"compress_level": 6}),
        "jpeg-75": ("JPEG", {"quality": 75}),
        "jpeg-90": ("JPEG", {"quality": 90}),
        "jpeg-95": ("JPEG", {"quality": 95}),
    }
    out = {}
    for name, (fmt, kw) in options.items():
        started = time.perf_counter()
        for _ in range(5):
            buf = io.BytesIO()
            img.save(buf, fmt, **kw)
        encode_ms = (time.perf_counter() - started) / 5 * 1000
        png = io.BytesIO()
        Image.open(io.BytesIO(buf.getvalue())).save(png, "PNG")
        text = subprocess.run(
            ["tesseract", "stdin", "stdout", "-l", "rus+eng", "--dpi", "200"],
            input=png.getvalue(),
            capture_output=True,
            check=True,
        ).stdout
        got = " ".join(text.decode().split())
        out[name] = {
            "encode_ms": encode_ms,
            "kbytes": len(buf.getvalue()) / 1024,
            "cer": Levenshtein.distance(got, reference) / len(reference),
        }
    return out


if __name__ == "__main__":
    main()
