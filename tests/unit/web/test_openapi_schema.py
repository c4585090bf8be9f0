"""/schema documents what API clients get: a concrete shape for every JSON answer, one error body for every refusal.

Built from the app's own OpenAPI document, with no database: the app is only composed, never started.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
from litestar.serialization import encode_json, get_serializer

from auction.settings import Settings
from tests.openapi_support import OpenApiDocument, Operation
from web.app import create_app

API = "/api/"
ERROR_BODY = {"$ref": "#/components/schemas/ApiError"}


@pytest.fixture(scope="module")
def document(tmp_path_factory: pytest.TempPathFactory) -> OpenApiDocument:
    folder = tmp_path_factory.mktemp("openapi")
    settings = Settings(
        DATABASE_URL=f"sqlite+aiosqlite:///{folder / 'unused.sqlite3'}",
        data_dir=Path(folder / "data"),
        secret_key="test-secret-key-with-enough-length-0123456789",
        ledger_origin="test.achyk.kg/ledger",
        ledger_signing_key=base64.b64encode(b"s" * 32).decode(),
        ledger_pseudonym_key=base64.b64encode(b"p" * 32).decode(),
        run_background_jobs=False,
    )
    app = create_app(settings)
    # As /schema serves it to clients: its examples may be models, which only the app's encoders turn into JSON.
    return OpenApiDocument(json.loads(encode_json(app.openapi_schema.to_schema(), get_serializer(app.type_encoders))))


# Answers whose shape another standard defines: OCDS release and record packages (docs/ocds.md). Their schema is the
# Open Contracting Data Standard's own JSON Schema, which /schema cannot hold (Draft 4, hundreds of definitions);
# tests/integration/test_ocds.py validates every one against it and runs the standard's own tool on them.
SHAPED_BY_ANOTHER_STANDARD = {"GET /api/v1/ocds/releases", "GET /api/v1/ocds/records/{ocid}"}


def api_operations(document: OpenApiDocument) -> list[Operation]:
    operations = [
        op for op in document.operations if op.path.startswith(API) and op.name not in SHAPED_BY_ANOTHER_STANDARD
    ]
    assert len(operations) > 30, "the API's operations are missing from /schema"
    return operations


def test_every_json_answer_of_the_api_has_a_concrete_schema(document: OpenApiDocument) -> None:
    offenders = []
    for operation in api_operations(document):
        for status in operation.spec["responses"]:
            schema = operation.json_schema(int(status))
            if status.startswith("2") and schema is not None and not document.is_concrete(schema):
                offenders.append(f"{operation.name} {status}: {schema}")
        if not any(status.startswith("2") for status in operation.spec["responses"]):
            offenders.append(f"{operation.name}: no success response documented")
    assert not offenders, "JSON answers without a concrete schema:\n" + "\n".join(offenders)


def test_no_field_of_a_json_answer_is_free_form(document: OpenApiDocument) -> None:
    """Concrete all the way down: a nested ``dict[str, Any]`` would leave clients guessing just the same."""
    offenders = []
    for operation in api_operations(document):
        for status in operation.spec["responses"]:
            schema = operation.json_schema(int(status))
            if status.startswith("2") and schema is not None:
                offenders += [f"{operation.name} {status} {part}" for part in document.free_form_parts(schema)]
    assert not offenders, "free-form parts of JSON answers:\n" + "\n".join(offenders)


def test_every_api_refusal_is_documented_with_the_error_body(document: OpenApiDocument) -> None:
    offenders = []
    for operation in api_operations(document):
        errors = {status: r for status, r in operation.spec["responses"].items() if status[0] in "45"}
        if not errors:
            offenders.append(f"{operation.name}: no error response documented")
        for status in errors:
            schema = operation.json_schema(int(status))
            if schema != ERROR_BODY:
                offenders.append(f"{operation.name} {status}: {schema}")
    assert not offenders, "refusals not documented as ApiError:\n" + "\n".join(offenders)


def test_the_error_body_names_its_fields(document: OpenApiDocument) -> None:
    """The model behind every refusal: the fields web/errors.py writes today, and the optional code/params."""
    error = document.resolve(ERROR_BODY)
    assert set(error["required"]) == {"status", "error", "message", "problems"}
    assert {"code", "params"} <= set(error["properties"])
    assert document.is_concrete(error["properties"]["problems"])


def test_the_checker_refuses_free_form_and_undocumented_fields(document: OpenApiDocument) -> None:
    """The two tests above and the response test rely on these judgements; each can go wrong on its own."""
    assert not document.is_concrete({})
    assert not document.is_concrete({"type": "object", "additionalProperties": {}})
    assert not document.is_concrete({"type": "array", "items": {"type": "object", "additionalProperties": {}}})
    assert not document.is_concrete({"type": "string"})
    assert document.is_concrete({"type": "array", "items": {"$ref": "#/components/schemas/ApiError"}})
    assert document.free_form_parts(ERROR_BODY) == []
    assert document.free_form_parts({"type": "object", "additionalProperties": {}}) == ["$"]
    assert document.free_form_parts({"type": "object", "additionalProperties": {"type": "string"}}) == []
    body = {"status": 404, "error": "not_found", "message": "No.", "problems": []}
    assert document.problems(body, ERROR_BODY) == []
    assert document.problems({**body, "surprise": 1}, ERROR_BODY) == ["$: the field 'surprise' is not documented"]
    assert document.problems({**body, "status": "404"}, ERROR_BODY) == ["$.status: '404' is not integer"]
    missing = {k: v for k, v in body.items() if k != "message"}
    assert document.problems(missing, ERROR_BODY) == ["$: the required field 'message' is missing"]


# The feeds docs/open-data.md lists beside the OCDS ones (tests/web/test_opendata.py checks those): each described,
# with an example that is a valid answer (a client generated from /schema reads the example as it reads the answer).
FEEDS_WITH_EXAMPLES = ("GET /api/v1/statistics", "GET /api/v1/red-flags", "POST /api/v1/inspection/links")


@pytest.mark.parametrize("name", FEEDS_WITH_EXAMPLES)
def test_statistics_red_flags_and_inspection_are_described_with_a_valid_example(
    document: OpenApiDocument, name: str
) -> None:
    method, path = name.split(" ")
    operation = document.operation(method, path)
    assert operation is not None, name
    assert len(operation.spec.get("description", "")) > 80
    schema = operation.json_schema(200)
    assert schema is not None
    examples = operation.spec["responses"]["200"]["content"]["application/json"].get("examples") or {}
    assert examples, "no example"
    for example in examples.values():
        assert document.problems(example["value"], schema) == []
