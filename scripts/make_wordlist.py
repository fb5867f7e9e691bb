"""Writes ocrkit/data/words.txt: the most frequent Russian and English word forms, which the
text-layer gate uses to tell real language from look-alike garbage.

    pip install wordfreq==3.1.1 && python scripts/make_wordlist.py

The list comes from wordfreq (Robyn Speer et al., data CC BY-SA 4.0), so words.txt is
CC BY-SA 4.0 too. wordfreq itself is a 57 MB wheel: it is needed only to remake the list.
"""

from __future__ import annotations

from pathlib import Path

from wordfreq import top_n_list

OUT = Path(__file__).resolve().parent.parent / "ocrkit" / "data" / "words.txt"
SIZES = {"ru": 6000, "en": 3000}


def main() -> None:
    words: set[str] = set()
    for lang, n in SIZES.items():
        words.update(w.replace("ё", "е") for w in top_n_list(lang, n) if w.isalpha())
    OUT.parent.mkdir(exist_ok=True)
    header = "# wordfreq 3.1.1 top_n_list: ru 6000, en 3000 (CC BY-SA 4.0); "
    header += "scripts/make_wordlist.py\n"
    OUT.write_text(header + "\n".join(sorted(words)) + "\n", encoding="utf-8")
    print(f"{OUT}: {len(words)} words")


if __name__ == "__main__":
    main()
