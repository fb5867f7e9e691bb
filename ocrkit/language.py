"""Which script and language a text is written in, and how plausible it is as language: for
the text-layer gate (is this layer real text, in whatever language?) and for OCR (which
Tesseract models read this document?).

Scripts come from Unicode's blocks. Plausibility is the share of a text's words (two
letters or more) that are among the most frequent word forms of the best-matching language
of their script (`data/words/<language>.txt`, from wordfreq: 35 languages). Real prose scores
0.3 to 0.8 in its own language; a font mapped to wrong code points, or Russian read by an
English OCR model into Latin look-alikes (`Eyxranrepc xr.r fi 6ana`), scores under 0.15 in
every language. A script with no list here (Han, Thai, ...) is not judged by its words.
"""

from __future__ import annotations

import bisect
import re
from collections import Counter
from dataclasses import dataclass
from functools import cache, lru_cache
from importlib import resources

# (first code point, last code point, script), sorted; letters elsewhere are "other".
_RANGES = sorted(
    [
        (0x0041, 0x005A, "latin"),
        (0x0061, 0x007A, "latin"),
        (0x00C0, 0x024F, "latin"),
        (0x1E00, 0x1EFF, "latin"),
        (0x0370, 0x03FF, "greek"),
        (0x1F00, 0x1FFF, "greek"),
        (0x0400, 0x052F, "cyrillic"),
        (0x1C80, 0x1C8F, "cyrillic"),
        (0x2DE0, 0x2DFF, "cyrillic"),
        (0xA640, 0xA69F, "cyrillic"),
        (0x0530, 0x058F, "armenian"),
        (0x0590, 0x05FF, "hebrew"),
        (0xFB1D, 0xFB4F, "hebrew"),
        (0x0600, 0x06FF, "arabic"),
        (0x0750, 0x077F, "arabic"),
        (0x08A0, 0x08FF, "arabic"),
        (0xFB50, 0xFDFF, "arabic"),
        (0xFE70, 0xFEFF, "arabic"),
        (0x0900, 0x097F, "devanagari"),
        (0x0E00, 0x0E7F, "thai"),
        (0x10A0, 0x10FF, "georgian"),
        (0x1100, 0x11FF, "hangul"),
        (0x3130, 0x318F, "hangul"),
        (0xAC00, 0xD7AF, "hangul"),
        (0x3040, 0x30FF, "kana"),
        (0x3400, 0x4DBF, "han"),
        (0x4E00, 0x9FFF, "han"),
        (0xF900, 0xFAFF, "han"),
    ]
)
_STARTS = [r[0] for r in _RANGES]
# Alphabets with look-alike letters (Latin O, Cyrillic О, Greek Ο): a word mixing them is
# garbage. Other mixes are not (an Arabic word run into a Latin one by visual order).
LOOK_ALIKES = frozenset({"latin", "cyrillic", "greek"})
WORD = re.compile(r"[^\W\d_]+")
MIN_WORD = 2  # single letters say nothing of a language, and are what junk OCR is made of


@cache  # a page's text is thousands of letters from a few dozen characters
def script_of(char: str) -> str:
    code = ord(char)
    i = bisect.bisect_right(_STARTS, code) - 1
    if i >= 0 and code <= _RANGES[i][1]:
        return _RANGES[i][2]
    return "other"


def word_script(word: str) -> str | None:
    """The word's script (its first letter's); None where it mixes alphabets with look-alike
    letters (`Oблигации` with a Latin O: garbage)."""
    scripts = set(map(script_of, word))
    if len(scripts) > 1 and len(scripts & LOOK_ALIKES) > 1:
        return None
    return script_of(word[0])


@dataclass(frozen=True)
class Reading:
    """What a text's words say: its main script, its best-matching language with a list
    (None where its script has none), and the share of its words that language knows."""

    script: str | None
    language: str | None
    word_rate: float | None
    words: int  # of MIN_WORD letters or more, in one script
    scripts: dict[str, int]  # letters by script
    mixed_words: int  # words mixing look-alike alphabets
    single_letters: int  # one-letter words


