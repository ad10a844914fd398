"""Card buttons and the severity selector. Buttons carry the incident id in their value."""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp

from bot.services.container import Services
from bot.slack import blocks
from bot.slack.listeners.answers import OOPS, confirm, log, user_of
from bot.slack.listeners.logging import logged


def _number(value: str | None) -> int | None:
    head = (value or "").split(":", 1)[0]
    return int(head) if head.isdigit() else None


def register(app: AsyncApp, services: Services) -> None:
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
                    text = "That button does not name an incident; it may be from an old card."
                else:
                    outcome = await run(user_of(body), number, action)
                    text = confirm(outcome, done(outcome), context) or None
            except Exception:
                log.exception("action_failed", action=action.get("action_id"))
                text = OOPS
            await answer(body, context, text)

        return handler

    app.action(blocks.ACK)(button(lambda user, n, a: incidents.acknowledge(user, n)))
    app.action(blocks.ESCALATE)(button(lambda user, n, a: incidents.escalate(user, n)))
    app.action(blocks.RESOLVE)(button(lambda user, n, a: incidents.resolve(user, n)))
    app.action(blocks.REOPEN)(button(lambda user, n, a: incidents.reopen(user, n)))

    async def severity(user: str, number: int, action: dict):
        chosen = (action.get("selected_option") or {}).get("value", "")
        return await incidents.change_severity(user, number, chosen.split(":", 1)[-1])

    app.action(blocks.SEVERITY)(button(severity))

    @logged
    async def ack_only(ack, body, context):
        await ack()

    async def open_update_modal(body, action, client):
        number = _number(action.get("value"))
        incident = await incidents.get(number) if number is not None else None
        if incident is None:
            return
        view = blocks.update_modal(incident, share=bool(services.config.broadcast_channel))
        await client.views_open(trigger_id=body["trigger_id"], view=view)

    app.action(blocks.UPDATE)(ack=ack_only, lazy=[open_update_modal])

    # buttons on thread replies: a reminder's "Snooze 30m", the resolution's "Draft postmortem"
    app.action(blocks.SNOOZE)(button(lambda user, n, a: services.reminders.snooze(user, n)))
    app.action(blocks.POSTMORTEM)(
        button(
            lambda user, n, a: services.postmortems.request(user, n),
            lambda outcome: blocks.postmortem_answer(
                outcome.incident, services.postmortems.link(outcome.incident.id)
            ),
        )
    )
