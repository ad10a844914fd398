"""Modal submissions: field problems go back with `response_action: errors`."""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp

from bot.core.durations import parse_duration
from bot.core.incident import check_title
from bot.services.container import Services
from bot.slack import blocks
from bot.slack.listeners.answers import OOPS, confirm, log, user_of
from bot.slack.listeners.logging import logged


def _value(view: dict, block_id: str) -> str:
    field = view.get("state", {}).get("values", {}).get(block_id, {}).get("value", {})
    if field.get("type") == "static_select":
        return ((field.get("selected_option") or {}).get("value") or "").strip()
    return (field.get("value") or "").strip()


def _checked(view: dict, block_id: str) -> bool:
    field = view.get("state", {}).get("values", {}).get(block_id, {}).get("value", {})
    return bool(field.get("selected_options"))


def register(app: AsyncApp, services: Services) -> None:
    config, incidents = services.config, services.incidents

    @app.view(blocks.DECLARE_VIEW)
    @logged
    async def declare(ack, body, view, context):
        title = " ".join(_value(view, "title").split())
        severity = _value(view, "severity") or config.severities[-1].name
        if problem := check_title(title):
            await ack(response_action="errors", errors={"title": problem})
            return
        if severity.upper() not in (s.upper() for s in config.severity_names):
            await ack(response_action="errors", errors={"severity": "Pick a severity."})
            return
        tenants = [t for t in _value(view, "tenants").replace(";", ",").split(",") if t.strip()]
        try:
            outcome = await incidents.declare(
                user_of(body),
                title,
                severity,
                service=_value(view, "service") or None,
                tenants=tenants,
                description=_value(view, "description") or None,
            )
        except Exception:
            log.exception("declare_modal_failed")
            await ack(response_action="errors", errors={"title": OOPS[:150]})
            return
        if not outcome.ok:
            await ack(response_action="errors", errors={"title": outcome.message})
            return
        confirm(outcome, "", context)
        await ack()
        channel = view.get("private_metadata") or ""
        if channel.startswith(("C", "G", "D")):
            await services.outbox.ephemeral(
                channel,
                user_of(body),
                f"Declared {outcome.incident.ref}; its card is going up in "
                f"<#{outcome.incident.channel_id}>.",
            )

    @app.view(blocks.UPDATE_VIEW)
    @logged
    async def update(ack, body, view, context):
        number = int(view.get("private_metadata") or 0)
        text, eta_text = _value(view, "text"), _value(view, "eta")
        share = _checked(view, "share")  # "share with stakeholders" (broadcast channel)
        eta = None
        if eta_text:
            try:
                eta = parse_duration(eta_text)
            except ValueError as exc:
                await ack(response_action="errors", errors={"eta": str(exc)})
                return
        try:
            outcome = await incidents.post_update(user_of(body), number, text, eta, share=share)
        except Exception:
            log.exception("update_modal_failed")
            await ack(response_action="errors", errors={"text": OOPS[:150]})
            return
        if not outcome.ok:
            await ack(response_action="errors", errors={"text": outcome.message})
            return
        confirm(outcome, "", context)
        await ack()
