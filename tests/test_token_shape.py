"""`safety-bot run` and `safety-bot doctor` agree on what a bot token looks like: one pattern."""

from __future__ import annotations

import pytest

from bot.channels.telegram import cli
from bot.ops import checks
from bot.settings import SettingError

SECRET = "AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw0"  # the shape of BotFather's, made up


@pytest.mark.parametrize(
    ("token", "good"),
    [
        (f"123456789:{SECRET}", True),
        (f"1234567890123456:{SECRET}", True),
        (f"1234:{SECRET}", False),  # an id too short
        (f"12345678901234567:{SECRET}", False),  # more than 52 bits
        ("123456789:short", False),
        (f"123456789:{SECRET[:-1]}!", False),
        (f"bot123456789:{SECRET}", False),  # pasted with the URL's "bot"
    ],
)
def test_run_and_doctor_accept_the_same_tokens(
    token: str, good: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(cli.TOKEN_ENV, token)
    try:
        cli.read_token()
        run_accepts = True
    except SettingError:
        run_accepts = False
    assert run_accepts is good
    assert (checks.check_token_format(token) is None) is good


def test_there_is_one_pattern() -> None:
    assert cli.TOKEN_RE is checks.TOKEN_RE
