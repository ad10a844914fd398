"""Pages by SMS through Vonage's SMS API: the account (`VonageAccount`, from the
FIREBELL_VONAGE_* variables), sending one text (`send_sms`), what a failure means for the
outbox sender (`classify`), and the delivery receipts Vonage posts back (`receipt`, `failed`,
`valid_signature`).

The SMS API (developer.vonage.com/api/sms): `POST {FIREBELL_VONAGE_API_URL}/sms/json`, form
encoded: `api_key`, `api_secret`, `from`, `to` (E.164 digits, no `+`), `text`, `type`
(`text` for GSM-7, `unicode` otherwise), `status-report-req=1` and `callback` (where this
message's receipts go). The answer is HTTP 200 either way: `{"message-count": "1",
"messages": [{"to", "message-id", "status": "0", ...}]}`, one entry per part of a long text,
or a non-zero `status` with `error-text` (1 throttled, 2 missing and 3 invalid parameters,
4 bad credentials, 5 internal error, 6 invalid message, 7 number barred, 8 account barred,
9 out of credit, ...).

Delivery receipts arrive at the callback as GET (query), POST (form) or POST-JSON, as the
account is set: `msisdn`, `to` (our sender), `messageId`, `status` (delivered, expired,
failed, rejected, undelivered, accepted, buffered, unknown), `err-code`, `message-timestamp`,
and with signed webhooks (enabled by Vonage's support) `timestamp`, `nonce` and `sig`. The
signature (developer.vonage.com/getting-started/concepts/signing-messages) is over every
other parameter sorted by name as `&name=value`, `&` and `=` in values replaced by `_`:
the account's algorithm is an MD5 hash of that string followed by the signature secret (the
default), or an HMAC (MD5, SHA-1, SHA-256, SHA-512) of it keyed with the secret, in hex.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import aiohttp

from bot.notify import http_refusal, network_failure
from bot.settings import Settings
from bot.slack.errors import Category, Failure, retry_after

TIMEOUT = 15.0  # seconds for the whole request
DEFAULT_API_URL = "https://rest.nexmo.com"
STATUS_PATH = "/notify/vonage/status"  # where receipts reach Firebell (the route is in bot/web)
THROTTLE_WAIT = 1.0  # seconds after status 1 (an account sends about 30 SMS a second)
RECEIPT_MAX_AGE = 24 * 3600.0  # seconds: how long Vonage says it retries an unanswered webhook

# GSM 03.38: the default alphabet (ESC aside) and the extension table (two septets each)
GSM7_BASIC = (
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = "\f^{}\\[~]|€"
GSM7 = frozenset(GSM7_BASIC + GSM7_EXTENSION)

# the SMS API's non-zero `status`: what each means for the sender
THROTTLED = frozenset({1})
TRANSIENT = frozenset({5, 10})  # internal error; too many binds ("back off and retry")
# the account, not this message: bad credentials, barred account, no credit, not enabled for
# HTTP, signature refused, sender not allowed, callback refused, secret and signature both
FATAL = frozenset({4, 8, 9, 11, 14, 15, 23, 32})
FAILED_RECEIPTS = frozenset({"failed", "expired", "rejected", "undelivered"})
DIGESTS = {32: ("md5hash", "md5"), 40: ("sha1",), 64: ("sha256",), 128: ("sha512",)}


class VonageError(Exception):
    """Vonage refused a message (`status_code`, the SMS API's non-zero status, with its
    `error_text`), or answered with an HTTP error or something that is not the SMS API's
    answer (`status_code` None, `http_status` what came back)."""

    def __init__(
        self,
        status_code: int | None,
        error_text: str = "",
        http_status: int = 200,
        retry_after: float = 0.0,
    ) -> None:
        self.status_code, self.error_text = status_code, error_text
        self.http_status, self.retry_after = http_status, retry_after
        code = f"status {status_code}" if status_code is not None else f"HTTP {http_status}"
        super().__init__(f"vonage {code}: {error_text}")


@dataclass(frozen=True)
class VonageAccount:
    """Where SMS pages go: the API key and secret, the sender (a number or an alphanumeric
    sender id, as FIREBELL_VONAGE_FROM) and the API's base URL."""

    key: str
    secret: str = field(repr=False)
    from_: str
    api_url: str = DEFAULT_API_URL

    @classmethod
    def from_settings(cls, settings: Settings) -> VonageAccount | None:
        """The account FIREBELL_VONAGE_API_KEY, _API_SECRET, _FROM and _API_URL name; None
        unless the first three are all set."""
        key = (settings.firebell_vonage_api_key or "").strip()
        secret = settings.firebell_vonage_api_secret
        sender = (settings.firebell_vonage_from or "").strip()
        password = secret.get_secret_value().strip() if secret else ""
        if not (key and password and sender):
            return None
        return cls(key, password, sender, settings.firebell_vonage_api_url)


