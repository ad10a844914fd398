"""My paging's rules form: one rule a line, read with the config's own rule type, each problem
named with its line; contacts checked as the config checks them."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.config_paging import contact_problem, parse_rules, phone_typed, rule_lines


def test_lines_become_rules_and_back():
    rules = parse_rules("0m: slack, ntfy\n\n  5m: SMS voice  \n90s: email,email")
    assert [(r.after, r.via) for r in rules] == [
        (timedelta(0), ["slack", "ntfy"]),
        (timedelta(minutes=5), ["sms", "voice"]),
        (timedelta(seconds=90), ["email"]),
    ]
    assert rule_lines(rules) == ["0m: slack, ntfy", "5m: sms, voice", "1m30s: email"]
    assert parse_rules("\n".join(rule_lines(rules))) == rules
    assert parse_rules("  \n") == []


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("0m slack", "Line 1 (`0m slack`): write `<after>: <media>`, e.g. `5m: sms, voice`."),
        ("0m: slack\nlater: sms", "Line 2 (`later: sms`): `later` is not a time after the page"),
        ("0m: pager", "Line 1 (`0m: pager`): `pager` is not a medium; use slack, email, ntfy, "),
        ("5m:", "Line 1 (`5m:`): no medium; use slack"),
        ("\n".join(["0m: slack"] * 11), "At most 10 rules, one a line (11 given)."),
    ],
)
def test_each_problem_names_its_line(text, problem):
    with pytest.raises(ValueError) as caught:
        parse_rules(text)
    assert str(caught.value).startswith(problem)


def test_contacts_are_checked_as_the_config_checks_them():
    assert contact_problem("email", "alice@example.com") is None
    assert contact_problem("email", "alice") == "Not an e-mail address like alice@example.com."
    assert contact_problem("phone", phone_typed("+49 (151) 1234-5678")) is None
    assert phone_typed("0049 151 12345678") == "+4915112345678"
    assert contact_problem("phone", "015112345678").startswith("Not a number in international")
    assert contact_problem("ntfy", "alice-pager_7") is None
    assert contact_problem("ntfy", "a/b") == "Not 1 to 64 letters, digits, `-` or `_`."
