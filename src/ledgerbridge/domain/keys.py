"""Match-key normalisation: the same contact written two ways must meet."""

from __future__ import annotations

import unicodedata
from typing import Any

from ledgerbridge.domain.config import KeyKind


def normalise_key(kind: KeyKind, value: Any) -> str | None:
    """The normalised key, or ``None`` when the value cannot identify anything."""
    if value is None:
        return None
    text = unicodedata.normalize("NFC", str(value))
    if kind is KeyKind.EMAIL:
        out = text.strip().casefold()
    elif kind is KeyKind.CODE:
        out = text.strip()
    elif kind is KeyKind.NAME:
        out = " ".join(text.split()).casefold()
    else:
        out = text
    return out or None
