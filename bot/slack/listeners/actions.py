"""Card buttons and the severity selector, which carry the incident id in their value (Post
update and Resolve open a form); and My paging's buttons in App Home, after which the home is
published again."""

from __future__ import annotations

from bot.services.container import Services
from bot.slack.blocks import answers, modals, my_paging
from bot.slack.ids import Action
from bot.slack.listeners.app_home import NOTICE, publish
from bot.slack.listeners.logging import logged
from bot.slack.listeners.outcomes import OOPS, confirm, log, user_of
from bot.slack.listeners.table import Lazy, Table

FORM = "form"  # the context key of the view a card button opens after its ack
NAMELESS = "That button does not name an incident; it may be from an old card."


def _number(value: str | None) -> int | None:
    head = (value or "").split(":", 1)[0]
    return int(head) if head.isdigit() else None


def listeners(services: Services) -> Table:
    incidents = services.incidents

    async def answer(body, context, outcome_text: str | None) -> None:
        """Denials go back privately to whoever clicked, through the outbox."""
        channel = (body.get("channel") or {}).get("id")
        if outcome_text and channel:
            await services.outbox.ephemeral(channel, user_of(body), outcome_text)

    def button(run, done=lambda outcome: ""):
        """`done(outcome)` is what the clicker is told on success (nothing by default)."""

        @logged
        async def handler(ack, body, action, context):
            await ack()
            selected = (action.get("selected_option") or {}).get("value")
            number = _number(action.get("value") or selected)
            try:
                if number is None:
                    text = NAMELESS
                else:
                    outcome = await run(user_of(body), number, action)
                    text = confirm(outcome, done(outcome), context) or None
            except Exception:
                log.exception("action_failed", action=action.get("action_id"))
                text = OOPS
            await answer(body, context, text)

        return handler

    async def acknowledge(user: str, number: int, action: dict):
        return await incidents.acknowledge(user, number)

    async def escalate(user: str, number: int, action: dict):
        return await incidents.escalate(user, number)

    async def reopen(user: str, number: int, action: dict):
        return await incidents.reopen(user, number)

    async def change_severity(user: str, number: int, action: dict):
        chosen = (action.get("selected_option") or {}).get("value", "")
        return await incidents.change_severity(user, number, chosen.split(":", 1)[-1])

    @logged
    async def ack_only(ack, body, context):
        await ack()

    def incident_form(render):
        """A card button that opens a form about its incident, `render(incident)`; an
        unknown or resolved incident (an old card) is answered privately instead, before the
        ack, and no form opens."""

        @logged
        async def check(ack, body, action, context):
            number = _number(action.get("value"))
            incident = await incidents.get(number) if number is not None else None
            if incident is None:
                text = NAMELESS if number is None else incidents.unknown(number).message
            elif not incident.is_open:
                text = f"{incident.ref} is already resolved."
            else:
                text, context[FORM] = "", render(incident)
            await answer(body, context, text)
            await ack()

        async def open_form(body, client, context):
            if FORM in context:
                await client.views_open(trigger_id=body["trigger_id"], view=context[FORM])

        return Lazy(ack=check, lazy=[open_form])

    def update_form(incident):
        share = bool(services.config.broadcast_channel_of(incident.team)) and not incident.private
        return modals.update_modal(incident, share=share)

    async def snooze(user: str, number: int, action: dict):
        return await services.reminders.snooze(user, number)

    async def draft_postmortem(user: str, number: int, action: dict):
        return await services.postmortems.request(user, number)

    def postmortem_link(outcome) -> str:
        return answers.postmortem_answer(
            outcome.incident, services.postmortems.link(outcome.incident.id)
        )

    def home_button(run):
        """A My paging button: `run(user, value)` answers, and the home is published again
        after the ack with that answer in it."""

        @logged
        async def handler(ack, body, action, context):
            await ack()
            try:
                answer = await run(user_of(body), action.get("value") or "")
                context[NOTICE] = answer.text
                context["outcome"] = "ok" if answer.ok else "invalid"
            except Exception:
                log.exception("action_failed", action=action.get("action_id"))
                context[NOTICE] = OOPS

        return Lazy(ack=handler, lazy=[republish])

    async def republish(body, client, context):
        notice = context.get(NOTICE, "")
        await publish(services, client, user_of(body), notice)

    async def resend_code(user: str, medium: str):
        return await services.my_paging.resend(user, medium)

    async def test_page(user: str, _value: str):
        return await services.my_paging.test(user)

    def form(render):
        """A button that opens one of My paging's forms, filled in as things are now."""

        async def open_form(body, action, client):
            mine = await services.my_paging.view(user_of(body))
            view = render(mine, action.get("value") or "")
            if view is not None:
                await client.views_open(trigger_id=body["trigger_id"], view=view)

        return Lazy(ack=ack_only, lazy=[open_form])

    def code_form(mine, medium: str):
        pending = next((c for c in mine.pending if c.medium == medium), None)
        return my_paging.code_modal(pending) if pending else None

    return {
        Action.ACK: button(acknowledge),
        Action.ESCALATE: button(escalate),
        Action.RESOLVE: incident_form(modals.resolve_modal),
        Action.REOPEN: button(reopen),
        Action.SEVERITY: button(change_severity),
        Action.UPDATE: incident_form(update_form),
        # on thread replies: a reminder's "Snooze 30m", the resolution's "Draft postmortem"
        Action.SNOOZE: button(snooze),
        Action.POSTMORTEM: button(draft_postmortem, postmortem_link),
        # App Home's My paging
        Action.PAGING_CONTACTS: form(lambda mine, _: my_paging.contacts_modal(mine)),
        Action.PAGING_RULES: form(lambda mine, _: my_paging.rules_modal(mine)),
        Action.PAGING_CODE: form(code_form),
        Action.PAGING_RESEND: home_button(resend_code),
        Action.PAGING_TEST: home_button(test_page),
    }
