"""Slack's Block Kit rules, as the stand-in judges a message's blocks or a view: its documented
limits (section text 3,000, header 150, field 2,000, button text 75, 50 blocks a message, 100
a view...) and the shapes it takes, each problem worded as Slack words it.

Tests hold any rendered blocks against the same rules (`problems`). The limits are Slack's
(docs.slack.dev/reference/block-kit), kept apart from the bot's own, so the stand-in stays an
independent judge.
"""

from __future__ import annotations

from typing import Any

Answer = dict[str, Any]

MESSAGE_TEXT = 40_000
MESSAGE_BLOCKS = 50
VIEW_BLOCKS = 100
PRIVATE_METADATA = 3000
VIEW_TITLE = 24
ID = 255  # block_id, action_id, callback_id, external_id
BLOCK_TYPES = frozenset(
    {"section", "header", "context", "divider", "actions", "input", "image", "rich_text"}
)
INPUT_ELEMENTS = frozenset(
    {
        "plain_text_input",
        "static_select",
        "multi_static_select",
        "users_select",
        "multi_users_select",
        "conversations_select",
        "channels_select",
        "checkboxes",
        "radio_buttons",
        "datepicker",
        "timepicker",
        "number_input",
        "email_text_input",
        "url_text_input",
    }
)
ACTION_ELEMENTS = INPUT_ELEMENTS | {"button", "overflow"}


def problems(payload: Any, surface: str) -> list[str]:
    """Every rule `payload` breaks: `surface` "message" (a list of blocks) or "view" (a
    modal or Home view); each problem ends with its JSON pointer, as Slack reports it."""
    check = _Check()
    if surface == "view":
        check.view(payload)
    else:
        check.blocks(payload, "/blocks", MESSAGE_BLOCKS)
    return check.found


