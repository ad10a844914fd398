"""`firebell watchdog`'s flags: Firebell's durations, E.164 numbers, at least one route, and
each route's provider configured, all refused before any check."""

from __future__ import annotations

import pytest

from bot.cli import main


@pytest.fixture(autouse=True)
def _no_providers(monkeypatch):
    for name in ("FIREBELL_SMTP_URL", "FIREBELL_SMTP_FROM", "FIREBELL_TWILIO_ACCOUNT_SID"):
        monkeypatch.delenv(name, raising=False)


def test_it_needs_somewhere_to_page(capsys):
    assert main(["watchdog", "--url", "http://firebell:3000"]) == 2
    assert "say where to page" in capsys.readouterr().err


def test_each_route_needs_its_provider(capsys):
    assert main(["watchdog", "--url", "http://f:3000", "--page-email", "ops@example.com"]) == 2
    assert "--page-email needs FIREBELL_SMTP_URL and FIREBELL_SMTP_FROM" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("flags", "said"),
    [
        (["--every", "30 seconds"], "is not a duration like 15m"),
        (["--timeout", "0s"], "must be longer than zero"),
        (["--failures", "0"], "must be a whole number of at least 1"),
        (["--page-sms", "0151 123"], "must be a phone number in E.164"),
        (["--url", "firebell:3000"], "must be Firebell's base URL"),
        (["--page-email", " "], "must not be empty"),
    ],
)
def test_bad_flags_are_refused(capsys, flags, said):
    argv = ["watchdog", "--url", "http://firebell:3000", "--page-ntfy", "ops", *flags]
    with pytest.raises(SystemExit) as exit_:
        main(argv)
    assert exit_.value.code == 2 and said in capsys.readouterr().err
