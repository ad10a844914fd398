"""My paging in App Home and its three forms: the viewer's contacts (in use, waiting for a
code), their rules and where those come from, their last changes, and the buttons that edit
them, ask for a code, take one, or send a test page."""

from __future__ import annotations

from typing import Any

from bot.core.paging import medium_name
from bot.services.my_paging_view import Change, Contact, MyPaging
from bot.slack import mrkdwn as md
from bot.slack.blocks import kit
from bot.slack.ids import Action, Field, FieldElement, View

HEADER = "My paging"
MEDIA = {"email": "E-mail", "phone": "Phone (SMS, voice)", "ntfy": "ntfy"}
NAMES = {"email": "e-mail", "phone": "phone", "ntfy": "ntfy topic"}
RULES_FROM = {
    "mine": "yours, set here",
    "config": "from the config's `people:`",
    "default": "everyone's default, `paging.default_rules`",
}
CODE_STATES = {
    "coming": "its code is on its way",
    "sent": "enter the code sent to it (it holds until {until})",
    "expired": "its code expired: send a new one",
    "void": "its code was wrong 5 times: send a new one",
}
RULES_HINT = (
    "One rule a line, `<after>: <media>`: `0m: slack, ntfy`, then `5m: sms, voice`. Media: "
    "slack, email, ntfy, sms, voice, apprise. Empty: the config's rules."
)


def section(mine: MyPaging, zone, notice: str = "") -> list[dict[str, Any]]:
    """The blocks of My paging (at most 8); `notice` says what the last click did."""
    blocks: list[dict[str, Any]] = [kit.header(HEADER)]
    if notice:
        blocks.append(kit.context(md.escape(notice)))
    lines = ["• *Slack*: a direct message, always"]
    lines += [_contact(contact, zone) for contact in mine.contacts]
    if mine.apprise:
        lines.append(f"• *Apprise*: {mine.apprise} URL(s) under `people:` in the config")
    blocks.append(kit.section("\n".join(lines)))
    rules = "\n".join(f"• `{md.escape(line)}`" for line in mine.rules)
    blocks.append(kit.section(f"*Rules* ({RULES_FROM[mine.rules_from]}):\n{rules}"))
    if mine.changes:
        changed = "\n".join(_change(change, zone) for change in mine.changes)
        blocks.append(kit.context(f"*Last changes*\n{changed}"))
    blocks.append({"type": "actions", "elements": _buttons(mine)})
    blocks.append({"type": "divider"})
    return blocks


def _contact(contact: Contact, zone) -> str:
    if contact.address:
        whose = "yours" if contact.mine else "from the config"
        line = f"• *{MEDIA[contact.medium]}*: {md.escape(contact.address)} _({whose})_"
    else:
        line = f"• *{MEDIA[contact.medium]}*: _none_"
    if contact.pending:
        until = md.when(contact.expires_at, zone) if contact.expires_at else ""
        state = CODE_STATES[contact.code].format(until=until)
        line += f"\n    new: {md.escape(contact.pending)}, not used yet: {state}"
    return line


def _buttons(mine: MyPaging) -> list[dict[str, Any]]:
    buttons = [
        kit.button("Edit contacts", Action.PAGING_CONTACTS, "home"),
        kit.button("Edit rules", Action.PAGING_RULES, "home"),
    ]
    for contact in mine.pending:
        name = NAMES[contact.medium]
        if contact.code in ("coming", "sent"):
            buttons.append(
                kit.button(f"Enter {name} code", Action.PAGING_CODE, contact.medium, "primary")
            )
        buttons.append(kit.button(f"New {name} code", Action.PAGING_RESEND, contact.medium))
    buttons.append(kit.button("Send me a test page", Action.PAGING_TEST, "home"))
    return buttons


def _change(change: Change, zone) -> str:
    return f"{md.when(change.at, zone, md.DAY_TIME)} · {md.escape(_words(change))}"


