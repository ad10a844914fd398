"""My paging as a test drives it: a Firebell whose pages reach a real SMTP server, the ntfy
double and the Twilio double; the App Home buttons clicked and the forms submitted as signed
Slack requests; the codes read where they arrive."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from bot.sandbox.standin.server import SlackDouble
from tests.support import signing
from tests.support.harness import Bot, modal_values
from tests.support.ntfy import NtfyDouble
from tests.support.smtp import MailServer
from tests.support.twilio import ACCOUNT_SID, AUTH_TOKEN, NUMBER, TwilioDouble

CODE = re.compile(r"\b(\d{6})\b")


class MediaBot(Bot):
    def __init__(
        self, *args, mail: MailServer, ntfy: NtfyDouble, twilio: TwilioDouble, **kwargs
    ) -> None:
        super().__init__(*args, **kwargs)
        self.mail, self.ntfy, self.twilio = mail, ntfy, twilio

    def settings(self, **overrides):
        media = {
            "firebell_smtp_url": self.mail.url(),
            "firebell_smtp_from": "firebell@example.com",
            "firebell_ntfy_url": self.ntfy.url,
            "firebell_public_url": "https://firebell.example.com",
            "firebell_twilio_account_sid": ACCOUNT_SID,
            "firebell_twilio_auth_token": AUTH_TOKEN,
            "firebell_twilio_from": NUMBER,
            "firebell_twilio_api_url": self.twilio.url,
        }
        return super().settings(**{**media, **overrides})


@asynccontextmanager
async def started(directory: Path, double: SlackDouble, config: str) -> AsyncIterator[MediaBot]:
    """A MediaBot with a real SMTP server, the ntfy double and the Twilio double, started."""
    async with MailServer() as mail, NtfyDouble() as ntfy, TwilioDouble() as twilio:
        running = MediaBot(directory, double, config=config, mail=mail, ntfy=ntfy, twilio=twilio)
        await running.start()
        try:
            yield running
        finally:
            await running.close()


async def press(bot: Bot, action: str, value: str = "home", user: str = "U0AAA") -> list[dict]:
    """Click a My paging button; the home published again afterwards, as blocks."""
    before = len(bot.double.calls_to("views.publish"))
    response = await bot.click(action, value, user=user)
    assert response.status == 200
    published = await bot.double.wait_for("views.publish", before + 1)
    assert published[before].params["user_id"] == user
    return published[before].params["view"]["blocks"]


async def open_form(bot: Bot, action: str, value: str = "home", user: str = "U0AAA") -> dict:
    """Click a button that opens a form; the modal as views.open got it."""
    before = len(bot.double.calls_to("views.open"))
    response = await bot.click(action, value, user=user)
    assert response.status == 200
    opened = await bot.double.wait_for("views.open", before + 1)
    return opened[before].params["view"]


async def submit(
    bot: Bot, callback_id: str, user: str = "U0AAA", metadata: str = "", **fields: str
) -> tuple[dict, list[dict] | None]:
    """Submit a form: its answer (`{}`, or the errors) and, when it changed something, the
    home published again."""
    before = len(bot.double.calls_to("views.publish"))
    body = signing.view_submission_body(
        callback_id, modal_values(**fields), private_metadata=metadata, user_id=user
    )
    response = await bot.post_signed(body)
    assert response.status == 200
    text = await response.text()
    answer = json.loads(text) if text else {}
    if answer.get("response_action") == "errors":
        return answer, None
    published = await bot.double.wait_for("views.publish", before + 1)
    return answer, published[before].params["view"]["blocks"]


def code_in(text: str) -> str:
    found = CODE.search(text)
    assert found, text
    return found.group(1)


def mailed_code(bot: MediaBot, to: str) -> str:
    """The code in the newest e-mail to `to`."""
    mail = [m for m in bot.mail.received if m.rcpt_tos == [to]][-1]
    return code_in(mail.message.get_content())


def texted_code(bot: MediaBot, to: str) -> str:
    """The code in the newest SMS to `to`."""
    texts = [m["body"] for m in bot.twilio.messages.values() if m["to"] == to]
    return code_in(texts[-1])


def home_text(blocks: list[dict]) -> str:
    """Every text of My paging, from its header on, one a line."""
    start = next(i for i, b in enumerate(blocks) if b.get("text", {}).get("text") == "My paging")
    out = []
    for block in blocks[start:]:
        if block.get("text"):
            out.append(block["text"]["text"])
        out += [e["text"] for e in block.get("elements", []) if e.get("type") == "mrkdwn"]
    return "\n".join(out)


def home_buttons(blocks: list[dict]) -> dict[str, str]:
    """My paging's buttons: label -> (action_id, value)."""
    return {
        e["text"]["text"]: (e["action_id"], e["value"])
        for b in blocks
        if b["type"] == "actions"
        for e in b["elements"]
    }