class _Check:
    def __init__(self) -> None:
        self.found: list[str] = []

    def fail(self, what: str, at: str) -> None:
        self.found.append(f"{what} [json-pointer:{at}]")

    def length(self, value: Any, most: int, at: str, *, least: int = 0) -> None:
        if not isinstance(value, str):
            self.fail("must be a string", at)
        elif len(value) > most:
            self.fail(f"must be less than {most + 1} characters", at)
        elif len(value) < least:
            self.fail(f"must be at least {least} characters", at)

    def view(self, view: Any) -> None:
        if not isinstance(view, dict) or view.get("type") not in ("modal", "home"):
            self.fail("must provide an object of type modal or home", "/view")
            return
        if view["type"] == "modal":
            self.text(view.get("title"), VIEW_TITLE, "/view/title", plain_only=True)
            for key in ("submit", "close"):
                if key in view:
                    self.text(view[key], VIEW_TITLE, f"/view/{key}", plain_only=True)
            blocks = view.get("blocks") if isinstance(view.get("blocks"), list) else []
            inputs = any(isinstance(b, dict) and b.get("type") == "input" for b in blocks)
            if inputs and "submit" not in view:
                self.fail("a view with inputs must have a submit button", "/view/submit")
        if "private_metadata" in view:
            self.length(view["private_metadata"], PRIVATE_METADATA, "/view/private_metadata")
        for key in ("callback_id", "external_id"):
            if key in view:
                self.length(view[key], ID, f"/view/{key}")
        self.blocks(view.get("blocks"), "/view/blocks", VIEW_BLOCKS)

    def blocks(self, blocks: Any, at: str, most: int) -> None:
        if not isinstance(blocks, list):
            self.fail("must provide an array", at)
            return
        if len(blocks) > most:
            self.fail(f"must provide no more than {most} items", at)
        ids: set[str] = set()
        for n, block in enumerate(blocks):
            where = f"{at}/{n}"
            if not isinstance(block, dict) or block.get("type") not in BLOCK_TYPES:
                self.fail("must be a block of a known type", where)
                continue
            if "block_id" in block:
                self.length(block["block_id"], ID, f"{where}/block_id", least=1)
                if block["block_id"] in ids:
                    self.fail("block_id must be unique", f"{where}/block_id")
                ids.add(block["block_id"])
            getattr(self, f"_{block['type']}", lambda _b, _w: None)(block, where)

    # -- blocks ------------------------------------------------------------------------------

    def _section(self, block: Answer, at: str) -> None:
        if "text" not in block and "fields" not in block:
            self.fail("must provide text or fields", at)
        if "text" in block:
            self.text(block["text"], 3000, f"{at}/text")
        if "fields" in block:
            fields = block["fields"]
            if not isinstance(fields, list) or not 1 <= len(fields) <= 10:
                self.fail("must provide 1 to 10 fields", f"{at}/fields")
            else:
                for n, field in enumerate(fields):
                    self.text(field, 2000, f"{at}/fields/{n}")
        if "accessory" in block:
            self.element(block["accessory"], f"{at}/accessory", ACTION_ELEMENTS | {"image"})

    def _header(self, block: Answer, at: str) -> None:
        self.text(block.get("text"), 150, f"{at}/text", plain_only=True)

    def _context(self, block: Answer, at: str) -> None:
        elements = block.get("elements")
        if not isinstance(elements, list) or not 1 <= len(elements) <= 10:
            self.fail("must provide 1 to 10 elements", f"{at}/elements")
            return
        for n, element in enumerate(elements):
            if isinstance(element, dict) and element.get("type") == "image":
                self.image(element, f"{at}/elements/{n}")
            else:
                self.text(element, 2000, f"{at}/elements/{n}")

    def _actions(self, block: Answer, at: str) -> None:
        elements = block.get("elements")
        if not isinstance(elements, list) or not 1 <= len(elements) <= 25:
            self.fail("must provide 1 to 25 elements", f"{at}/elements")
            return
        for n, element in enumerate(elements):
            self.element(element, f"{at}/elements/{n}", ACTION_ELEMENTS)

    def _input(self, block: Answer, at: str) -> None:
        self.text(block.get("label"), 2000, f"{at}/label", plain_only=True)
        if "hint" in block:
            self.text(block["hint"], 2000, f"{at}/hint", plain_only=True)
        self.element(block.get("element"), f"{at}/element", INPUT_ELEMENTS)

    def _image(self, block: Answer, at: str) -> None:
        self.image(block, at)
        if "title" in block:
            self.text(block["title"], 2000, f"{at}/title", plain_only=True)

    # -- composition objects and elements ----------------------------------------------------

    def text(self, value: Any, most: int, at: str, *, plain_only: bool = False) -> None:
        kinds = ("plain_text",) if plain_only else ("plain_text", "mrkdwn")
        if not isinstance(value, dict) or value.get("type") not in kinds:
            self.fail(f"must be a text object of type {' or '.join(kinds)}", at)
            return
        self.length(value.get("text"), most, f"{at}/text", least=1)

    def image(self, image: Answer, at: str) -> None:
        if "image_url" not in image and "slack_file" not in image:
            self.fail("must provide image_url or slack_file", at)
        if "image_url" in image:
            self.length(image["image_url"], 3000, f"{at}/image_url", least=1)
        self.length(image.get("alt_text"), 2000, f"{at}/alt_text", least=1)

    def element(self, element: Any, at: str, allowed: frozenset[str]) -> None:
        if not isinstance(element, dict) or element.get("type") not in allowed:
            self.fail("must be an element allowed here", at)
            return
        kind = element["type"]
        if kind == "image":
            self.image(element, at)
            return
        if "action_id" in element:
            self.length(element["action_id"], ID, f"{at}/action_id", least=1)
        if "placeholder" in element:
            self.text(element["placeholder"], 150, f"{at}/placeholder", plain_only=True)
        if kind == "button":
            self.text(element.get("text"), 75, f"{at}/text", plain_only=True)
            if "value" in element:
                self.length(element["value"], 2000, f"{at}/value", least=1)
            if "url" in element:
                self.length(element["url"], 3000, f"{at}/url", least=1)
            if element.get("style", "primary") not in ("primary", "danger"):
                self.fail("style must be primary or danger", f"{at}/style")
            if "confirm" in element:
                self.confirm(element["confirm"], f"{at}/confirm")
        elif kind == "plain_text_input":
            if element.get("max_length", 0) > 3000:
                self.fail("must be no more than 3000", f"{at}/max_length")
        elif kind in ("static_select", "multi_static_select", "checkboxes", "radio_buttons"):
            self.options(element, at, 10 if kind in ("checkboxes", "radio_buttons") else 100)

    def options(self, element: Answer, at: str, most: int) -> None:
        options = element.get("options")
        if not isinstance(options, list) or not 1 <= len(options) <= most:
            self.fail(f"must provide 1 to {most} options", f"{at}/options")
            return
        plain_only = element["type"] in ("static_select", "multi_static_select")
        for n, option in enumerate(options):
            where = f"{at}/options/{n}"
            if not isinstance(option, dict):
                self.fail("must be an option object", where)
                continue
            self.text(option.get("text"), 75, f"{where}/text", plain_only=plain_only)
            self.length(option.get("value"), 150, f"{where}/value", least=1)
            if "description" in option:
                self.text(option["description"], 75, f"{where}/description")
        for key in ("initial_option", "initial_options"):
            chosen = element.get(key)
            chosen = [chosen] if key == "initial_option" and chosen is not None else chosen
            for n, option in enumerate(chosen or []):
                if option not in options:
                    self.fail("must be one of the options", f"{at}/{key}/{n}")

    def confirm(self, confirm: Any, at: str) -> None:
        if not isinstance(confirm, dict):
            self.fail("must be a confirmation dialog object", at)
            return
        self.text(confirm.get("title"), 100, f"{at}/title", plain_only=True)
        self.text(confirm.get("text"), 300, f"{at}/text")
        self.text(confirm.get("confirm"), 30, f"{at}/confirm", plain_only=True)
        self.text(confirm.get("deny"), 30, f"{at}/deny", plain_only=True)
