"""The OpenAPI schema fuzzed with schemathesis (bounded): every operation of the integration
API, with generated valid and invalid inputs and a token holding every scope, must never
answer 5xx. It runs on a database of its own (the fuzzer writes whatever it may)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings

from console import settings as settings_mod
from console.app import create_app
from console.server import state
from geo.access import tokens
from geo.db import connect
from tests.conftest import fresh_database

FUZZ_DB = "griddispatch_fuzz"
MAX_EXAMPLES = 30


@pytest.fixture(scope="module")
def fuzz_app(cluster, tiny_city) -> Iterator[tuple[object, str]]:  # type: ignore[no-untyped-def]
    from data.demo.load import load

    conninfo = fresh_database(cluster, FUZZ_DB)
    with connect(conninfo) as conn:
        load(conn, tiny_city)
        secret = tokens.create(conn=conn, name="fuzz", scopes=list(tokens.SCOPES))
        conn.commit()
    state.close()
    cfg = settings_mod.replace(settings_mod.load(), database_url=conninfo, escalation_every_s=0)
    app = create_app(cfg).server
    yield app, secret
    state.close()


def test_no_operation_answers_5xx(fuzz_app) -> None:  # type: ignore[no-untyped-def]
    """Each operation gets up to MAX_EXAMPLES generated requests (derandomized, so a run is
    repeatable); a 5xx fails the test with the request that caused it."""
    app, secret = fuzz_app
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    auth = {"Authorization": f"Bearer {secret}"}
    operations, calls, failures = 0, [0], []
    for result in schema.get_all_operations():
        op = result.ok()
        operations += 1

        @settings(max_examples=MAX_EXAMPLES, derandomize=True, deadline=None, database=None,
                  suppress_health_check=list(HealthCheck), phases=[Phase.explicit,
                  Phase.generate])  # fmt: skip
        @given(case=op.as_strategy())
        def fuzz(case) -> None:  # type: ignore[no-untyped-def]
            calls[0] += 1
            response = case.call(headers={**(case.headers or {}), **auth})
            if response.status_code >= 500:
                failures.append(f"{case.method} {case.formatted_path} -> "
                                f"{response.status_code}: {case.body!r:.200}")  # fmt: skip

        fuzz()
    print(f"fuzzed {operations} operations with {calls[0]} requests")
    assert operations >= 15 and calls[0] >= 10 * operations
    assert not failures, failures[:5]
