"""Hostile input gets a 4xx a person can act on: never a 5xx, never a blocked event loop.

Oversized and deeply nested JSON, NUL characters, numbers beyond 64 bits, garbage cursors, and anonymous bodies
sent to routes that act for an account (refused for who sends them, before anything of the body is read).
"""

from __future__ import annotations

import inspect
import json
import re
from typing import Any

from litestar import Litestar
from litestar.handlers import HTTPRouteHandler
from litestar.testing import AsyncTestClient

from auction.clock import FrozenClock
from tests.kit.world import World, lot_terms
from web.lib.fields import DB_INT_MAX
from web.lib.guards import identified
from web.lib.input_bounds import JSON_MAX_BYTES, JSON_MAX_DEPTH, JSON_MAX_ITEMS, json_problem

Client = AsyncTestClient[Litestar]
HUGE = str(2**64)

# Routes with a JSON body that anyone may send: the catalog of public writes. A new route with a body that is neither
# here nor guarded by ``identified`` fails the authentication test below.
PUBLIC_WRITES = {"POST /api/v1/accounts", "POST /api/v1/auth/token"}


def api_operations(app: Litestar) -> list[tuple[str, str, HTTPRouteHandler]]:
    """Every (method, path, handler) of the API, from the app's own route list."""
    found: list[tuple[str, str, HTTPRouteHandler]] = []
    for route in app.routes:
        if not route.path.startswith("/api/"):
            continue
        for handler in getattr(route, "route_handlers", []):
            if not isinstance(handler, HTTPRouteHandler):
                continue
            for method in sorted(handler.http_methods - {"OPTIONS", "HEAD"}):
                found.append((str(method), route.path, handler))
    return found


def concrete(path: str) -> str:
    """A path with its parameters filled: 1 for numbers, a plausible word for text."""
    return re.sub(r"\{(\w+):(\w+)\}", lambda m: "1" if m.group(2) == "int" else "abcdefgh", path)


def takes_body(handler: HTTPRouteHandler) -> bool:
    return "data" in inspect.signature(handler.fn).parameters


async def test_anonymous_callers_are_refused_before_their_body_is_read(client: Client) -> None:
    operations = api_operations(client.app)
    guarded = [(m, p, h) for m, p, h in operations if identified in h.resolve_guards() and not h.opt.get("anonymous")]
    assert len(guarded) > 30, "the app's route list should give every authenticated API route"
    unguarded_writes = {
        f"{m} {p}" for m, p, h in operations if takes_body(h) and (m, p, h) not in guarded
    } - PUBLIC_WRITES
    assert not unguarded_writes, f"routes with a body that take anyone's: {sorted(unguarded_writes)}"
    wrong = []
    for method, path, _ in guarded:
        # A body that no schema accepts: a route that validates first answers 422 with its rules.
        response = await client.request(method, concrete(path), json={"surprise": [1, 2]})
        body = response.json() if response.headers.get("content-type", "").startswith("application/json") else {}
        if response.status_code != 401 or not str(body.get("code", "")).startswith("auth."):
            wrong.append(f"{method} {path}: {response.status_code} {response.text[:120]}")
    assert not wrong, "\n".join(wrong)


async def test_an_unknown_token_is_refused_before_the_body(client: Client) -> None:
    response = await client.post("/api/v1/lots", json={"surprise": 1}, headers={"Authorization": "Bearer nope"})
    assert response.status_code == 401
    assert response.json()["code"] == "auth.token_unknown"


async def test_a_huge_json_body_is_refused_by_size_before_parsing(client: Client, world: World) -> None:
    body = "{" + ",".join(f'"k{n}":1' for n in range(400_000)) + "}"
    assert len(body) > JSON_MAX_BYTES
    response = await client.post(
        "/api/v1/lots", content=body, headers={**world.auth("officer_tokmok"), "content-type": "application/json"}
    )
    assert response.status_code == 413, response.text[:200]
    assert response.json()["code"] == "request.json_too_large"
    # Without a Content-Type the body is still JSON to the parser, so it is bounded all the same.
    response = await client.post("/api/v1/lots", content=body, headers=world.auth("officer_tokmok"))
    assert response.status_code == 413


SHAPES = {
    "deep array": ("[" * 10_000 + "]" * 10_000, "request.json_too_deep"),
    "deep object": ('{"a":' * 100 + "1" + "}" * 100, "request.json_too_deep"),
    "many keys": ("{" + ",".join(f'"k{n}":1' for n in range(JSON_MAX_ITEMS + 1)) + "}", "request.json_too_many_items"),
    "nul": ('{"title_en": "a\\u0000b"}', "request.nul_character"),
}


async def test_json_shapes_beyond_the_bounds_are_refused(client: Client, world: World) -> None:
    headers = {**world.auth("officer_tokmok"), "content-type": "application/json"}
    answers = {
        name: await client.post("/api/v1/lots", content=body, headers=headers) for name, (body, _) in SHAPES.items()
    }
    wrong = {
        name: f"{answer.status_code} {answer.text[:200]}"
        for name, answer in answers.items()
        if answer.status_code not in {400, 422} or answer.json().get("code") != SHAPES[name][1]
    }
    assert not wrong


