"""Slack's request bodies read as Bolt reads them (`read_body`, `SlackRequest`), but for a
form holding the word "payload" outside a `payload` field (tests/slack/test_payload_word.py):
every form text, the interactions and events of Slack's own shapes, the context Bolt derives
from them, and the copies Bolt makes for lazy listeners."""

from __future__ import annotations

import json
from urllib.parse import parse_qsl, urlencode

from hypothesis import given
from hypothesis import strategies as st
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.request.internals import parse_body

from bot.slack.ids import Action
from bot.web.slack_events import SlackRequest, read_body
from tests.support import signing
from tests.support.shortcuts import message_action_body

FORM = "application/x-www-form-urlencoded"
# what a hostile or broken form may hold: separators, escapes good and bad, plus signs,
# bytes that are not UTF-8 once decoded, and text beyond ASCII
HOSTILE = st.text(
    alphabet=st.sampled_from("ab=&;%+2eEfF07Zz~ é€\x00") | st.characters(), max_size=60
)
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner, max_size=3),
    max_leaves=10,
)


@given(HOSTILE)
def test_any_form_reads_as_urllib_reads_it(raw):
    form = dict(parse_qsl(raw, keep_blank_values=True))
    if "payload" not in form and not raw.startswith("{"):
        assert read_body(raw, FORM) == form


@given(st.lists(st.tuples(st.sampled_from(["a", "b", "é"]) | st.text(), st.text()), max_size=6))
def test_a_command_form_reads_back_whatever_it_holds_the_last_of_a_name_kept(pairs):
    pairs = [(name, value) for name, value in pairs if name != "payload"]
    raw = urlencode(pairs)
    if not raw.startswith("{"):
        assert read_body(raw, FORM) == dict(pairs)


@given(st.dictionaries(st.text(), JSON_VALUES, max_size=5), st.text())
def test_an_interaction_is_its_payloads_json_as_bolt_reads_it(payload, noise):
    raw = urlencode({"payload": json.dumps(payload), "x": noise})
    assert read_body(raw, FORM) == payload == parse_body(raw, FORM)


def test_an_interaction_orjson_would_read_otherwise_is_read_as_bolt_reads_it():
    """NaN, 1e999, integers past 64 bits and lone surrogates, escaped or not: json's values."""
    for text in ['{"n": NaN, "x": 1e999}', f'{{"n": {2**64 + 1}}}', '{"s": "\\ud800"}']:
        for raw in [urlencode({"payload": text}), text]:
            assert repr(read_body(raw, FORM)) == repr(parse_body(raw, FORM)) != "{}"
    raw = "payload=" + '{"s": "%ED%A0%80"}'  # a lone surrogate's bytes, escaped in the form
    assert repr(read_body(raw, FORM)) == repr(parse_body(raw, FORM))


def test_json_bodies_and_empty_ones_read_as_bolt_reads_them():
    event = signing.event_body({"type": "reaction_added", "user": "U1", "reaction": "eyes"})
    for raw, content_type in [(event, "application/json"), (event, None), ("", FORM)]:
        assert read_body(raw, content_type) == parse_body(raw, content_type)


def slack_shapes() -> list[str]:
    return [
        signing.slash_command_body("declare sev2 checkout down"),
        signing.block_actions_body(Action.ACK, "12", user_id="U0CLICK"),
        signing.view_submission_body("declare", {}, user_id="U0FORM"),
        message_action_body("add_to_timeline", {"ts": "1.2", "text": "db up", "user": "U2"}),
        signing.event_body({"type": "reaction_added", "user": "U1", "reaction": "eyes"}),
    ]


def test_slacks_shapes_give_bolts_body_and_context_and_copies_keep_them():
    for raw in slack_shapes():
        headers = {"content-type": "application/json" if raw.startswith("{") else FORM}
        ours = SlackRequest(body=raw, headers=headers)
        bolts = AsyncBoltRequest(body=raw, headers=headers)
        assert ours.body == bolts.body and ours.raw_body == raw
        assert dict(ours.context) == dict(bolts.context)
        copy = ours.to_copyable()
        assert isinstance(copy, SlackRequest) and copy.body == ours.body
        assert copy.context["team_id"] == bolts.context["team_id"]
