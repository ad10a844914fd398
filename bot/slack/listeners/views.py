"""Modal submissions: field problems go back with `response_action: errors`. My paging's
forms publish the home again once they changed something."""

from __future__ import annotations

from bot.core.durations import parse_duration
from bot.core.incident import check_title
from bot.services.container import Services
from bot.slack.ids import Field, FieldElement, View
from bot.slack.listeners.app_home import NOTICE, publish
from bot.slack.listeners.logging import logged
from bot.slack.listeners.outcomes import OOPS, confirm, log, user_of
from bot.slack.listeners.table import Lazy, Table

ERROR_TEXT = 150  # characters of a field's error (OOPS is cut to it too)


def _value(view: dict, block_id: Field) -> str:
    field = view.get("state", {}).get("values", {}).get(block_id, {}).get(FieldElement.VALUE, {})
    if field.get("type") == "static_select":
        return ((field.get("selected_option") or {}).get("value") or "").strip()
    return (field.get("value") or "").strip()


def _checked(view: dict, block_id: Field) -> bool:
    field = view.get("state", {}).get("values", {}).get(block_id, {}).get(FieldElement.VALUE, {})
    return bool(field.get("selected_options"))


def listeners(services: Services) -> Table:
    config, incidents = services.config, services.incidents

    @logged
    async def declare(ack, body, view, context):
        title = " ".join(_value(view, Field.TITLE).split())
        severity = _value(view, Field.SEVERITY) or config.severities[-1].name
        if problem := check_title(title):
            await ack(response_action="errors", errors={Field.TITLE: problem})
            return
        if severity.upper() not in (s.upper() for s in config.severity_names):
            await ack(response_action="errors", errors={Field.SEVERITY: "Pick a severity."})
            return
        tenants = [t for t in _value(view, Field.TENANTS).replace(";", ",").split(",") if t.strip()]
        try:
            outcome = await incidents.declare(
                user_of(body),
                title,
                severity,
                service=_value(view, Field.SERVICE) or None,
                team=_value(view, Field.TEAM) or None,
                tenants=tenants,
                description=_value(view, Field.DESCRIPTION) or None,
                private=_checked(view, Field.PRIVATE),
            )
        except Exception:
            log.exception("declare_modal_failed")
            await ack(response_action="errors", errors={Field.TITLE: OOPS[:150]})
            return
        if not outcome.ok:
            await ack(response_action="errors", errors={Field.TITLE: outcome.message})
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

    @logged
    async def update(ack, body, view, context):
        number = int(view.get("private_metadata") or 0)
        text, eta_text = _value(view, Field.TEXT), _value(view, Field.ETA)
        share = _checked(view, Field.SHARE)  # "share with stakeholders" (broadcast channel)
        eta = None
        if eta_text:
            try:
                eta = parse_duration(eta_text)
            except ValueError as exc:
                await ack(response_action="errors", errors={Field.ETA: str(exc)})
                return
        try:
            outcome = await incidents.post_update(user_of(body), number, text, eta, share=share)
        except Exception:
            log.exception("update_modal_failed")
            await ack(response_action="errors", errors={Field.TEXT: OOPS[:150]})
            return
        if not outcome.ok:
            await ack(response_action="errors", errors={Field.TEXT: outcome.message})
            return
        confirm(outcome, "", context)
        await ack()

    @logged
    async def resolve(ack, body, view, context):
        """Resolve with the form's optional summary; a refusal (not theirs to resolve, or
        resolved meanwhile, e.g. from a second form) stays in the form and changes nothing."""
        number = int(view.get("private_metadata") or 0)
        try:
            outcome = await incidents.resolve(user_of(body), number, _value(view, Field.SUMMARY))
        except Exception:
            log.exception("resolve_modal_failed")
            await ack(response_action="errors", errors={Field.SUMMARY: OOPS[:ERROR_TEXT]})
            return
        refusal = confirm(outcome, "", context)
        if not outcome.ok:
            await ack(response_action="errors", errors={Field.SUMMARY: refusal[:ERROR_TEXT]})
            return
        await ack()

    def paging_form(run, first: Field):
        """A My paging form: `run(user, view)` answers; its problems go back into the form
        (nothing was written), else the form closes and the home is published again."""

        @logged
        async def submit(ack, body, view, context):
            try:
                answer = await run(user_of(body), view)
            except Exception:
                log.exception("paging_form_failed", view=view.get("callback_id"))
                await ack(response_action="errors", errors={first: OOPS[:ERROR_TEXT]})
                return
            if not answer.ok:
                context["outcome"] = "invalid"
                errors = {Field(k): v[:ERROR_TEXT] for k, v in answer.problems.items()}
                await ack(response_action="errors", errors=errors)
                return
            context["outcome"] = "ok"
            context[NOTICE] = answer.text
            await ack()

        async def republish(body, client, context):
            if NOTICE in context:
                await publish(services, client, user_of(body), context[NOTICE])

        return Lazy(ack=submit, lazy=[republish])

    async def contacts(user: str, view: dict):
        typed = {key: _value(view, key) for key in (Field.EMAIL, Field.PHONE, Field.NTFY)}
        return await services.my_paging.set_contacts(user, typed)

    async def rules(user: str, view: dict):
        return await services.my_paging.set_rules(user, _value(view, Field.RULES))

    async def code(user: str, view: dict):
        medium = view.get("private_metadata") or ""
        return await services.my_paging.verify(user, medium, _value(view, Field.CODE))

    return {
        View.DECLARE: declare,
        View.UPDATE: update,
        View.RESOLVE: resolve,
        View.PAGING_CONTACTS: paging_form(contacts, Field.EMAIL),
        View.PAGING_RULES: paging_form(rules, Field.RULES),
        View.PAGING_CODE: paging_form(code, Field.CODE),
    }
