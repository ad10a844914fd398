"""Pages by SMS and voice call through Twilio: a `Page` as an SMS of at most three segments
(`sms_text`) and as TwiML read aloud with a keypad choice (`voice_twiml`), sending them
(`send_sms`, `call`), what a failure means for the outbox sender (`classify`, `fails_over`),
and reading what Twilio sends back: signatures (`valid_signature`), replies (`parse_reply`,
`reply_twiml`, `gather_reply_twiml`) and delivery receipts (`receipt`, `failed`).

Twilio's REST API (2010-04-01): `POST {api}/2010-04-01/Accounts/{sid}/Messages.json` (To,
From, Body, StatusCallback) and `.../Calls.json` (To, From, Twiml, StatusCallback,
StatusCallbackEvent), form-encoded, with the Account SID and auth token as basic auth; the
answer is the resource created (`201`, `sid` SM... or CA..., `status: "queued"`). Refusals answer
`{"code": 21211, "message": ..., "more_info": ..., "status": 400}`. The twilio library builds
the TwiML and checks `X-Twilio-Signature`; its REST client is synchronous, so the calls are
made here with aiohttp.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import quote

import aiohttp

from bot.core.paging import Page
from bot.notify import http_refusal, network_failure, one_line, refusal_of
from bot.settings import Settings
from bot.slack.errors import Category, Failure

TIMEOUT = 15.0  # seconds for the whole request
RATE_LIMIT_WAIT = 5.0  # seconds, when a 429 says nothing (Twilio's 20429 sends no Retry-After)
API_VERSION = "2010-04-01"
# where Twilio reaches Firebell, under FIREBELL_PUBLIC_URL (the routes live in bot/web)
SMS_PATH = "/notify/twilio/sms"
VOICE_PATH = "/notify/twilio/voice"
GATHER_PATH = "/notify/twilio/voice/gather"
STATUS_PATH = "/notify/twilio/status"

# SMS: GSM-7 takes 153 characters a segment once a message is split, UCS-2 67 (UTF-16 units)
SEGMENTS = 3
GSM_LIMIT = 153 * SEGMENTS  # 459
UCS2_LIMIT = 67 * SEGMENTS  # 201
GSM_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM_EXTENDED = frozenset("^{}\\[~]|€\f")  # two septets each (an escape, then the character)
# typography that would turn a whole message into UCS-2 (a third of the room) for nothing
GSM_FRIENDLY = str.maketrans(
    {
        **dict.fromkeys("‘’‚‛′`", "'"),
        **dict.fromkeys("“”„‟″«»", '"'),
        **dict.fromkeys("‐‑‒–—―−", "-"),
        "…": "...",
    }
)
SMS_SEVERITY, SMS_TEAM = 20, 40  # characters

# voice: read slowly, each part its own <Say> with a pause between, the whole read twice
VOICE_TITLE = 150  # characters; Twilio takes at most 4,000 characters of inline TwiML
GATHER_TIMEOUT = 6  # seconds to wait for a key once the reading ends
PAUSE = 1  # second between parts
DIGIT_WORDS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")

ACK, ESCALATE = "ack", "escalate"
REPLIES: dict[str, Literal["ack", "escalate"]] = {
    "1": ACK,
    "ack": ACK,
    "acknowledge": ACK,
    "2": ESCALATE,
    "esc": ESCALATE,
    "escalate": ESCALATE,
}

# a receipt saying the page did not reach the person: the step goes through the next provider
FAILED_SMS = frozenset({"failed", "undelivered"})
FAILED_CALL = frozenset({"failed", "busy", "no-answer", "canceled"})
# refusals that no page through this account can get past: the login, the account, the From
# number (20003 authenticate, 20005/10001 account not active, 21210/21212 From not a verified
# caller id, 21603/21213 From missing, 21606 From cannot send SMS)
FATAL_CODES = frozenset({20003, 20005, 10001, 21210, 21212, 21213, 21603, 21606})
# the categories after which a step is sent through the next provider (see `fails_over`)
FAILOVER = frozenset({Category.TRANSIENT, Category.FATAL})


@dataclass(frozen=True)
class TwilioAccount:
    """The Twilio account pages go through: FIREBELL_TWILIO_* read once at start-up."""

    sid: str
    token: str = field(repr=False)
    from_number: str
    api_url: str = "https://api.twilio.com"

    @classmethod
    def from_settings(cls, settings: Settings) -> TwilioAccount | None:
        """The account, or None when no FIREBELL_TWILIO_* variable is set; ValueError naming
        the missing variables when only some are."""
        token = settings.firebell_twilio_auth_token
        values = {
            "FIREBELL_TWILIO_ACCOUNT_SID": settings.firebell_twilio_account_sid,
            "FIREBELL_TWILIO_AUTH_TOKEN": token.get_secret_value().strip() if token else None,
            "FIREBELL_TWILIO_FROM": settings.firebell_twilio_from,
        }
        missing = [name for name, value in values.items() if not value]
        if len(missing) == len(values):
            return None
        if missing:
            raise ValueError(f"Twilio pages also need {', '.join(missing)}")
        sid, secret, number = values.values()
        return cls(sid, secret, number, settings.firebell_twilio_api_url)

    def basic_auth(self) -> str:
        """The `Authorization` header: the Account SID and the auth token (by hand: aiohttp
        3.14 deprecates `BasicAuth`, and its replacement is not in 3.10)."""
        pair = f"{self.sid}:{self.token}".encode()
        return "Basic " + base64.b64encode(pair).decode("ascii")

    def url(self, resource: str) -> str:
        """`Messages` or `Calls`: where that resource is created."""
        base = self.api_url.strip().rstrip("/")
        return f"{base}/{API_VERSION}/Accounts/{quote(self.sid, safe='')}/{resource}.json"


class TwilioError(Exception):
    """Twilio refused a request, or answered with something that is not the resource created."""

    def __init__(
        self, status: int, code: int | None = None, message: str = "", retry_after: float = 0.0
    ) -> None:
        self.status, self.code, self.message, self.retry_after = status, code, message, retry_after
        super().__init__(f"twilio {status}" + (f" {code}" if code else "") + f": {message}")


@dataclass(frozen=True)
class Receipt:
    """A delivery receipt (status callback) for a message or a call."""

    sid: str  # SM.../MM... or CA...
    status: str  # queued, sent, delivered, undelivered, failed / completed, busy, no-answer...
    error_code: int | None
    medium: Literal["sms", "voice"]


def status_callback(public_url: str) -> str:
    """Where Twilio posts receipts: FIREBELL_PUBLIC_URL/notify/twilio/status."""
    return public_url.strip().rstrip("/") + STATUS_PATH


# --- SMS ---


def _gsm(text: str) -> bool:
    return all(ch in GSM_BASIC or ch in GSM_EXTENDED for ch in text)


def septets(text: str) -> int:
    """Room a GSM-7 text takes (the extension table's characters count twice)."""
    return sum(2 if ch in GSM_EXTENDED else 1 for ch in text)


def utf16_units(text: str) -> int:
    """Room a UCS-2 text takes (a character outside the BMP, an emoji, counts twice)."""
    return len(text.encode("utf-16-le")) // 2


def _trim(text: str, room: int, cost: Callable[[str], int], ellipsis: str, cut: bool) -> str:
    """`text` if it fits in `room` and is whole (`cut` False), else its longest start that
    fits with `ellipsis` after it; "" when not even that fits."""
    if not cut and cost(text) <= room:
        return text
    text = text[: max(room, 0)]  # every character takes at least one unit of room
    while text and cost(text.rstrip() + ellipsis) > room:
        text = text[:-1]
    return text.rstrip() + ellipsis if text.strip() else ""


def sms_text(page: Page) -> str:
    """`INC-42 SEV1 payments: <title> Ack: <link> Reply 1=ack 2=escalate`, in at most three
    segments: 459 GSM-7 characters, or 201 UTF-16 units when a character is not GSM-7. Only
    the title is cut (with "..."), whichever encoding keeps more of it; the link never is, so
    a link too long for the room leaves no title (and a longer message)."""
    severity = one_line(page.severity, SMS_SEVERITY).translate(GSM_FRIENDLY).upper()
    team = one_line(page.team, SMS_TEAM).translate(GSM_FRIENDLY)
    title = one_line(page.title, 2000).translate(GSM_FRIENDLY)
    head = " ".join(part for part in (page.ref, severity, team) if part)
    tail = f" Ack: {page.link} Reply 1=ack 2=escalate"
    fixed = head + ": " + tail
    room = UCS2_LIMIT - utf16_units(fixed)
    fits = [_trim(title, room, utf16_units, "…", cut=False)]
    if _gsm(fixed):
        whole = next((i for i, ch in enumerate(title) if not _gsm(ch)), len(title))
        room = GSM_LIMIT - septets(fixed)
        fits.append(_trim(title[:whole], room, septets, "...", cut=whole < len(title)))
    best = max(fits, key=len)
    return f"{head}: {best}{tail}" if best else head + tail


def segments(text: str) -> int:
    """How many SMS segments `text` goes out as (160/70 alone, 153/67 each once split)."""
    if _gsm(text):
        size, single, each = septets(text), 160, 153
    else:
        size, single, each = utf16_units(text), 70, 67
    return 1 if size <= single else -(-size // each)


# --- voice ---


def _spoken_severity(severity: str) -> str:
    number = re.fullmatch(r"(?i)sev(?:erity)?[\s_-]*(\d+)", severity)
    if number:  # sev1 -> "one"
        return " ".join(DIGIT_WORDS[int(d)] for d in number[1])
    return re.sub(r"(?<=[A-Za-z])(?=\d)|(?<=\d)(?=[A-Za-z])", " ", severity)  # P1 -> "P 1"


def voice_parts(page: Page) -> list[str]:
    """What a call says, part by part: the number digit by digit ("Incident 4 2")."""
    title = one_line(page.title, VOICE_TITLE).removesuffix("…").rstrip(" .!?;:,")
    team = one_line(page.team, 100)
    severity = _spoken_severity(one_line(page.severity, 20))
    parts = [
        "Firebell page.",
        f"Incident {' '.join(str(page.number))}.",
        f"Severity {severity}." if severity else "",
        f"{title}." if title else "",
        f"Team {team}." if team else "",
        "Press 1 to acknowledge, 2 to escalate.",
    ]
    return [part for part in parts if part]


def voice_twiml(page: Page, gather_url: str) -> str:
    """The TwiML of a page's call: the page read slowly inside a one-key `<Gather>` posting to
    `gather_url`, once more if no key was pressed, then "Goodbye" (and the call ends)."""
    from twilio.twiml.voice_response import VoiceResponse  # twilio: only a call needs it

    response = VoiceResponse()
    parts = voice_parts(page)
    for _ in range(2):
        gather = response.gather(
            num_digits=1, action=gather_url, method="POST", timeout=GATHER_TIMEOUT
        )
        for index, part in enumerate(parts):
            if index:
                gather.pause(length=PAUSE)
            gather.say(part)
    response.say("Goodbye")
    return str(response)


# --- what comes back ---


def reply_twiml(text: str) -> str:
    """The answer to an inbound SMS: one message back saying what was done."""
    from twilio.twiml.messaging_response import MessagingResponse  # twilio: only a reply

    response = MessagingResponse()
    response.message(text)
    return str(response)


def gather_reply_twiml(text: str) -> str:
    """The answer to a key pressed during a call: say what was done, then hang up."""
    from twilio.twiml.voice_response import VoiceResponse  # twilio: only a call needs it

    response = VoiceResponse()
    response.say(text)
    response.hangup()
    return str(response)


def parse_reply(body: str) -> Literal["ack", "escalate"] | None:
    """An SMS reply or a key pressed: `1`/`ack`/`acknowledge` or `2`/`esc`/`escalate` (any
    case, spaces and a final full stop or exclamation mark ignored); None for anything else."""
    word = re.sub(r"\s+", "", body or "").rstrip(".!").lower()
    return REPLIES.get(word)


def valid_signature(
    auth_token: str, url: str, params: Mapping[str, Any], signature: str | None
) -> bool:
    """Whether `X-Twilio-Signature` is Twilio's for a POST of form `params` to `url`: the URL
    Twilio was given (FIREBELL_PUBLIC_URL + path + query, not the one a proxy forwarded to),
    and every form field (an aiohttp MultiDict keeps repeated ones)."""
    if not signature or not auth_token:
        return False
    from twilio.request_validator import RequestValidator  # twilio: not needed at start-up

    return RequestValidator(auth_token).validate(url, params, signature)


def receipt(params: Mapping[str, str]) -> Receipt | None:
    """A status callback's receipt: MessageSid/MessageStatus (SmsSid/SmsStatus in older ones)
    or CallSid/CallStatus, with ErrorCode; None when the form is neither."""

    def read(*names: str) -> str:
        return next((str(params[n]).strip() for n in names if params.get(n)), "")

    code = read("ErrorCode")
    error_code = int(code) if code.isdigit() else None
    sid, status = read("MessageSid", "SmsSid"), read("MessageStatus", "SmsStatus")
    if sid and status:
        return Receipt(sid, status.lower(), error_code, "sms")
    sid, status = read("CallSid"), read("CallStatus")
    if sid and status:
        return Receipt(sid, status.lower(), error_code, "voice")
    return None


def failed(receipt: Receipt) -> bool:
    """The page did not reach the person: failed/undelivered (SMS), failed/busy/no-answer/
    canceled (call). A call answered by voicemail is `completed`: not failed."""
    return receipt.status in (FAILED_SMS if receipt.medium == "sms" else FAILED_CALL)


# --- sending ---


async def send_sms(
    session: aiohttp.ClientSession,
    account: TwilioAccount,
    to: str,
    body: str,
    status_callback: str,
    timeout: float = TIMEOUT,  # noqa: ASYNC109 - aiohttp's, for the whole request
) -> str:
    """Send `body` to `to` (E.164) from the account's number; the message's sid. Raises
    TwilioError when Twilio refuses, aiohttp's errors or TimeoutError on the way."""
    fields = [("To", to), ("From", account.from_number), ("Body", body)]
    fields.append(("StatusCallback", status_callback))
    return await _create(session, account, "Messages", fields, ("SM", "MM"), timeout)


async def call(
    session: aiohttp.ClientSession,
    account: TwilioAccount,
    to: str,
    twiml: str,
    status_callback: str,
    timeout: float = TIMEOUT,  # noqa: ASYNC109 - aiohttp's, for the whole request
) -> str:
    """Call `to` and play `twiml` (`voice_twiml`); the call's sid. One receipt comes back, when
    the call ends (`completed`, `busy`, `no-answer`, `failed` or `canceled`)."""
    fields = [("To", to), ("From", account.from_number), ("Twiml", twiml)]
    fields += [("StatusCallback", status_callback), ("StatusCallbackEvent", "completed")]
    fields.append(("StatusCallbackMethod", "POST"))
    return await _create(session, account, "Calls", fields, ("CA",), timeout)


async def _create(
    session: aiohttp.ClientSession,
    account: TwilioAccount,
    resource: str,
    fields: list[tuple[str, str]],
    prefixes: tuple[str, ...],
    timeout: float,  # noqa: ASYNC109
) -> str:
    async with session.post(
        account.url(resource),
        data=fields,  # application/x-www-form-urlencoded, as Twilio's API takes it
        headers={"Accept": "application/json", "Authorization": account.basic_auth()},
        timeout=aiohttp.ClientTimeout(total=timeout),
        allow_redirects=False,  # a redirected POST comes back as a GET: never sent
    ) as response:
        try:
            answer = await response.json(content_type=None)
        except ValueError:
            answer = None
        if response.status >= 300:
            raise _refusal(response, answer)
        sid = answer.get("sid") if isinstance(answer, dict) else None
        if not isinstance(sid, str) or not sid.startswith(prefixes):
            raise TwilioError(response.status, message=f"the answer is not a Twilio {resource}")
        return sid


def _refusal(response: aiohttp.ClientResponse, answer: Any) -> TwilioError:
    return TwilioError(response.status, *refusal_of(response, answer, "message", RATE_LIMIT_WAIT))


def classify(exc: BaseException) -> Failure | None:
    """What a failed `send_sms` or `call` means: 429 -> RATE_LIMITED; 5xx, the network or a
    timeout -> TRANSIENT; 401/403, the account or the From number refused (`FATAL_CODES`), 404
    (a wrong API URL or account) and a server that is not Twilio -> FATAL; other 4xx (21211 an
    invalid To...) -> PERMANENT; None for anything else (a bug: let it propagate). The error is
    `twilio_<code>` when Twilio sent one, else `http_<status>`."""
    if isinstance(exc, TwilioError):
        error = f"twilio_{exc.code}" if exc.code else f"http_{exc.status}"
        fatal = (401, 403, 404, exc.status) if exc.code in FATAL_CODES else (401, 403, 404)
        wait = exc.retry_after or RATE_LIMIT_WAIT
        return http_refusal(exc.status, error, "twilio", wait=wait, fatal=fatal)
    return network_failure(exc, "twilio")


def fails_over(failure: Failure) -> bool:
    """Whether a failed step goes through the next provider (issue #14): Twilio is down or
    unreachable (TRANSIENT: 5xx, network, timeout) or will not take this account's pages
    (FATAL: authentication, the account, the From number). A rate limit waits; a PERMANENT
    refusal (the person's number) would fail with any provider."""
    return failure.category in FAILOVER
