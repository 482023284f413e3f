"""Message search: what a word is, the query language, and the query a search index answers.

One definition of a word for every adapter, so SQLite and PostgreSQL (and the fakes) give the
same answers: the index adapters store and match the tokens made here, they never tokenize
text themselves.

Words (`words`):
- Compatibility caseless form (Unicode's NFKD(casefold(NFKD(casefold(text))))): case is
  ignored ("Hello" = "HELLO"), compatibility forms fold ("ﬁ" = "fi", full-width A (U+FF21) = "a",
  "²" = "2").
- Diacritics are ignored: combining marks are dropped after the decomposition ("café" = "cafe",
  "Ångström" = "angstrom", "naïve" = "naive"), and a few Latin letters without a decomposition
  fold to their base ("ł" = "l", "ø" = "o", "đ" = "d", "æ" = "ae", "ß" = "ss").
- A word is a run of letters, digits and spacing marks; everything else separates words
  (spaces, punctuation, symbols, emoji). Format characters (zero-width joiners) are dropped
  without separating.
- Scripts written without spaces (Han, Hiragana, Katakana, Thai, Lao, Khmer, Myanmar): every
  character is a word, so "東京" finds "東京都に住む" (as the phrase 東 京).
- Words are cut at WORD_MAX characters (on both sides, so a long word still matches), and
  stored composed (NFC).

The query language (`parse_content`): words are ANDed; `"an exact phrase"` matches those words
next to each other in that order; `-word` or `-"a phrase"` excludes messages that contain it.
Nothing else has a meaning: `*`, `:`, parentheses, OR, NEAR are punctuation or plain words.
An unbalanced quote runs to the end of the text. A query word that is several words by the rule
above (`e-mail`, `example.com`, `東京`) is searched as a phrase.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Final

from .errors import ValidationFailed
from .model import MessageView, Snowflake

WORD_MAX: Final = 64
"""Longer words are cut to this many characters (PostgreSQL refuses lexemes over 2 KiB)."""
CONTENT_MAX: Final = 1024
TERMS_MAX: Final = 32
"""Words, phrases and exclusions in one query."""
WORDS_MAX: Final = 256
"""Words in one query, counting every word of every phrase."""
LIMIT_DEFAULT: Final = 25
LIMIT_MAX: Final = 25
OFFSET_MAX: Final = 5000
FILTER_VALUES_MAX: Final = 25
"""Repeated author_id / channel_id / mentions values."""
COUNT_MAX: Final = 1000
"""`total` counts matches up to this many and says "more" beyond. PostgreSQL's GIN index
cannot count without visiting every matching row: for a word in 10 % of a million messages an
exact count took 170-460 ms, counting up to 5,000 took 28 ms and up to 1,000 took 6 ms
(bench/RESULTS.md, workload 9). Pages go on past it, up to OFFSET_MAX."""
RELEVANCE_WINDOW: Final = 1000
"""`relevance` orders the newest this-many matches by score; older matches follow, newest
first. Scoring every match of a common word would take seconds on a million messages."""

Term = tuple[str, ...]
"""One word, or a phrase: words that must appear next to each other, in order."""


class Has(StrEnum):
    LINK = "link"
    FILE = "file"
    IMAGE = "image"


class SearchSort(StrEnum):
    NEWEST = "newest"
    RELEVANCE = "relevance"


# --- words ------------------------------------------------------------------------------------

_FOLD: Final = str.maketrans(
    {
        "ł": "l",
        "ø": "o",
        "đ": "d",
        "ð": "d",
        "ħ": "h",
        "\u0131": "i",  # dotless i
        "ŧ": "t",
        "ŀ": "l",
        "ƀ": "b",
        "ɨ": "i",
        "æ": "ae",
        "œ": "oe",
        "þ": "th",
    }
)
_ASCII_WORD: Final = re.compile(r"[a-z0-9]+")

# Scripts written without spaces between words: each character is a word.
_UNSPACED: Final = (
    (0x0E00, 0x0EFF),  # Thai, Lao
    (0x1000, 0x109F),  # Myanmar
    (0x1780, 0x17FF),  # Khmer
    (0x3040, 0x30FF),  # Hiragana, Katakana
    (0x31F0, 0x31FF),  # Katakana phonetic extensions
    (0x3400, 0x4DBF),  # CJK extension A
    (0x4E00, 0x9FFF),  # CJK unified ideographs
    (0xF900, 0xFAFF),  # CJK compatibility ideographs
    (0x20000, 0x3FFFF),  # CJK extensions B and later
)

# What one normalised character does to the word being read.
_DROP: Final = 0  # nothing (combining marks, format characters)
_SEPARATE: Final = 1  # ends the word
_CONTINUE: Final = 2  # belongs to the word
_ALONE: Final = 3  # a word by itself (unspaced scripts)


def _kind(char: str) -> int:
    category = unicodedata.category(char)
    if category in ("Mn", "Me", "Cf"):
        return _DROP
    if category[0] not in "LN" and category != "Mc":
        return _SEPARATE
    code = ord(char)
    if code >= 0x0E00 and any(low <= code <= high for low, high in _UNSPACED):
        return _ALONE
    return _CONTINUE


@functools.lru_cache(maxsize=16384)
def _normalised(char: str) -> tuple[tuple[str, int], ...]:
    """One character of the original text as normalised characters, each with its kind:
    Unicode's compatibility caseless form, NFKD(casefold(NFKD(casefold(c)))), then the
    base-letter folds. Character by character, so every word maps back to its place in the
    original text (casefolding has no context, and reordered marks are dropped anyway)."""
    nfkd = unicodedata.normalize
    form = nfkd("NFKD", nfkd("NFKD", char.casefold()).casefold()).translate(_FOLD)
    return tuple((c, _kind(c)) for c in form)


def word_spans(text: str) -> list[tuple[int, int, str]]:
    """Every word of `text` as (start, end, word): where it is in `text` (code point offsets,
    end exclusive) and its normalised form (see the module docstring)."""
    if text.isascii():
        return [
            (m.start(), m.end(), m.group()[:WORD_MAX]) for m in _ASCII_WORD.finditer(text.lower())
        ]
    out: list[tuple[int, int, str]] = []
    current: list[str] = []
    start = end = 0

    def flush() -> None:
        if current:
            # Composed again (Hangul syllables are decomposed into their letters above).
            word = unicodedata.normalize("NFC", "".join(current))[:WORD_MAX]
            out.append((start, end, word))
            current.clear()

    for index, original in enumerate(text):
        for char, kind in _normalised(original):
            if kind == _DROP:
                continue
            if kind == _SEPARATE:
                flush()
            elif kind == _ALONE:
                flush()
                out.append((index, index + 1, char))
            else:
                if not current:
                    start = index
                current.append(char)
                end = index + 1
    flush()
    return out


def words(text: str) -> list[str]:
    """The words of `text`, in order, normalised (see the module docstring)."""
    if text.isascii():
        return [w[:WORD_MAX] for w in _ASCII_WORD.findall(text.lower())]
    return [word for _, _, word in word_spans(text)]


# --- what a message contains besides words ---------------------------------------------------

_LINK: Final = re.compile(r"\bhttps?://[^\s<>]", re.IGNORECASE)
_MENTION: Final = re.compile(r"<@!?([0-9]{1,19})>")
_SNOWFLAKE_MAX: Final = 2**63 - 1


def has_link(content: str) -> bool:
    """An http:// or https:// URL anywhere in the text."""
    return _LINK.search(content) is not None


