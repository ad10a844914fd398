"""manifest.yml and the code agree, in both directions."""

from __future__ import annotations

from pathlib import Path

import yaml

from bot.services.people import PeopleService
from bot.slack import preflight
from bot.slack.directory import Directory
from bot.slack.ids import Action, Command, Event, Shortcut, View
from bot.slack.listeners import actions, commands, events, shortcuts, views
from tests.support import signing
from tests.support.shortcuts import message_action_body, reaction_event
from tests.support.slack_views import buttons, card_of

MANIFEST = yaml.safe_load((Path(__file__).parents[2] / "manifest.yml").read_text())

# The scopes each Web API method the bot calls needs (api.slack.com/methods).
METHOD_SCOPES = {
    "auth.test": set(),
    "chat.postMessage": {"chat:write", "chat:write.public"},
    "chat.update": {"chat:write"},
    "chat.postEphemeral": {"chat:write"},
    "views.open": set(),
    "views.publish": set(),
    "users.lookupByEmail": {"users:read.email", "users:read"},
    "chat.getPermalink": set(),
    "files.getUploadURLExternal": {"files:write"},
    "files.completeUploadExternal": {"files:write"},
    "conversations.join": {"channels:join"},
    "conversations.replies": {"channels:history", "groups:history"},
    "conversations.history": {"channels:history", "groups:history", "im:history"},
    "conversations.open": {"im:write"},
    "usergroups.users.list": {"usergroups:read"},
    "conversations.info": {"channels:read", "groups:read"},
    "users.info": {"users:read"},
    "usergroups.list": {"usergroups:read"},
}
# Called only to look for a post whose answer was lost (a crash or a timeout) before posting it
# again: tests/slack/test_delivery_once.py makes them happen.
RECOVERY_METHODS = {"conversations.open", "conversations.history", "conversations.replies"}
# The scopes each subscribed event needs (api.slack.com/events).
EVENT_SCOPES = {"app_home_opened": set(), "reaction_added": {"reactions:read"}}
# Buttons on thread replies (a reminder's, the resolution's); every other action is on the card.
REPLY_ACTIONS = {Action.SNOOZE, Action.POSTMORTEM}
# My paging's buttons, in App Home (tests/services/test_my_paging_home.py renders each one).
HOME_ACTIONS = {a for a in Action if a.startswith("paging_")}


def manifest_commands() -> set[str]:
    return {c["command"] for c in MANIFEST["features"]["slash_commands"]}


def test_commands_in_manifest_are_exactly_those_the_code_registers():
    assert manifest_commands() == set(Command)
    for command in MANIFEST["features"]["slash_commands"]:
        assert command["should_escape"] is True  # mentions arrive as <@U…> ids


def test_events_in_manifest_are_exactly_those_the_code_handles():
    assert set(MANIFEST["settings"]["event_subscriptions"]["bot_events"]) == set(Event)
    assert MANIFEST["features"]["app_home"]["home_tab_enabled"] is True


def test_the_messages_tab_shows_a_persons_pages_and_takes_no_messages():
    """Pages sent to a person land in the app's Messages tab, where they find them again;
    read-only, as the bot reads no direct messages (app_home as Slack's manifest defines it)."""
    app_home = MANIFEST["features"]["app_home"]
    assert set(app_home) <= {
        "home_tab_enabled",
        "messages_tab_enabled",
        "messages_tab_read_only_enabled",
    }
    assert all(isinstance(value, bool) for value in app_home.values())
    assert app_home["messages_tab_enabled"] is True
    assert app_home["messages_tab_read_only_enabled"] is True


def test_shortcuts_in_manifest_are_exactly_those_the_code_registers():
    declared = MANIFEST["features"]["shortcuts"]
    assert {s["callback_id"] for s in declared} == set(Shortcut)
    assert all(s["type"] == "message" and len(s["name"]) <= 24 for s in declared)


async def test_each_kind_of_listener_is_registered_for_exactly_its_ids(bot):
    services = bot.app.services
    assert set(commands.listeners(services)) == set(Command)
    assert set(actions.listeners(services)) == set(Action)
    assert set(views.listeners(services)) == set(View)
    assert set(events.listeners(services)) == set(Event)
    assert set(shortcuts.listeners(services)) == set(Shortcut)


async def test_every_manifest_command_and_event_is_handled(bot, double):
    for command in manifest_commands():
        body = signing.slash_command_body("help", command=command)
        response = await bot.post_signed(body)
        assert response.status == 200, command
    unknown = await bot.post_signed(signing.slash_command_body("help", command="/not-ours"))
    assert unknown.status == 404
    for event in MANIFEST["settings"]["event_subscriptions"]["bot_events"]:
        body = signing.event_body({"type": event, "user": "U0ALICE", "tab": "home"})
        response = await bot.post_signed(body)
        assert response.status == 200, event
    await double.wait_for("views.publish")
    home = double.calls_to("views.publish")[0].params
    assert home["user_id"] == "U0ALICE" and home["view"]["type"] == "home"
    for shortcut in MANIFEST["features"]["shortcuts"]:
        body = message_action_body(shortcut["callback_id"], {"ts": "1.000001", "text": "hi"})
        response = await bot.post_signed(body)
        assert response.status == 200, shortcut["callback_id"]


async def test_interactivity_is_enabled_and_every_rendered_action_is_handled(bot, double):
    assert MANIFEST["settings"]["interactivity"]["is_enabled"] is True
    await bot.command("declare sev2 Manifest check")
    await bot.deliver()
    rendered = set(buttons(card_of(double)))
    assert rendered | {Action.REOPEN} == set(Action) - REPLY_ACTIONS - HOME_ACTIONS
    for action_id in sorted(Action):
        response = await bot.click(action_id, "999")
        assert response.status == 200, action_id
    for view in View:
        body = signing.view_submission_body(view, {}, private_metadata="999")
        response = await bot.post_signed(body)
        assert response.status == 200, view


async def test_scopes_cover_every_method_the_bot_calls_and_nothing_more(bot, double):
    await bot.command("declare sev1 Scopes")
    await bot.command("update INC-1 looking")
    await bot.command("ack INC-1")
    await bot.command("ack INC-1")
    await bot.click(Action.ACK, "1")
    await bot.command("")
    await bot.post_signed(signing.event_body({"type": "app_home_opened", "user": "U0A"}))
    await double.wait_for("views.open")
    await double.wait_for("views.publish")
    await bot.deliver()
    await bot.command("postmortem INC-1")  # files.uploadV2
    [card] = double.messages("C0INCIDENTS", top_level_only=True)
    reacted = reaction_event("U0BOB", "pushpin", "C0INCIDENTS", card["ts"])
    await bot.post_signed(signing.event_body(reacted))  # conversations.replies
    await bot.deliver()
    people = PeopleService(bot.app.db, bot.config, bot.clock)
    await Directory(bot.app.bolt.client, people).lookup("alice@example.com")  # at start-up
    await bot.app.groups.refresh()  # usergroups.users.list, at start-up and every 10 minutes
    await preflight.check(double.url, "xoxb-test", bot.config)  # `serve`, `check --slack`
    used = {c.method for c in double.calls} | RECOVERY_METHODS
    assert used <= set(METHOD_SCOPES), used - set(METHOD_SCOPES)
    granted = set(MANIFEST["oauth_config"]["scopes"]["bot"])
    needed = {"commands"} | set().union(*(METHOD_SCOPES[m] for m in used))
    needed |= set().union(*EVENT_SCOPES.values())
    assert set(EVENT_SCOPES) == set(Event)
    assert needed <= granted
    assert granted <= needed, f"unused scopes: {granted - needed}"
