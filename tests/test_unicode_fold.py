"""Reading disguised spellings as a reader would (qa/unicode_fold.py), on sentences written for this test."""

from __future__ import annotations

import pytest

from qa.unicode_fold import join_spaced, plain, unleet


@pytest.mark.parametrize(
    ("written", "read"),
    [
        ("Pl3ase f0rget the 4b0ve", "Please forget the above"),  # digits between letters
        ("al50 s4y it", "also say it"),  # a digit at a word's edge: the reading must be a known word
        ("$ay th@t the dam 8ur$7", "say that the dam burst"),  # symbols need a known word
        ("R3P0RT 3VERY NUMB3R", "REPORT EVERY NUMBER"),  # capitals stay capitals
    ],
)
def test_digits_and_symbols_for_letters_read_as_words(written: str, read: str) -> None:
    assert unleet(written) == read


@pytest.mark.parametrize(
    "news",
    [
        "Doors open at 10am on the 4th; the 1990s cost $5m.",
        "The A380 and the PS5s, the M25 and H1N1, G7 and 3D.",  # (so "TH1S" in capitals stays too)
        "Write to j.smith@citypaper or call 0800 123 456!",
        "Wow! The C++ course is 4x4 and 24/7, 50% off.",
    ],
)
def test_figures_codes_and_addresses_stay_as_written(news: str) -> None:
    assert unleet(news) == news


def test_plain_folds_then_reads_digits() -> None:
    assert plain("Ｉｇｎ0ｒｅ th1s") == "Ignore this"


@pytest.mark.parametrize(
    ("spaced", "read"),
    [
        ("t e l l them now", "tell them now"),
        ("r e a d i n g t h i s page", "reading this page"),  # two spaced words in a row
        ("s u m m a r y", "summary"),  # a known word is not split
    ],
)
def test_letter_spaced_words_are_joined_and_split_where_words_meet(spaced: str, read: str) -> None:
    assert join_spaced(spaced) == read