def read_text(text: str) -> Reading:
    # Each distinct word is looked at once, with its count: a page's text repeats its words.
    letters: Counter[str] = Counter()
    by_script: dict[str, Counter[str]] = {}
    mixed = single = 0
    for word, count in Counter(WORD.findall(text)).items():
        script, by_letter = _scripts(word)
        if script is None:
            mixed += count
            continue
        for letter_script, n in by_letter:
            letters[letter_script] += n * count
        if len(word) < MIN_WORD:
            single += count
            continue
        by_script.setdefault(script, Counter())[word.lower().replace("ё", "е")] += count
    by_script = {
        k: Counter({w: n for w, n in v.items() if _scripts(w)[0] == k})
        for k, v in by_script.items()
    }
    main = letters.most_common(1)[0][0] if letters else None
    language, rate = _best_language(by_script.get(main, Counter())) if main else (None, None)
    return Reading(
        script=main,
        language=language,
        word_rate=rate,
        words=sum(v.total() for v in by_script.values()),
        scripts=dict(letters),
        mixed_words=mixed,
        single_letters=single,
    )


@lru_cache(maxsize=1 << 16)  # words recur on every page of a document
def _scripts(word: str) -> tuple[str | None, tuple[tuple[str, int], ...]]:
    """`word_script(word)`, and the word's letters counted by script in the order the
    scripts first appear."""
    if word.isascii():  # WORD matches letters only: ASCII ones are Latin
        return "latin", (("latin", len(word)),)
    return word_script(word), tuple(Counter(map(script_of, word)).items())


def _best_language(words: Counter[str]) -> tuple[str | None, float | None]:
    if not words:
        return None, None
    total = words.total()
    script = script_of(next(iter(words))[0])
    best: tuple[str | None, float | None] = (None, None)
    for lang in languages_of(script):
        known = lexicon(lang)
        rate = sum(words[w] for w in known.intersection(words)) / total
        if best[1] is None or rate > best[1]:
            best = (lang, rate)
    return best


@cache
def languages_of(script: str) -> tuple[str, ...]:
    """The languages with a word list written in `script` (Russian and English first)."""
    folder = resources.files("ocrkit").joinpath("data/words")
    names = sorted(p.name.removesuffix(".txt") for p in folder.iterdir() if p.name.endswith(".txt"))
    names.sort(key=lambda n: (n not in ("ru", "en"), n))
    return tuple(n for n in names if _script_of_list(n) == script)


@cache
def _script_of_list(lang: str) -> str:
    counts = Counter(script_of(w[0]) for w in list(lexicon(lang))[:200] if w)
    return counts.most_common(1)[0][0]


@cache
def lexicon(lang: str) -> frozenset[str]:
    text = resources.files("ocrkit").joinpath(f"data/words/{lang}.txt").read_text("utf-8")
    return frozenset(w for w in text.splitlines() if w and not w.startswith("#"))


# Tesseract's model for a script (Debian packages tesseract-ocr-<code>), where a page's words
# say the embedded default's models do not read it.
TESSERACT_SCRIPT = {
    "cyrillic": "rus",
    "latin": "eng",
    "greek": "ell",
    "arabic": "ara",
    "hebrew": "heb",
    "hangul": "kor",
    "han": "chi_sim",
    "kana": "jpn",
    "devanagari": "hin",
    "thai": "tha",
    "armenian": "hye",
    "georgian": "kat",
}

# Tesseract's model for a language with a word list here (ISO 639-1), where a page's words
# read as that language: Russian and English are the embedded default's own.
TESSERACT_LANGUAGE = {
    "ar": "ara",
    "bg": "bul",
    "ca": "cat",
    "cs": "ces",
    "da": "dan",
    "de": "deu",
    "el": "ell",
    "es": "spa",
    "fa": "fas",
    "fi": "fin",
    "fr": "fra",
    "he": "heb",
    "hr": "hrv",
    "hu": "hun",
    "id": "ind",
    "it": "ita",
    "ko": "kor",
    "lt": "lit",
    "lv": "lav",
    "mk": "mkd",
    "nb": "nor",
    "nl": "nld",
    "pl": "pol",
    "pt": "por",
    "ro": "ron",
    "sk": "slk",
    "sl": "slv",
    "sv": "swe",
    "tr": "tur",
    "uk": "ukr",
    "ur": "urd",
    "vi": "vie",
}
