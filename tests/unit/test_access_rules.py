"""Pure rules of access: permissions, jurisdiction paths, phone masking, the sign-in page's
redirect target and the callback envelope check."""

from __future__ import annotations

import json

import pytest

from console.server.auth import _callback_body, _passive, _safe_next
from geo.access import SYSTEM, Principal, mask_phone
from geo.errors import Forbidden, InvalidInput


def test_roles_and_jurisdiction() -> None:
    street = Principal("user:a", "operator", "430200.430202.430202001")
    assert street.may("dispatch") and street.may("see_phone") and not street.may("plan")
    assert street.covers("430200.430202.430202001.430202001003")
    assert not street.covers("430200.430202.430202002") and not street.covers("430200.430202")
    assert not street.covers("430200.430202.4302020010")  # a prefix is not a parent
    with pytest.raises(Forbidden):
        Principal("user:p", "planner", "430200").require("dispatch")
    assert Principal("user:s", "supervisor", "430200").may("watch")
    assert not Principal("user:s", "supervisor", "430200").may("see_phone")
    assert SYSTEM.covers("430200.430211") and SYSTEM.may("audit")
    token = Principal("api:x", "api", "430200", extra=frozenset({"incidents:read"}))
    assert token.may("incidents:read") and not token.may("see_phone")


def test_phones_are_masked_but_keep_their_shape() -> None:
    assert mask_phone("13812345678") == "138******78"
    assert mask_phone("0731-2288 5566") == "073*-**** **66"
    assert mask_phone(None) is None and mask_phone("") == ""


def test_after_sign_in_only_a_local_path_is_followed() -> None:
    assert _safe_next("/supervision?lang=en") == "/supervision?lang=en"
    for bad in (None, "", "https://evil.example/", "//evil.example/x", "/\\\\evil", "javascript:x"):
        assert _safe_next(bad) == "/dispatch"


def _body(**kw: object) -> bytes:
    return json.dumps({"output": "x.children", "inputs": [], "state": [], **kw}).encode()


def test_callback_envelope() -> None:
    ok = _callback_body(_body(changedPropIds=["counter-tick.n_intervals"]))
    assert _passive(ok)
    assert not _passive(_callback_body(_body(changedPropIds=["desk-sel.data"])))
    assert _passive(_callback_body(_body(changedPropIds=["live-cases.data"])))
    router = {"id": "_pages_location", "property": "pathname", "value": "/planning"}
    assert _callback_body(_body(inputs=[router]))
    for bad in (
        b"not json",
        b"[1, 2]",
        _body(output=5),
        _body(inputs="x"),
        _body(inputs=[5]),
        _body(inputs=[{**router, "value": "planning"}]),
        _body(inputs=[{**router, "value": {"a": 1}}]),
    ):
        with pytest.raises(InvalidInput):
            _callback_body(bad)
