"""Domain errors reach the user in the user's language: a coded error in zh-CN or English,
with its codes shown as labels; an error with no text for its code stays in English."""

from __future__ import annotations

from console import i18n
from console.server.errors import user_message
from geo.errors import Conflict, InvalidInput


def test_a_coded_error_speaks_the_users_language() -> None:
    exc = Conflict("An incident that is closed cannot become dispatched.",
                   code="incident.transition", status="closed", target="dispatched")  # fmt: skip
    assert user_message(exc, "zh-CN") == (409, "事件当前为“已办结”，不能改为“已分拨”。")
    assert user_message(exc, "en")[1] == "A case that is Closed cannot become Dispatched."
    assert user_message(exc)[1] == exc.user_message  # no language known: the English message


def test_the_request_language_is_used_and_unknown_codes_fall_back() -> None:
    with i18n.speaking("zh-CN"):
        counted = InvalidInput("x", code="dispatch.count")
        assert user_message(counted)[1] == "每次派遣 1 至 20 个力量。"
        assert user_message(InvalidInput("Plain English.", code="no.such"))[1] == "Plain English."
        assert user_message(InvalidInput("Plain English."))[1] == "Plain English."
        assert user_message(RuntimeError("boom"))[1] == i18n.t("zh-CN")["error.generic"]
    assert i18n.current() is None


def test_every_error_text_formats_in_both_languages() -> None:
    import string

    for lang in i18n.LANGS:
        for key, text in i18n.t(lang).items():
            if key.startswith("err."):
                names = {f for _, f, _, _ in string.Formatter().parse(text) if f}
                text.format(**{n.split("!")[0]: "x" for n in names})


def test_a_database_away_speaks_the_users_language() -> None:
    """What a desk is told while the database is away (``state.db`` refuses at once for a
    moment after a failure): in Chinese on a Chinese page, not the English fallback."""
    import time

    import pytest

    from console import settings as settings_mod
    from console.server import state
    from geo.access import Principal
    from geo.errors import DatabaseUnavailable

    who = Principal(actor="user:op", role="operator", scope="all")
    state._away_until = time.monotonic() + 60  # noqa: SLF001 - as after a failed request
    try:
        with pytest.raises(DatabaseUnavailable) as err, state.db(settings_mod.load(), who):
            pass
    finally:
        state._away_until = 0.0  # noqa: SLF001
    assert user_message(err.value, "zh-CN") == (503, i18n.t("zh-CN")["err.db_away"])
    assert "数据库" in user_message(err.value, "zh-CN")[1]