def test_the_scan_is_exact_on_valid_json() -> None:
    nested: Any = 1
    for _ in range(JSON_MAX_DEPTH):
        nested = [nested]
    assert json_problem(json.dumps(nested).encode()) is None
    assert json_problem(json.dumps([nested]).encode()) is not None
    # Brackets, commas and escaped quotes inside strings are text, not structure.
    tricky = {"a": '[[[[{{{{,,,,"' * 2000, "b": "\\u0000 is six characters", "c": 'say \\"hi\\"'}
    assert json_problem(json.dumps(tricky).encode()) is None
    assert json_problem(json.dumps({"a": "\x00"}).encode()) is not None
    # A newline-free run of quotes and backslashes costs linear time, not quadratic.
    assert json_problem(b'"\\' * 400_000) is None


async def test_unknown_fields_are_named(client: Client, world: World, clock: FrozenClock) -> None:
    response = await client.post(
        "/api/v1/lots", json=lot_terms(clock.now(), surprise=1), headers=world.auth("officer_tokmok")
    )
    assert response.status_code == 422
    assert response.json()["problems"] == [{"field": "surprise", "message": "This field is not known; remove it."}]


ODD_ADDRESSES = [
    f"/api/v1/lots/{HUGE}",
    f"/api/v1/lots/{HUGE}/versions",
    f"/api/v1/lots/{'9' * 5000}",
    f"/api/v1/ledger/lots/{HUGE}/entries",
    f"/lots/{HUGE}",
    f"/api/v1/lots?region={HUGE}",
    f"/api/v1/lots?min_price={HUGE}",
    f"/api/v1/lots?municipality=-{HUGE}",
    f"/api/v1/ledger/entries?start={HUGE}",
    f"/api/v1/ledger/proof/inclusion?index={HUGE}",
    f"/api/v1/ledger/proof/consistency?size1=1&size2={HUGE}",
    f"/api/v1/ledger/checkpoints?after={HUGE}",
    f"/?region={HUGE}",
    "/api/v1/lots?q=a%00b",
    "/?q=a%00b",
    "/api/v1/lots?cursor=%FF%FE",
    "/api/v1/lots?cursor=aWQ6OTk5OTk5OTk5OTk5OTk5OTk5OTk5OTk5OTk5",  # id:99999999999999999999999999999
    "/api/v1/lots?cursor=aWQ6LTE",  # id:-1
    "/api/v1/lots?cursor=====",
    "/?cursor=aWQ6OTk5OTk5OTk5OTk5OTk5OTk5OTk5OTk5OTk5",
]


async def test_odd_addresses_get_a_4xx(client: Client, world: World) -> None:
    wrong = []
    for path in ODD_ADDRESSES:
        response = await client.get(path, headers=world.auth("bidder"))
        # A page shows a filter it cannot use beside the results (200); the API refuses the request.
        lowest = 200 if not path.startswith("/api/") and "?" in path else 400
        if not lowest <= response.status_code < 500:
            wrong.append(f"{path}: {response.status_code} {response.text[:200]}")
    assert not wrong, "\n".join(wrong)


async def test_nul_in_a_form_and_in_an_id_field_gets_a_4xx(client: Client, world: World) -> None:
    response = await client.post("/api/v1/auth/token", json={"email": "a\u0000@test.kg", "password": "x" * 12})
    assert response.status_code == 422
    response = await client.post("/login", data={"email": "a\x00@test.kg", "password": "x" * 12})
    assert 400 <= response.status_code < 500
    assert DB_INT_MAX == 2**63 - 1


# Pages anyone may post a form to (the language switch is on every page, for visitors too).
# Forms for visitors without an account (or who forgot its password).
PUBLIC_FORMS = {"/login", "/register", "/language", "/account/password-reset", "/account/password-reset/{token:str}"}


async def test_anonymous_form_posts_to_pages_that_need_an_account_go_to_log_in(client: Client) -> None:
    await client.get("/")
    csrf = {"x-csrftoken": client.cookies.get("csrftoken") or ""}
    wrong = []
    for route in client.app.routes:
        if route.path.startswith(("/api/", "/static")) or route.path in PUBLIC_FORMS:
            continue
        for handler in getattr(route, "route_handlers", []):
            if isinstance(handler, HTTPRouteHandler) and "POST" in handler.http_methods and takes_body(handler):
                path = concrete(route.path)
                response = await client.post(path, data={"surprise": "1"}, headers=csrf, follow_redirects=False)
                if not (300 <= response.status_code < 400 and "/login" in response.headers.get("location", "")):
                    wrong.append(f"{path}: {response.status_code} {response.headers.get('location')}")
    assert not wrong, wrong