def status_callback(public_url: str) -> str:
    """Where Vonage sends receipts: FIREBELL_PUBLIC_URL/notify/vonage/status."""
    return public_url.strip().rstrip("/") + STATUS_PATH


def gsm7(text: str) -> bool:
    """Whether `text` fits GSM-7 (Vonage's `type=text`); else it goes as `unicode` (UCS-2)."""
    return all(ch in GSM7 for ch in text)


def number(e164: str) -> str:
    """An E.164 number as the SMS API takes it: digits only, no `+`."""
    return e164.strip().removeprefix("+")


def form(account: VonageAccount, to_e164: str, text: str, callback: str) -> dict[str, str]:
    """The parameters sent for one text to `to_e164`, receipts to `callback`."""
    sender = account.from_.strip()
    return {
        "api_key": account.key,
        "api_secret": account.secret,
        "from": number(sender) if number(sender).isdigit() else sender,
        "to": number(to_e164),
        "text": text,
        "type": "text" if gsm7(text) else "unicode",
        "status-report-req": "1",
        "callback": callback,
    }


async def send_sms(
    session: aiohttp.ClientSession,
    account: VonageAccount,
    to_e164: str,
    text: str,
    callback: str,
    timeout: float = TIMEOUT,  # noqa: ASYNC109 - aiohttp's, for the whole request
) -> str:
    """Send `text` to `to_e164`, its delivery receipts to `callback`; the id Vonage gave the
    message (of its first part, when a long text goes as several). Raises VonageError when
    Vonage refuses any part or the answer is not the SMS API's, aiohttp's errors or
    TimeoutError on the way."""
    async with session.post(
        account.api_url.strip().rstrip("/") + "/sms/json",
        data=form(account, to_e164, text, callback),
        headers={"Accept": "application/json"},
        timeout=aiohttp.ClientTimeout(total=timeout),
        allow_redirects=False,  # a redirected POST comes back as a GET without the form
    ) as response:
        try:
            answer = await response.json(content_type=None)
        except ValueError:
            answer = None
        if response.status >= 300:
            wait = retry_after(response.headers, THROTTLE_WAIT) if response.status == 429 else 0.0
            said = answer if isinstance(answer, dict) else {}
            error = said.get("error-text") or said.get("title") or response.reason or ""
            raise VonageError(None, str(error), response.status, wait)
        return _message_id(answer, response.status)


def _message_id(answer: Any, http_status: int) -> str:
    messages = answer.get("messages") if isinstance(answer, dict) else None
    if not isinstance(messages, list) or not messages:
        raise VonageError(None, "the answer is not the SMS API's", http_status)
    for message in messages:
        status = str(message.get("status", "")) if isinstance(message, dict) else ""
        if status != "0":
            code = int(status) if status.isdigit() else None
            text = str(message.get("error-text", "")) if isinstance(message, dict) else ""
            raise VonageError(code, text or "no status", http_status)
    first = messages[0].get("message-id")
    if not isinstance(first, str) or not first:
        raise VonageError(None, "the answer names no message-id", http_status)
    return first


