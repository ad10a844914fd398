"""What the phone providers call back: Twilio's inbound SMS, voice TwiML and keypad answers,
and both providers' delivery receipts.

Every Twilio request is checked against `X-Twilio-Signature` (the `twilio` library's
validator) over the URL Twilio was given (FIREBELL_PUBLIC_URL + path + query, not the one a
proxy forwarded to) before anything is read from it: 403 otherwise, and nothing is done.
Vonage signs receipts only when its support enables it: with FIREBELL_VONAGE_SIGNATURE_SECRET
set, an unsigned or wrongly signed receipt is 401; without it, a receipt is believed only for
a message Firebell sent, from Firebell's own API key. Without the provider's variables its
endpoints answer 503.
"""

from __future__ import annotations

import structlog
from aiohttp import web

from bot.notify import twilio, vonage
from bot.services.container import Services
from bot.settings import Settings

log = structlog.get_logger("firebell.phone")

MAX_FORM = 16 * 1024  # Twilio's and Vonage's callbacks are a few hundred bytes
TWIML = "application/xml"
NO_CHOICE = "No choice was made. Goodbye."
HOW = "Firebell: reply 1 to acknowledge or 2 to escalate the latest page to this number."


def routes(services: Services, settings: Settings) -> list[web.RouteDef]:
    account = twilio.TwilioAccount.from_settings(settings)
    voice_account = vonage.VonageAccount.from_settings(settings)
    secret = settings.firebell_vonage_signature_secret
    vonage_secret = secret.get_secret_value() if secret else None
    public = settings.public_url()
    phones, links = services.phone_pages, services.page_links

    async def signed(request: web.Request) -> dict[str, str] | web.Response:
        """The form Twilio posted, once its signature checks; else the answer to give."""
        if account is None:
            return web.Response(status=503, text="Twilio is not configured.\n")
        if (request.content_length or 0) > MAX_FORM:
            return web.Response(status=413)
        form = await request.post()
        url = public + request.path_qs
        if not twilio.valid_signature(
            account.token, url, form, request.headers.get("X-Twilio-Signature")
        ):
            log.warning("twilio_signature_refused", path=request.path)
            return web.Response(status=403, text="Invalid signature.\n")
        return {k: str(v) for k, v in form.items()}

    async def inbound_sms(request: web.Request) -> web.Response:
        form = await signed(request)
        if isinstance(form, web.Response):
            return form
        action = twilio.parse_reply(form.get("Body", ""))
        said = HOW if action is None else await phones.reply(form.get("From", ""), action, "sms")
        return web.Response(text=twilio.reply_twiml(said), content_type=TWIML)

    async def voice(request: web.Request) -> web.Response:
        """The call's TwiML, for a call created with this URL (`?t=` the page's token)."""
        form = await signed(request)
        if isinstance(form, web.Response):
            return form
        token = request.query.get("t", "")
        view = await links.view(token)
        page = links.page(view.incident, view.user) if view else None
        if page is None:
            return web.Response(text=twilio.gather_reply_twiml(NO_CHOICE), content_type=TWIML)
        gather = f"{public}{twilio.GATHER_PATH}?t={token}"
        return web.Response(text=twilio.voice_twiml(page, gather), content_type=TWIML)

    async def gather(request: web.Request) -> web.Response:
        """A key pressed in the call: 1 acknowledges, 2 escalates, as the person called."""
        form = await signed(request)
        if isinstance(form, web.Response):
            return form
        action = {"1": "ack", "2": "escalate"}.get(form.get("Digits", "").strip())
        said = NO_CHOICE
        if action is not None:
            done = await links.act(request.query.get("t", ""), action, "voice")
            said = done[1] if done else "This page has expired. Goodbye."
        return web.Response(text=twilio.gather_reply_twiml(said), content_type=TWIML)

    async def twilio_status(request: web.Request) -> web.Response:
        form = await signed(request)
        if isinstance(form, web.Response):
            return form
        found = twilio.receipt(form)
        if found is not None:
            await phones.receipt("twilio", found.sid, found.status, twilio.failed(found))
        return web.Response(status=204)

    async def vonage_status(request: web.Request) -> web.Response:
        if voice_account is None:
            return web.Response(status=503, text="Vonage is not configured.\n")
        if (request.content_length or 0) > MAX_FORM:
            return web.Response(status=413)
        params: dict[str, str] = dict(request.query)
        if request.method == "POST":
            if request.content_type == "application/json":
                body = await request.json()
                params |= {k: str(v) for k, v in body.items()} if isinstance(body, dict) else {}
            else:
                params |= {k: str(v) for k, v in (await request.post()).items()}
        if vonage_secret is not None:
            now = services.clock.now().timestamp()
            if not vonage.valid_signature(params, vonage_secret, now=now):
                log.warning("vonage_signature_refused")
                return web.Response(status=401, text="Invalid signature.\n")
        found = vonage.receipt(params)
        if found is None or (vonage_secret is None and found.api_key != voice_account.key):
            return web.Response(status=204)  # not ours: acknowledged, and ignored
        await phones.receipt("vonage", found.message_id, found.status, vonage.failed(found))
        return web.Response(status=204)

    return [
        web.post("/notify/twilio/sms", inbound_sms),
        web.post(twilio.VOICE_PATH, voice),
        web.post(twilio.GATHER_PATH, gather),
        web.post(twilio.STATUS_PATH, twilio_status),
        web.get("/notify/vonage/status", vonage_status),
        web.post("/notify/vonage/status", vonage_status),
    ]
