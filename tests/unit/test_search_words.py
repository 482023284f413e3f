"""What a word is, the query language, ranking and highlighting (discord_core.search)."""

# ruff: noqa: RUF001  (text in many scripts is the point of these tests)

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from discord_core.errors import ValidationFailed
from discord_core.search import (
    CONTENT_MAX,
    TERMS_MAX,
    WORD_MAX,
    WORDS_MAX,
    has_link,
    highlights,
    mentioned_user_ids,
    parse_content,
    rank,
    relevance,
    word_spans,
    words,
)

# --- words ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Hello, WORLD!", ["hello", "world"]),
        ("café CAFÉ Cafe\u0301", ["cafe", "cafe", "cafe"]),  # precomposed, decomposed
        ("Ångström naïve façade", ["angstrom", "naive", "facade"]),
        ("Łódź Øresund Đorđe Æsir œuvre", ["lodz", "oresund", "dorde", "aesir", "oeuvre"]),
        ("Straße STRASSE", ["strasse", "strasse"]),
        ("İstanbul ıspanak", ["istanbul", "ispanak"]),
        ("ﬁne Ｆｕｌｌ ² ①", ["fine", "full", "2", "1"]),
        ("Привет, МИР! Ёлка", ["привет", "мир", "елка"]),
        ("Γειά σου Κόσμε ΣΊΣΥΦΟΣ", ["γεια", "σου", "κοσμε", "σισυφοσ"]),
        ("مرحبا بالعالم", ["مرحبا", "بالعالم"]),
        ("שָׁלוֹם עולם", ["שלום", "עולם"]),  # niqqud is dropped
        ("東京都に住む", ["東", "京", "都", "に", "住", "む"]),
        ("สวัสดีครับ", ["ส", "ว", "ส", "ด", "ค", "ร", "บ"]),  # Thai: characters, marks dropped
        ("한국어 텍스트", ["한국어", "텍스트"]),
        ("e-mail example.com it's", ["e", "mail", "example", "com", "it", "s"]),
        ("a_b snake_case", ["a", "b", "snake", "case"]),
        ("zero\u200bwidth join\u200dme", ["zerowidth", "joinme"]),  # format characters
        ("emoji 🎉 party 👍🏽 ok", ["emoji", "party", "ok"]),
        ("*:()NEAR\"'`~^$", ["near"]),
        ("tab\tnew\nline\x00nul", ["tab", "new", "line", "nul"]),
        ("", []),
        ("   ", []),
    ],
)
def test_words(text: str, expected: list[str]) -> None:
    assert words(text) == expected


def test_words_are_cut_at_word_max() -> None:
    assert words("a" * 500) == ["a" * WORD_MAX]
    assert words("é" * 500) == ["e" * WORD_MAX]


def test_ascii_fast_path_agrees_with_the_general_path() -> None:
    text = "Hello, World! it's 42 o'clock; e-mail me@example.com #tag_1"
    assert words(text) == [w for _, _, w in word_spans(text + " é")][:-1]


def test_word_spans_point_into_the_original_text() -> None:
    text = "Ünïcödé, CAFÉ! ﬁne"
    spans = word_spans(text)
    assert [w for _, _, w in spans] == ["unicode", "cafe", "fine"]
    assert [text[s:e] for s, e, _ in spans] == ["Ünïcödé", "CAFÉ", "ﬁne"]


# --- links and mentions -------------------------------------------------------------------------


def test_has_link() -> None:
    assert has_link("see https://example.com/x")
    assert has_link("HTTP://EXAMPLE.COM")
    assert not has_link("example.com or ftp://x or https:// alone")


def test_mentioned_user_ids() -> None:
    assert mentioned_user_ids("hi <@12> and <@!34>, <@12> again, <@&56> is a role") == [12, 34]
    assert mentioned_user_ids(f"<@{2**63}> <@0>") == []


# --- the query language -------------------------------------------------------------------------


def test_words_are_anded_phrases_and_exclusions() -> None:
    parsed = parse_content('  Hello "exact  Phrase" -bad -"not THIS" world  ')
    assert parsed.terms == (("hello",), ("exact", "phrase"), ("world",))
    assert parsed.excluded == (("bad",), ("not", "this"))


def test_engine_syntax_means_nothing() -> None:
    parsed = parse_content("foo* AND (bar OR baz) NEAR/2 col:qux ^start")
    assert parsed.terms == (
        ("foo",),
        ("and",),
        ("bar",),
        ("or",),
        ("baz",),
        ("near", "2"),  # one typed word of two words: a phrase
        ("col", "qux"),
        ("start",),
    )
    assert parsed.excluded == ()


