"""The API's error body as a model, so every operation documents what a refusal looks like.

``web/lib/errors.py`` builds the body; this model describes it. tests/integration/test_api_documented.py checks real
error responses against it, so the two cannot drift apart silently.
"""

from __future__ import annotations

from litestar.openapi.datastructures import ResponseSpec
from pydantic import BaseModel, Field


class Problem(BaseModel):
    """One thing wrong with the request, attached to the field to change (empty when it belongs to none)."""

    field: str
    message: str
    code: str | None = Field(default=None, description="The domain's stable code for this problem, when it has one.")
    params: dict[str, int | str] | None = Field(
        default=None, description="The values the problem's message was built from."
    )


class ApiError(BaseModel):
    """Every 4xx/5xx answer of the API."""

    status: int = Field(description="The HTTP status, repeated for clients that only keep the body.")
    error: str = Field(description="A stable machine word: invalid_input, not_found, forbidden, conflict, ...")
    message: str = Field(description="What went wrong, in words a person can act on.")
    problems: list[Problem] = Field(description="Field by field, when the request itself was at fault.")
    code: str | None = Field(default=None, description="The domain's stable code for this refusal, when it has one.")
    params: dict[str, int | str] | None = Field(default=None, description="The values the message was built from.")
    refusal: str | None = Field(
        default=None,
        description="A refused bidder action: the log's signed refusal note (achyk-refusal/v1), to prove it offline.",
    )


ERROR_DESCRIPTIONS: dict[int, str] = {
    400: "The request could not be read (malformed body or parameters).",
    401: "No valid bearer token, or wrong credentials.",
    403: "The account may not do this (role or municipality).",
    404: "There is no such resource.",
    409: "The resource is in a state that does not allow this now.",
    413: "The upload is larger than the platform accepts.",
    422: "Some values are not acceptable; `problems` names them.",
    429: "Too many attempts; wait for `Retry-After` seconds.",
    500: "Something went wrong on the platform's side; nothing was changed.",
    503: "The ledger cannot take entries right now; nothing was changed, try again.",
}


def api_errors(*statuses: int) -> dict[int, ResponseSpec]:
    """OpenAPI responses for the error statuses an operation can answer, all with the ``ApiError`` body.

    400 and 500 are always included: any request can be unreadable or meet a fault. Declaring 400 also
    replaces the validation shape Litestar documents there by default, which this API never sends (its
    validation errors are 422 ``ApiError`` bodies).
    """
    return {
        status: ResponseSpec(data_container=ApiError, description=ERROR_DESCRIPTIONS[status], generate_examples=False)
        for status in sorted({400, 500, *statuses})
    }