def mentioned_user_ids(content: str) -> list[Snowflake]:
    """User ids mentioned as `<@id>` (or `<@!id>`), each once, in order of first mention."""
    seen: dict[int, None] = {}
    for match in _MENTION.finditer(content):
        user_id = int(match.group(1))
        if 0 < user_id <= _SNOWFLAKE_MAX:
            seen.setdefault(user_id, None)
    return list(seen)


# --- the query language ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ParsedContent:
    terms: tuple[Term, ...] = ()
    excluded: tuple[Term, ...] = ()

    @property
    def empty(self) -> bool:
        return not self.terms and not self.excluded


def _raw_terms(content: str) -> Iterator[tuple[bool, bool, str]]:
    """(excluded, quoted, text) for each term as typed."""
    i, n = 0, len(content)
    while i < n:
        char = content[i]
        if char.isspace():
            i += 1
            continue
        excluded = False
        if char == "-" and i + 1 < n and not content[i + 1].isspace():
            excluded = True
            i += 1
            char = content[i]
        if char == '"':
            end = content.find('"', i + 1)
            end = n if end < 0 else end
            yield excluded, True, content[i + 1 : end]
            i = end + 1
        else:
            start = i
            while i < n and not content[i].isspace() and content[i] != '"':
                i += 1
            yield excluded, False, content[start:i]