def test_a_word_of_several_words_is_a_phrase() -> None:
    assert parse_content("e-mail example.com 東京").terms == (
        ("e", "mail"),
        ("example", "com"),
        ("東", "京"),
    )


@pytest.mark.parametrize(
    ("content", "terms", "excluded"),
    [
        ('"unbalanced quote', (("unbalanced", "quote"),), ()),
        ('say "hi', (("say",), ("hi",)), ()),
        ('a"b c"d', (("a",), ("b", "c"), ("d",)), ()),
        ("- spaced minus", (("spaced",), ("minus",)), ()),
        ("--double -", (), (("double",),)),
        ("x -x", (("x",),), (("x",),)),  # both: nothing can match, not an error
        ("dup dup DUP", (("dup",),), ()),
        ('""  real', (("real",),), ()),
    ],
)
def test_odd_queries(content: str, terms: tuple, excluded: tuple) -> None:  # type: ignore[type-arg]
    parsed = parse_content(content)
    assert (parsed.terms, parsed.excluded) == (terms, excluded)


def test_empty_content_means_no_text_condition() -> None:
    assert parse_content("").empty
    assert parse_content("   ").empty


@pytest.mark.parametrize("content", ["***", '""', "-", "🎉🎉", "(:)"])
def test_content_without_a_word_is_refused(content: str) -> None:
    with pytest.raises(ValidationFailed) as caught:
        parse_content(content)
    assert caught.value.field == "content"


def test_limits() -> None:
    parse_content("a" * CONTENT_MAX)
    with pytest.raises(ValidationFailed, match="at most 1024 characters"):
        parse_content("a" * (CONTENT_MAX + 1))
    parse_content(" ".join(f"w{i}" for i in range(TERMS_MAX)))
    with pytest.raises(ValidationFailed, match="at most 32 words, phrases"):
        parse_content(" ".join(f"w{i}" for i in range(TERMS_MAX + 1)))
    with pytest.raises(ValidationFailed, match=f"at most {WORDS_MAX} words"):
        parse_content('"' + " ".join(["w"] * (WORDS_MAX + 1)) + '"')


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300))
def test_any_content_parses_or_is_refused_clearly(content: str) -> None:
    try:
        parsed = parse_content(content)
    except ValidationFailed as exc:
        refused: ValidationFailed | None = exc
    else:
        refused = None
    if refused is not None:
        assert refused.field == "content"
        return
    for term in (*parsed.terms, *parsed.excluded):
        assert term
        for word in term:
            assert 0 < len(word) <= WORD_MAX
            assert all(
                unicodedata.category(c)[0] in "LN" or unicodedata.category(c) == "Mc" for c in word
            ), word


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=200))
def test_words_are_stable_and_spans_cover_them(text: str) -> None:
    found = words(text)
    assert words(" ".join(found)) == found  # normalising twice changes nothing
    for start, end, _ in word_spans(text):
        assert 0 <= start < end <= len(text)


# --- ranking and highlighting ---------------------------------------------------------------------


def test_relevance_prefers_more_occurrences_and_shorter_messages() -> None:
    terms = [("cat",)]
    assert relevance(["cat", "cat", "dog"], terms) > relevance(["cat", "dog", "dog"], terms)
    assert relevance(["cat"], terms) > relevance(["cat", *["x"] * 30], terms)
    assert relevance(["dog"], terms) == 0.0
    assert relevance(["the", "black", "cat"], [("black", "cat")]) > 0
    assert relevance(["cat", "black"], [("black", "cat")]) == 0.0


def test_rank_breaks_ties_newest_first() -> None:
    terms = [("cat",)]
    candidates = [(1, ["cat"]), (3, ["cat"]), (2, ["cat", "cat"]), (4, ["dog", "cat", "x", "y"])]
    assert rank(candidates, terms) == [2, 3, 1, 4]


def test_highlights() -> None:
    content = "Say HELLO, hello world! Héllo-World and helloworld"
    terms = parse_content('hello "hello world"').terms
    ranges = highlights(content, terms)
    assert [content[s:e] for s, e in ranges] == ["HELLO", "hello world", "Héllo-World"]
    assert highlights(content, ()) == []
    assert highlights("café", parse_content("CAFE").terms) == [(0, 4)]
