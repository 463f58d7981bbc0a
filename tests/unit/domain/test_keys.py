"""Match-key normalisation: the same contact written two ways must meet."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ledgerbridge.domain.config import KeyKind
from ledgerbridge.domain.keys import normalise_key


@pytest.mark.parametrize(
    ("kind", "a", "b"),
    [
        (KeyKind.EMAIL, "  Ann@Example.COM ", "ann@example.com"),
        (KeyKind.EMAIL, "STRASSE@x.de", "straße@x.de"),
        (KeyKind.CODE, " SKU-1\t", "SKU-1"),
        (KeyKind.NAME, "  Acme   Trading\tLtd ", "acme trading ltd"),
        (KeyKind.NAME, "Caf\u0065\u0301", "CAF\u00c9"),  # decomposed and composed accent
        (KeyKind.EXACT, "Caf\u0065\u0301", "Caf\u00e9"),
    ],
)
def test_spellings_of_one_key_meet(kind: KeyKind, a: str, b: str) -> None:
    assert normalise_key(kind, a) == normalise_key(kind, b)


@pytest.mark.parametrize(
    ("kind", "a", "b"),
    [
        (KeyKind.CODE, "sku-1", "SKU-1"),  # codes are case-sensitive
        (KeyKind.CODE, "SKU 1", "SKU  1"),  # inner spaces of a code matter
        (KeyKind.EMAIL, "a b@x.com", "ab@x.com"),
        (KeyKind.EXACT, " A", "A"),
        (KeyKind.EXACT, "a", "A"),
    ],
)
def test_different_keys_stay_apart(kind: KeyKind, a: str, b: str) -> None:
    assert normalise_key(kind, a) != normalise_key(kind, b)


@pytest.mark.parametrize("kind", list(KeyKind))
@pytest.mark.parametrize("value", [None, ""])
def test_nothing_identifies_nothing(kind: KeyKind, value: str | None) -> None:
    assert normalise_key(kind, value) is None


@pytest.mark.parametrize("kind", [KeyKind.EMAIL, KeyKind.CODE, KeyKind.NAME])
def test_blank_text_identifies_nothing(kind: KeyKind) -> None:
    assert normalise_key(kind, " \t\n ") is None


def test_numbers_are_keys_as_text() -> None:
    assert normalise_key(KeyKind.CODE, 1001) == "1001"


@given(st.sampled_from(list(KeyKind)), st.text())
def test_normalising_twice_changes_nothing(kind: KeyKind, text: str) -> None:
    once = normalise_key(kind, text)
    if once is not None:
        assert normalise_key(kind, once) == once


@given(st.text(), st.text(alphabet=" \t\n", max_size=3), st.text(alphabet=" \t", max_size=3))
def test_surrounding_whitespace_never_matters_for_emails_codes_and_names(
    text: str, before: str, after: str
) -> None:
    for kind in (KeyKind.EMAIL, KeyKind.CODE, KeyKind.NAME):
        assert normalise_key(kind, before + text + after) == normalise_key(kind, text)


# Letters of European names (Turkish dotless i has no case pair that folds back).
@given(st.text(alphabet="abcxyzABCXYZ019 éÉüÜøØåÅçÇß-'."))
def test_names_ignore_case(text: str) -> None:
    assert normalise_key(KeyKind.NAME, text.upper()) == normalise_key(KeyKind.NAME, text.lower())