def classify(exc: BaseException) -> Failure | None:
    """What a failed `send_sms` means: status 1 (throttled) or HTTP 429 -> RATE_LIMITED;
    status 5 (internal error) or 10, a 5xx, the network or a timeout -> TRANSIENT; the
    account's own trouble (4 bad credentials, 8 barred, 9 out of credit, 11, 14, 15, 23, 32),
    HTTP 401/403/404 (a wrong FIREBELL_VONAGE_API_URL) and a server that is not Vonage ->
    FATAL; anything about this message or
    number (2, 3, 6, 7, 12, 29, 33, other 4xx) -> PERMANENT; None for anything else."""
    if isinstance(exc, VonageError):
        status, code = exc.http_status, exc.status_code
        if code is not None:
            error = f"vonage_{code}"
            if code in THROTTLED:
                wait = exc.retry_after or THROTTLE_WAIT
                return Failure(Category.RATE_LIMITED, error, status, wait, method="vonage")
            if code in TRANSIENT:
                return Failure(Category.TRANSIENT, error, status, method="vonage")
            if code in FATAL:
                return Failure(Category.FATAL, error, status, method="vonage")
            return Failure(Category.PERMANENT, error, status, method="vonage")
        wait = exc.retry_after or THROTTLE_WAIT
        return http_refusal(status, f"http_{status}", "vonage", wait=wait, fatal=(401, 403, 404))
    return network_failure(exc, "vonage")


@dataclass(frozen=True)
class Receipt:
    """One delivery receipt: for the message (part) `message_id`, its `status` in lower case
    and Vonage's `err-code` (0 delivered; None when absent or not a number)."""

    message_id: str
    status: str
    error_code: int | None
    msisdn: str = ""  # the number the message went to
    api_key: str = ""  # the account that sent it


def receipt(params: Mapping[str, Any]) -> Receipt | None:
    """A delivery receipt from its parameters (the query of a GET, the form of a POST or
    the object of a POST-JSON); None when there is no `messageId` or `status`."""
    message_id = str(params.get("messageId") or "").strip()
    status = str(params.get("status") or "").strip().lower()
    if not message_id or not status:
        return None
    code = str(params.get("err-code") or "").strip()
    return Receipt(
        message_id,
        status,
        int(code) if code.isdigit() else None,
        str(params.get("msisdn") or ""),
        str(params.get("api-key") or ""),
    )


def failed(receipt: Receipt) -> bool:
    """Whether the receipt says the message will not arrive: failed, expired, rejected or
    undelivered (accepted, buffered and unknown may still; delivered did)."""
    return receipt.status in FAILED_RECEIPTS


def signature(params: Mapping[str, Any], secret: str, method: str = "md5hash") -> str:
    """The hex signature of `params` (all but `sig`) with the signature secret: `md5hash`
    (Vonage's default) or an HMAC with `md5`, `sha1`, `sha256` or `sha512`."""
    signed = "".join(
        f"&{name}={str(params[name]).replace('&', '_').replace('=', '_')}"
        for name in sorted(params)
        if name != "sig"
    )
    if method == "md5hash":
        return hashlib.md5((signed + secret).encode()).hexdigest()
    return hmac.new(secret.encode(), signed.encode(), method).hexdigest()


def valid_signature(
    params: Mapping[str, Any],
    secret: str,
    *,
    now: float | None = None,
    max_age: float = RECEIPT_MAX_AGE,
) -> bool:
    """Whether `sig` in a receipt's `params` is Vonage's signature of the others with the
    signature secret. The algorithm is the account's choice and is read from the length of
    `sig` (32 hex digits: an MD5 hash or HMAC-MD5, 40 SHA-1, 64 SHA-256, 128 SHA-512), in
    either case. With `now` (Unix seconds) the signed `timestamp` must also be within
    `max_age` of it, so an old receipt cannot be replayed."""
    sig = str(params.get("sig") or "").strip().lower()
    if not secret or not sig:
        return False
    matches = any(
        hmac.compare_digest(signature(params, secret, method), sig)
        for method in DIGESTS.get(len(sig), ())
    )
    if not matches or now is None:
        return matches
    try:
        stamp = float(str(params.get("timestamp")))
    except ValueError:
        return False
    return abs(now - stamp) <= max_age
