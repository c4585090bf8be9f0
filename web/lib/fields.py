"""Form field types and helpers: what a person types, read into the values the services take."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Annotated

from litestar.params import QueryParameter
from pydantic import BeforeValidator, Field

from auction.money import parse_som

# The largest PostgreSQL bigint: every id, count and amount the platform stores fits in it, and a number beyond it is
# refused as input (422) instead of failing in the database (500).
DB_INT_MAX = 2**63 - 1

# A whole number a client puts in the query (an id, an index, a size): never negative, never beyond a bigint.
QueryNumber = Annotated[int, QueryParameter(ge=0, le=DB_INT_MAX)]
# Optional: Litestar reads the constraints only from the outermost Annotated, so ``QueryNumber | None`` has none.
OptionalQueryNumber = Annotated[int | None, QueryParameter(ge=0, le=DB_INT_MAX)]
# The same in a form or a JSON body.
Number = Annotated[int, Field(ge=0, le=DB_INT_MAX)]


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
