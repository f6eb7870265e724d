"""The page callbacks' error guard (``console.pages.actions.guarded``), on a real Dash app
(no database): under ``@app.callback``, with an allow_duplicate output, a domain error with a
code answers its text in the page's language at the message output and no_update elsewhere;
an unexpected error answers the generic text, never its own, and is logged with its
traceback."""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterator
from typing import Any

import dash
import pytest
from dash import Input, Output, State, html
from dash.exceptions import PreventUpdate
from fastapi.testclient import TestClient

from console import i18n
from console.pages.actions import guarded
from console.server import errors
from geo.errors import NotFound

NOT_FOUND = NotFound("Case 7 does not exist.", code="incident.not_found", id=7)


def _raise(what: str) -> Any:
    if what == "geo":
        raise NOT_FOUND
    if what == "prevent":
        raise PreventUpdate
    if what == "ok":
        return "fine"
    raise RuntimeError("secret detail: password=hunter2")


def _speaking(fn: Any) -> Any:
    """What the sign-in middleware does around every callback: the page's language (here
    the callback's last argument) is the request's."""

    async def call(what: str, lang: str | None) -> Any:
        with i18n.speaking(lang):
            return await fn(what)

    return call


@pytest.fixture(scope="module")
def client() -> Iterator[TestClient]:
    app = dash.Dash(__name__, backend="fastapi")
    app.layout = html.Div([html.Div(id=i) for i in ("go", "one", "data", "msg", "flag")])

    @app.callback(
        Output("data", "children"),
        Output("msg", "children", allow_duplicate=True),
        Output("flag", "title"),
        Input("go", "title"),
        State("go", "lang"),
        prevent_initial_call=True,
    )
    @_speaking
    @guarded(at=1, fill={2: True})
    def several(what: str) -> tuple[Any, ...]:
        return "data", _raise(what), False

    @app.callback(Output("one", "children"), Input("go", "className"), State("go", "lang"))
    @_speaking
    @guarded()
    def single(what: str) -> Any:
        return _raise(what)

    released = threading.Event()

    @app.callback(
        Output("go", "children"),
        Input("go", "accessKey"),
        State("go", "lang"),
        prevent_initial_call=True,
    )
    @guarded()
    def wait_or_release(what: str, _lang: str) -> str:
        """``wait``: block (as a slow query would) until another call says ``release``."""
        if what == "release":
            released.set()
            return "released it"
        return "was released" if released.wait(20) else "nobody could get through"

    for hook in list(app.backend._before_request_funcs):  # noqa: SLF001 - as console.app
        hook()
    with TestClient(app.server) as c:
        yield c


def _call(client: TestClient, prop: str, what: str, lang: str | None) -> dict[str, Any]:
    """POST the call the browser makes when ``go.prop`` changes to ``what``."""
    deps = client.get("/_dash-dependencies").json()
    output = next(d["output"] for d in deps if d["inputs"][0]["property"] == prop)
    outputs = [dict(zip(("id", "property"), o.split(".", 1), strict=True))
               for o in output.strip(".").split("...")]  # fmt: skip
    body = {
        "output": output,
        "outputs": outputs if output.startswith("..") else outputs[0],
        "inputs": [{"id": "go", "property": prop, "value": what}],
        "state": [{"id": "go", "property": "lang", "value": lang}],
        "changedPropIds": [f"go.{prop}"],
    }
    r = client.post("/_dash-update-component", content=json.dumps(body),
                    headers={"Content-Type": "application/json"})  # fmt: skip
    if r.status_code == 204:
        return {}
    assert r.status_code == 200, r.text
    out: dict[str, Any] = r.json()["response"]
    return out


def _text(component: dict[str, Any]) -> str:
    assert component["props"]["className"] == "gd-msg-err"
    return str(component["props"]["children"][1]["props"]["children"])


def test_a_coded_domain_error_is_the_message_in_the_page_language(
    client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    out = _call(client, "title", "geo", "zh-CN")
    assert _text(out["msg"]["children"]) == "事件 7 不存在。"
    assert out["flag"] == {"title": True}  # fill
    assert "data" not in out  # no_update: not sent
    assert _text(_call(client, "title", "geo", "en")["msg"]["children"]) == "Case 7 does not exist."
    assert _text(_call(client, "className", "geo", "zh-CN")["one"]["children"]) == "事件 7 不存在。"
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


def test_an_unexpected_error_is_logged_and_shown_as_the_generic_text(
    client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    for prop, where, lang, generic in (
        ("title", ("msg", "children"), "zh-CN", i18n.t("zh-CN")["error.generic"]),
        ("className", ("one", "children"), "en", i18n.t("en")["error.generic"]),
        ("className", ("one", "children"), None, errors.INTERNAL),
    ):
        caplog.clear()
        out = _call(client, prop, "boom", lang)
        assert _text(out[where[0]][where[1]]) == generic
        assert "hunter2" not in json.dumps(out)
        logged = [r for r in caplog.records if r.levelno >= logging.ERROR]
        assert len(logged) == 1 and logged[0].exc_info is not None
        assert isinstance(logged[0].exc_info[1], RuntimeError)


def test_success_and_prevent_update_pass_through(client: TestClient) -> None:
    out = _call(client, "title", "ok", "en")
    assert out["data"] == {"children": "data"} and out["flag"] == {"title": False}
    assert out["msg"] == {"children": "fine"}
    assert _call(client, "className", "prevent", "en") == {}  # 204: nothing to update


def test_a_blocked_callback_does_not_hold_up_the_others(client: TestClient) -> None:
    """One desk's callback blocks (its query waits); another page's call still gets through
    and is what frees it. On the event loop the second call would wait for the first, which
    gives up after 20 s and says so."""
    first: dict[str, Any] = {}
    waiting = threading.Thread(
        target=lambda: first.update(_call(client, "accessKey", "wait", "en")), daemon=True
    )
    waiting.start()
    second = _call(client, "accessKey", "release", "en")
    waiting.join(30)
    assert second == {"go": {"children": "released it"}}
    assert first == {"go": {"children": "was released"}}
