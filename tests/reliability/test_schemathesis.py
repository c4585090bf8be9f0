"""Schemathesis over the whole OpenAPI, as an anonymous visitor, a bidder and an officer: no server errors, and every
answer is one the schema documents (status, content type, body).

The real app, served by uvicorn in a thread of this process (its lifespan and its own event loop), against a real
PostgreSQL database of the test's own. Bounded: a few deterministic examples per operation, no shrinking.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
import uvicorn
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis.checks import not_a_server_error
from schemathesis.core.result import Err, Ok
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from auction.clock import FrozenClock
from auction.settings import Settings
from tests.kit.world import World

pytestmark = [pytest.mark.postgres, pytest.mark.own_database]

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
EXAMPLES = {schemathesis.GenerationMode.POSITIVE: 2, schemathesis.GenerationMode.NEGATIVE: 2}


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def served(backend: str, settings: Settings, clock: FrozenClock, world: World) -> Iterator[str]:
    """The app at a local address, until the test ends."""
    if backend != "postgres":
        pytest.skip("the fuzzer runs against the production database, PostgreSQL")
    from web.app import create_app

    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(create_app(settings, clock), host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        assert thread.is_alive(), "the app did not start"
        assert time.monotonic() < deadline, "the app did not start within a minute"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)


def fuzz(operation: Any, base: str, headers: dict[str, str], mode: schemathesis.GenerationMode) -> str | None:
    """The first failure Hypothesis finds on one operation as one identity, in words; None when there is none."""

    @settings(
        max_examples=EXAMPLES[mode],
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(generation_mode=mode))
    def run(case: Any) -> None:
        response = case.call(base_url=base, headers=headers, timeout=30)
        case.validate_response(response, checks=CHECKS, headers=headers)

    try:
        run()
    except Unsatisfiable:
        return None  # no invalid request exists for this operation (nothing to send but the path)
    except (Exception, BaseExceptionGroup) as failure:  # each operation's failures are collected, then all reported
        return f"{operation.method.upper()} {operation.path} [{mode.value}]: {str(failure)[:600]}"
    return None


def test_the_whole_api_as_three_identities(served: str, world: World) -> None:
    schema = schemathesis.openapi.from_url(f"{served}/schema/openapi.json")
    results = list(schema.get_all_operations())
    broken = [str(result.err()) for result in results if isinstance(result, Err)]
    assert not broken, f"the OpenAPI document has operations a client cannot read: {broken}"
    operations = [result.ok() for result in results if isinstance(result, Ok)]
    # A live stream never ends: it is tested where it is written (tests/web, the live panel).
    operations = [op for op in operations if not op.path.endswith("/stream")]
    assert len(operations) > 50, "the schema should list the whole API"
    identities = {"anonymous": {}, "bidder": world.auth("bidder"), "officer": world.auth("officer_tokmok")}
    failures = []
    for name, headers in identities.items():
        for operation in operations:
            for mode in EXAMPLES:
                if (failure := fuzz(operation, served, headers, mode)) is not None:
                    failures.append(f"{name}: {failure}")
    assert not failures, "\n\n".join(failures)
