"""The searchable PDF as a viewer's copy and search read it, beside OCRmyPDF's, in one run:
`pdftotext` of each layer on the sample's scanned pages, against the pages' own text (the
born-digital pages they are scans of), as a character error rate per page.

    .venv/bin/python -m bench.searchable [--pages 3]

Needs Tesseract, poppler and Debian's ocrmypdf (scripts/setup-dev.sh). Writes
bench/results/searchable.json."""

from __future__ import annotations

import argparse
import subprocess
import tempfile
from pathlib import Path

from rapidfuzz.distance import Levenshtein

from bench.common import write_result
from harness.cli import OCRKIT
from samples.make_sample import build, scanned


def pdftotext(path: Path) -> list[str]:
    out = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True)
    return out.stdout.split("\f")


def cer(got: str, want: str) -> float:
    got, want = " ".join(got.split()), " ".join(want.split())
    return Levenshtein.distance(got, want) / max(len(want), 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        scan, layout = work / "scan.pdf", work / "layout.pdf"
        scan.write_bytes(scanned(args.pages))
        layout.write_bytes(bytes(build(args.pages).output()))
        ours, theirs = work / "ocrkit.pdf", work / "ocrmypdf.pdf"
        env = {"PATH": "/usr/bin:/bin", "OCRKIT_CACHE_DIR": str(work / "cache")}
        subprocess.run(
            [str(OCRKIT), str(scan), "--engine", "tesseract", "--format", "pdf", "-o", str(ours)],
            check=True,
            capture_output=True,
            env=env,
        )
        subprocess.run(
            ["ocrmypdf", "-q", "-l", "rus+eng", "--output-type", "pdf", str(scan), str(theirs)],
            check=True,
        )
        want = pdftotext(layout)[: args.pages]
        result = {
            name: [round(cer(g, w), 3) for g, w in zip(pdftotext(path), want, strict=False)]
            for name, path in (("ocrkit", ours), ("ocrmypdf", theirs))
        }
    for name, cers in result.items():
        print(f"{name:9} pdftotext CER per page {cers}, mean {sum(cers) / len(cers):.3f}")
    write_result("searchable", result)


if __name__ == "__main__":
    main()
