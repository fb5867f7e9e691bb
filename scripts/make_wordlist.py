"""Writes ocrkit/data/words/<language>.txt: each language's most frequent word forms, which
the text-layer gate uses to tell real language from look-alike garbage in any language it
has a list for, and to name the language a page is written in.

    pip install wordfreq==3.1.1 && python scripts/make_wordlist.py

The lists come from wordfreq (Robyn Speer et al., data CC BY-SA 4.0), so the files are
CC BY-SA 4.0 too. wordfreq itself is a 57 MB wheel: it is needed only to remake the lists.
"""

from __future__ import annotations

from pathlib import Path

from wordfreq import top_n_list

OUT = Path(__file__).resolve().parent.parent / "ocrkit" / "data" / "words"
# Russian gets more: the gate judges Russian pages most; words of a letter or more.
SIZES = {"ru": 6000, "en": 3000}
OTHERS = [
    "uk",
    "bg",
    "mk",
    "it",
    "es",
    "fr",
    "de",
    "pt",
    "nl",
    "pl",
    "cs",
    "sk",
    "sl",
    "hr",
    "sv",
    "da",
    "nb",
    "fi",
    "hu",
    "ro",
    "tr",
    "id",
    "vi",
    "ca",
    "lt",
    "lv",
    "el",
    "ar",
    "fa",
    "ur",
    "he",
    "ko",
]


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    for lang in [*SIZES, *OTHERS]:
        n = SIZES.get(lang, 3000)
        words = sorted({w.replace("ё", "е") for w in top_n_list(lang, n) if w.isalpha()})
        header = f"# wordfreq 3.1.1 top_n_list({lang!r}, {n}) (CC BY-SA 4.0); "
        header += "scripts/make_wordlist.py\n"
        (OUT / f"{lang}.txt").write_text(header + "\n".join(words) + "\n", encoding="utf-8")
        print(f"{lang}: {len(words)} words")


if __name__ == "__main__":
    main()