def _words(change: Change) -> str:
    """What an audit row about My paging says, in a few words."""
    before, after = change.before or {}, change.after or {}
    medium = NAMES.get(after.get("medium") or before.get("medium") or "", "")
    action = change.action
    if action == "paging.contact.set":
        if "pending" in after:
            return f"new {medium} {after['pending']} waits for its code"
        return f"{medium} set to {after.get('address')}"
    if action == "paging.contact.remove":
        if "address" in before:
            return f"{medium} {before['address']} removed"
        return f"new {medium} {before.get('pending')} dropped"
    if action == "paging.code.send":
        return f"code sent to {after.get('to')}"
    if action == "paging.verify" and change.outcome == "done":
        return f"{medium} {after.get('address')} verified"
    if action == "paging.verify":
        void = ": the code is void" if after.get("void") else ""
        return f"wrong {medium} code ({after.get('tries')} of 5){void}"
    if action == "paging.rules.set":
        return "rules set: " + "; ".join(after.get("rules") or [])
    if action == "paging.rules.remove":
        return "your rules removed: the config's apply"
    if action == "paging.test":
        return "test page by " + ", ".join(medium_name(m) for m in after.get("media") or [])
    return action


def _text_input(multiline: bool = False, initial: str | None = None, **extra) -> dict:
    element = {"type": "plain_text_input", "action_id": FieldElement.VALUE, **extra}
    if multiline:
        element["multiline"] = True
    if initial:
        element["initial_value"] = initial
    return element


def contacts_modal(mine: MyPaging) -> dict[str, Any]:
    """E-mail, phone and ntfy topic, each as it is now (a new one waiting for its code)."""

    def now(medium: str) -> str | None:
        contact = mine.contact(medium)
        return contact.pending or contact.address

    blocks = [
        kit.input(
            Field.EMAIL,
            "E-mail",
            _text_input(initial=now("email"), max_length=254),
            optional=True,
            hint="A new address is used once you enter the code sent to it. Empty: the "
            "config's address, if any.",
        ),
        kit.input(
            Field.PHONE,
            "Phone, for SMS and voice",
            _text_input(initial=now("phone"), max_length=24),
            optional=True,
            hint="In international form: +4915112345678. A new number is used once you "
            "enter the code sent to it by SMS.",
        ),
        kit.input(
            Field.NTFY,
            "ntfy topic",
            _text_input(initial=now("ntfy"), max_length=64),
            optional=True,
            hint="Subscribe to it in the ntfy app; letters, digits, - and _. Hard to guess "
            "is good: anyone who knows it can read your pages.",
        ),
    ]
    return _modal(View.PAGING_CONTACTS, "My contacts", blocks)


def rules_modal(mine: MyPaging) -> dict[str, Any]:
    blocks = [
        kit.input(
            Field.RULES,
            "When each medium pages you",
            _text_input(True, "\n".join(mine.rules), max_length=1000),
            optional=True,
            hint=RULES_HINT,
        )
    ]
    return _modal(View.PAGING_RULES, "My paging rules", blocks)


def code_modal(contact: Contact) -> dict[str, Any]:
    """The code sent to `contact`'s new address; the medium rides in `private_metadata`."""
    label = f"The code sent to {contact.pending}"
    blocks = [kit.input(Field.CODE, label, _text_input(max_length=12, min_length=6))]
    return _modal(View.PAGING_CODE, "Enter code", blocks, contact.medium, submit="Verify")


def _modal(
    callback: View, title: str, blocks: list, metadata: str = "", submit: str = "Save"
) -> dict[str, Any]:
    view = {
        "type": "modal",
        "callback_id": callback,
        "title": kit.plain(title),
        "submit": kit.plain(submit),
        "close": kit.plain("Cancel"),
        "private_metadata": metadata,
        "blocks": blocks,
    }
    return kit.view(view)
