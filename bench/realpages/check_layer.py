#!/usr/bin/env python3
"""Check that every rule string of rules.jsonl occurs in its page's text layer.

usage: python3 check_layer.py [RULES] [PDF_DIR]

* Text layer = `pdftotext -f 1 -l 1 page.pdf -` (poppler), NFKC, olmOCR's quote/dash
  mapping, whitespace collapsed.
* present / absent / order strings must occur as a substring of that text
  (absent rules are furniture that the layer does hold; a miss is reported as a note).
* table rules: every word of the cell and of each neighbour / heading must occur.
* Pages listed in SCANS (or, for another set, in the by_eye.txt beside its rules) have no
  usable text layer and are skipped (their rules were read from zoomed renders).
* Pages listed in CP1251_LAYER have a mojibake layer (cp1251 bytes shown as Latin-1);
  their layer is decoded before the check.
Also rejects strings with `_` or `*`, and present/order strings shorter than 4 chars.
Exit status 1 if any rule fails.
"""

import json
import os
import re
import subprocess
import sys
import unicodedata
from pathlib import Path

HERE = os.path.dirname(os.path.abspath(__file__))
RULES = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "rules.jsonl")
PDFS = sys.argv[2] if len(sys.argv) > 2 else os.path.join(HERE, "pdfs")

SCANS = {"ru_sberby_opu2021_scan_p1.pdf"}
# Another set's pages whose rules were read from renders (scans, junk or broken layers):
# listed in by_eye.txt beside its rules.
_BY_EYE = Path(RULES).with_name("by_eye.txt")
if _BY_EYE.exists():
    SCANS = {x.split()[0] for x in _BY_EYE.read_text().splitlines() if x.strip()}
CP1251_LAYER = {"ru_gost_r7097_2016_p17.pdf"}
REPL = {
    "‘": "'",
    "’": "'",
    "‚": "'",
    "“": '"',
    "”": '"',
    "„": '"',
    "–": "-",
    "—": "-",
    "‑": "-",
    "‒": "-",
    "−": "-",
}


def norm(s):
    s = unicodedata.normalize("NFKC", s)
    for a, b in REPL.items():
        s = s.replace(a, b)
    return re.sub(r"\s+", " ", s).strip()


def decode_cp1251(s):
    out = []
    for ch in s:
        if ord(ch) < 256:
            try:
                out.append(bytes([ord(ch)]).decode("cp1251"))
                continue
            except UnicodeDecodeError:
                pass
        out.append(ch)
    return "".join(out)


def layer(pdf):
    t = subprocess.run(
        ["pdftotext", "-f", "1", "-l", "1", os.path.join(PDFS, pdf), "-"],
        capture_output=True,
        text=True,
    ).stdout
    if pdf in CP1251_LAYER:
        t = decode_cp1251(t)
    return norm(t)


def main():
    lines = Path(RULES).read_text(encoding="utf-8").splitlines()
    rules = [json.loads(line) for line in lines if line.strip()]
    cache, bad, notes = {}, 0, 0
    for r in rules:
        pdf = r["pdf"]
        strings = [
            r.get(k, "")
            for k in (
                "text",
                "before",
                "after",
                "cell",
                "up",
                "down",
                "left",
                "right",
                "top_heading",
                "left_heading",
            )
        ]
        for s in strings:
            if "_" in s or "*" in s:
                print(f"FAIL {r['id']}: contains _ or *: {s!r}")
                bad += 1
        if r["type"] in ("present", "absent", "order"):
            for s in strings:
                if s and len(s) < 4:
                    print(f"FAIL {r['id']}: string shorter than 4: {s!r}")
                    bad += 1
        if pdf in SCANS:
            continue
        if pdf not in cache:
            cache[pdf] = layer(pdf)
        t = cache[pdf]
        if r["type"] in ("present", "absent"):
            if norm(r["text"]) not in t:
                if r["type"] == "absent":
                    print(f"note {r['id']}: absent text not in layer: {r['text']!r}")
                    notes += 1
                else:
                    print(f"FAIL {r['id']}: not in layer: {r['text']!r}")
                    bad += 1
        elif r["type"] == "order":
            for k in ("before", "after"):
                if norm(r[k]) not in t:
                    print(f"FAIL {r['id']}: {k} not in layer: {r[k]!r}")
                    bad += 1
        elif r["type"] == "table":
            words = set(t.split(" "))
            for k in ("cell", "up", "down", "left", "right", "top_heading", "left_heading"):
                for w in norm(r.get(k, "")).split():
                    if w not in words and w not in t:
                        print(f"FAIL {r['id']}: {k} word {w!r} not in layer")
                        bad += 1
    print(f"{len(rules)} rules checked, {bad} failures, {notes} notes")
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