def parse_content(content: str) -> ParsedContent:
    """Parse the `content` of a search (see the module docstring). Raises ValidationFailed when
    it is too long, has too many terms, or has text but not a single word to search for."""
    content = content.strip()
    if len(content) > CONTENT_MAX:
        raise ValidationFailed(
            f"content must be at most {CONTENT_MAX} characters.", field="content"
        )
    terms: dict[Term, None] = {}
    excluded: dict[Term, None] = {}
    for is_excluded, _quoted, raw in _raw_terms(content):
        term = tuple(words(raw))
        if term:
            (excluded if is_excluded else terms).setdefault(term, None)
    parsed = ParsedContent(tuple(terms), tuple(excluded))
    if content and parsed.empty:
        raise ValidationFailed(
            "content has no words to search for (only punctuation or symbols).", field="content"
        )
    if len(terms) + len(excluded) > TERMS_MAX:
        raise ValidationFailed(
            f"A search can have at most {TERMS_MAX} words, phrases and exclusions.",
            field="content",
        )
    if sum(len(t) for t in (*terms, *excluded)) > WORDS_MAX:
        raise ValidationFailed(f"A search can have at most {WORDS_MAX} words.", field="content")
    return parsed


# --- what the search index is asked ----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SearchQuery:
    """Messages to find; every condition must hold.

    Scope: messages of `server_id` (when set) in one of `channel_ids` (when set); the use case
    sets at least one of them, from the channels the caller may read.
    """

    server_id: Snowflake | None
    channel_ids: tuple[Snowflake, ...] | None
    terms: tuple[Term, ...] = ()
    excluded: tuple[Term, ...] = ()
    author_ids: tuple[Snowflake, ...] = ()
    """Any of these authors (none: anyone)."""
    mentions: tuple[Snowflake, ...] = ()
    """Mentions (`<@id>`) any of these users (none: no condition)."""
    has: frozenset[Has] = field(default_factory=frozenset)
    """Every one of these."""
    pinned: bool | None = None
    """Only pinned messages (True), only messages not pinned (False), or either (None)."""
    before: Snowflake | None = None
    """Message id below this."""
    after: Snowflake | None = None
    """Message id above this."""
    sort: SearchSort = SearchSort.NEWEST
    limit: int = LIMIT_DEFAULT
    offset: int = 0
    count_limit: int = COUNT_MAX + 1
    """Count matches up to this many (see COUNT_MAX)."""
    relevance_window: int = RELEVANCE_WINDOW


@dataclass(frozen=True, slots=True)
class SearchPage:
    total: int
    """Matching messages in all (not only this page), counted up to the query's count_limit."""
    messages: list[MessageView]


# --- ranking and highlighting ----------------------------------------------------------------

_K1: Final = 1.2
_B: Final = 0.75
_AVERAGE_WORDS: Final = 12.0
"""A typical chat message; BM25's average document length, fixed so that scores depend on the
message alone and every adapter ranks alike."""


def _occurrences(document: Sequence[str], term: Term) -> int:
    first, rest = term[0], term[1:]
    width = len(term)
    return sum(
        1
        for i, word in enumerate(document)
        if word == first and tuple(document[i + 1 : i + width]) == rest
    )


def relevance(document: Sequence[str], terms: Sequence[Term]) -> float:
    """How well a message (its words) matches the query's terms: BM25 with every term weighted
    alike (no corpus statistics, so the score is the same in every adapter). More
    occurrences of the terms and a shorter message rank higher."""
    if not terms:
        return 0.0
    norm = _K1 * (1 - _B + _B * len(document) / _AVERAGE_WORDS)
    score = 0.0
    for term in terms:
        tf = _occurrences(document, term)
        score += tf * (_K1 + 1) / (tf + norm) if tf else 0.0
    return round(score, 9)


def rank(
    candidates: Sequence[tuple[Snowflake, Sequence[str]]], terms: Sequence[Term]
) -> list[Snowflake]:
    """Ids of (id, words) candidates, best first; equal scores newest first."""
    scored = [(relevance(document, terms), message_id) for message_id, document in candidates]
    scored.sort(key=lambda pair: (-pair[0], -pair[1]))
    return [message_id for _, message_id in scored]


def highlights(content: str, terms: Sequence[Term]) -> list[tuple[int, int]]:
    """Where the query's terms are in `content`: sorted, non-overlapping (start, end) code
    point ranges, end exclusive; a phrase is one range from its first word to its last."""
    if not terms:
        return []
    spans = word_spans(content)
    found: list[tuple[int, int]] = []
    normalised = [word for _, _, word in spans]
    for term in terms:
        width = len(term)
        for i in range(len(spans) - width + 1):
            if tuple(normalised[i : i + width]) == term:
                found.append((spans[i][0], spans[i + width - 1][1]))
    merged: list[tuple[int, int]] = []
    for start, end in sorted(found):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged
