"""Form field types and helpers: what a person types, read into the values the services take."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Annotated

from pydantic import BeforeValidator

from auction.money import parse_som


def _tyiyn(text: object) -> object:
    # Anything but text is left to pydantic's own int validation (a model built in code, not from a form).
    return parse_som(text) if isinstance(text, str) else text


# An amount typed in som ("1250", "1 250,50"), exactly to the tyiyn; more than two decimals is an error.
SomAmount = Annotated[int, BeforeValidator(_tyiyn)]


def filled(data: Mapping[str, object], names: Iterable[str]) -> dict[str, str]:
    """The named fields that were filled in, as typed (secrets are not stripped).

    A blank field is left out, so a required one is reported as missing ("Fill this in.") rather than as
    too short or not a number.
    """
    return {name: str(data[name]) for name in names if str(data.get(name) or "").strip()}
