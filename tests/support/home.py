"""App Home as a test reads it: open the tab with a signed event, read a section."""

from __future__ import annotations

from tests.support import signing


async def open_home(bot, double, user: str) -> list[dict]:
    before = len(double.calls_to("views.publish"))
    event = {"type": "app_home_opened", "user": user, "channel": "D0HOME", "tab": "home"}
    response = await bot.post_signed(signing.event_body(event))
    assert response.status == 200
    published = await double.wait_for("views.publish", before + 1)
    call = published[before]
    assert call.params["user_id"] == user and call.params["view"]["type"] == "home"
    return call.params["view"]["blocks"]


def section_under(blocks: list[dict], header: str) -> str:
    """The text of the blocks after a header, up to the next header."""
    start = next(
        i for i, b in enumerate(blocks) if b["type"] == "header" and b["text"]["text"] == header
    )
    texts = []
    for block in blocks[start + 1 :]:
        if block["type"] == "header":
            break
        if block["type"] == "section":
            texts.append(block["text"]["text"])
        if block["type"] == "context":
            texts += [e["text"] for e in block["elements"]]
    return "\n".join(texts)
