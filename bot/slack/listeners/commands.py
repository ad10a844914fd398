"""The `/incident` slash command: parse, run one use case, answer in the ack (ephemeral)."""

from __future__ import annotations

from bot.core import access
from bot.core import commands as cmd
from bot.core.incident import ref
from bot.services.container import Services
from bot.services.maintenance import NotAllowed
from bot.services.maintenance import Refused as MaintenanceRefused
from bot.services.models import Outcome
from bot.services.overrides import Refused
from bot.slack import mrkdwn as md
from bot.slack.blocks import alerts, answers, card, heartbeats, modals, oncall, stakeholders
from bot.slack.ids import Command
from bot.slack.listeners.logging import logged
from bot.slack.listeners.outcomes import OOPS, confirm, log
from bot.slack.listeners.table import Lazy, Table


def listeners(services: Services) -> Table:
    @logged
    async def answer_command(ack, body, command, context):
        try:
            answer = await run(services, command, context)
        except Exception:
            log.exception("command_failed", text_length=len(command.get("text") or ""))
            answer = {"text": OOPS}
        await ack(response_type="ephemeral", **answer)

    async def answered_in_ack(command) -> bool:
        return not cmd.opens_declare_form(command.get("text"))

    async def open_declare_modal(command, client):
        view = modals.declare_modal(services.config)
        view["private_metadata"] = command.get("channel_id", "")
        await client.views_open(trigger_id=command["trigger_id"], view=view)

    return {
        Command.INCIDENT: Lazy(ack=answer_command, lazy=[open_declare_modal], alone=answered_in_ack)
    }


async def run(services: Services, command: dict, context) -> dict:
    """The ack's body for one command: `text` always, `blocks` where a list reads better."""
    config, incidents = services.config, services.incidents
    user = command["user_id"]
    parsed = cmd.parse(command.get("text") or "", config.severity_names)
    match parsed:
        case cmd.ParseError(message, usage):
            context["outcome"] = "usage"
            return {"text": answers.usage_answer(message, usage)}
        case cmd.OpenDeclareModal():
            return {"text": "Opening the declare form…"}
        case cmd.Help():
            return {"text": answers.help_text()}
        case cmd.Heartbeats():
            text, blocks = heartbeats.answer(await services.heartbeats.views(), config)
            return {"text": text, "blocks": blocks}
        case cmd.Declare(title, severity, service, tenants, team, private):
            outcome = await incidents.declare(
                user,
                title,
                severity,
                service=service,
                tenants=tenants,
                team=team,
                private=private,
            )
            done = ""
            if outcome.incident:
                done = (
                    f"Declared {outcome.incident.ref} ({outcome.incident.severity}); "
                    f"its card is going up in <#{outcome.incident.channel_id}>."
                )
            return {"text": confirm(outcome, done, context)}
        case cmd.Ack(number):
            outcome = await incidents.acknowledge(user, number)
            return {"text": confirm(outcome, f"Acknowledged {ref(number)}.", context)}
        case cmd.Update(number, text, eta):
            outcome = await incidents.post_update(user, number, text, eta)
            return {"text": confirm(outcome, f"Update posted to {ref(number)}.", context)}
        case cmd.Sev(number, severity):
            outcome = await incidents.change_severity(user, number, severity)
            return {"text": confirm(outcome, f"{ref(number)} is now {severity}.", context)}
        case cmd.Escalate(number, reason):
            outcome = await incidents.escalate(user, number, reason)
            level = outcome.incident.escalation_level + 1 if outcome.incident else 0
            return {"text": confirm(outcome, f"Escalated {ref(number)} to level {level}.", context)}
        case cmd.Resolve(number, summary):
            outcome = await incidents.resolve(user, number, summary)
            return {"text": confirm(outcome, f"Resolved {ref(number)}.", context)}
        case cmd.Reopen(number, reason):
            outcome = await incidents.reopen(user, number, reason)
            return {"text": confirm(outcome, f"Reopened {ref(number)}.", context)}
        case cmd.Assign(number, role, who):
            outcome = await incidents.assign(user, number, role, who)
            done = f"{md.user(who)} is now {role.value} of {ref(number)}."
            return {"text": confirm(outcome, done, context)}
        case cmd.ListOpen(team):
            if team is not None and (problem := config.unknown_team(team)):
                return {"text": problem}
            found, total = await incidents.list_open(
                teams=None if team is None else [team], viewer=user
            )
            return {
                "text": f"{total} open incidents",
                "blocks": answers.open_list(found, total, config),
            }
        case cmd.Transfer(number, team):
            outcome = await incidents.transfer(user, number, team)
            return {"text": confirm(outcome, f"Handed {ref(number)} to {team}.", context)}
        case cmd.Show(number):
            incident = await incidents.seen_by(user, number)
            if incident is None:
                return {"text": incidents.unknown(number).message}
            context["incident_ref"] = incident.ref
            if incident.hidden:
                return {"text": access.private(incident.ref)}
            events = await incidents.timeline(number)
            return {
                "text": card.card_text(incident),
                "blocks": answers.show(incident, events, config),
            }
        case (
            cmd.OnCall()
            | cmd.AddOverride()
            | cmd.ListOverrides()
            | cmd.RemoveOverride()
            | cmd.Handover()
        ):
            return await on_call(services, parsed, user, context)
        case cmd.StartMaintenance() | cmd.ListMaintenance() | cmd.EndMaintenance():
            return await maintenance(services, parsed, user, context)
        case cmd.Report() | cmd.Postmortem() | cmd.Audit():
            return await informed(services, parsed, user, context)
    raise AssertionError(f"unhandled command {parsed!r}")


async def informed(services: Services, parsed: cmd.Command, user: str, context) -> dict:
    """Reports, postmortem drafts and an incident's audit record."""
    match parsed:
        case cmd.Audit(number):
            trail = await services.audit_trail.of_incident(user, number)
            if isinstance(trail, Outcome):
                return {"text": confirm(trail, "", context)}
            context["incident_ref"] = trail.incident.ref
            return answers.audit_trail(trail, services.config)
        case cmd.Report(window, team):
            if team is not None and (problem := services.config.unknown_team(team)):
                return {"text": problem}
            teams = None if team is None else [team]
            figures = await services.reports.asked(user, window, teams)
            heading = stakeholders.report_heading(teams, weekly=False)
            text, answer = stakeholders.report(figures, services.config, heading)
            if figures.total.declared:  # its chart, by DM (none for a quiet period)
                answer.append(stakeholders.chart_follows())
            return {"text": text, "blocks": answer}
        case cmd.Postmortem(number):
            outcome = await services.postmortems.request(user, number)
            done = ""
            if outcome.ok:
                done = answers.postmortem_answer(
                    outcome.incident, services.postmortems.link(number)
                )
            return {"text": confirm(outcome, done, context)}
    raise AssertionError(f"unhandled command {parsed!r}")


async def on_call(services: Services, parsed: cmd.Command, user: str, context) -> dict:
    """Rotations: who is on call, overrides, the handover on demand."""
    config, overrides = services.config, services.overrides

    def refused(result: Refused) -> dict:
        context["outcome"] = "denied"
        return {"text": oncall.refusal(result, config)}

    match parsed:
        case cmd.OnCall(name) if name in config.team_names:  # a team's name wins
            team = config.team(name)
            levels = [[str(t) for t in level.notify] for level in team.escalation]
            chain = await overrides.status_of(config.chain_rotations(team.name))
            text, answer = oncall.team_on_call(team.name, levels, chain)
            return {"text": text, "blocks": answer}
        case cmd.OnCall(rotation):
            found = await overrides.status(rotation)
            if isinstance(found, Refused):
                return refused(found)
            text, answer = oncall.on_call(found)
            return {"text": text, "blocks": answer}
        case cmd.AddOverride(rotation, who, duration, start, end):
            added = await overrides.add(
                user, rotation, who, duration=duration, start=start, end=end
            )
            if isinstance(added, Refused):
                return refused(added)
            context["outcome"] = "ok"
            return {"text": oncall.override_added(added)}
        case cmd.ListOverrides(rotation):
            listed = await overrides.upcoming(rotation)
            if isinstance(listed, Refused):
                return refused(listed)
            text, answer = oncall.override_list(listed, config)
            return {"text": text, "blocks": answer}
        case cmd.RemoveOverride(number):
            removed = await overrides.remove(user, number)
            if isinstance(removed, Refused):
                return refused(removed)
            context["outcome"] = "ok"
            return {"text": oncall.override_removed(removed)}
        case cmd.Handover(rotation):
            if unknown := overrides.unknown_rotation(rotation):
                return refused(unknown)
            summaries = await services.handover.now(rotation)
            text, answer = oncall.handover_answer(summaries, config)
            return {"text": text, "blocks": answer}
    raise AssertionError(f"unhandled command {parsed!r}")


async def maintenance(services: Services, parsed: cmd.Command, user: str, context) -> dict:
    """Maintenance windows: alerts for a service open no incident while one runs."""
    config, windows = services.config, services.maintenance
    match parsed:
        case cmd.StartMaintenance(duration, service, reason):
            started = await windows.start(user, duration, service, reason)
            if isinstance(started, NotAllowed):
                context["outcome"] = "denied"
                return {"text": alerts.maintenance_not_allowed(started)}
            if isinstance(started, MaintenanceRefused):
                context["outcome"] = "denied"
                return {"text": md.escape(started.message)}
            context["outcome"] = "ok"
            return {"text": alerts.maintenance_started(started, config)}
        case cmd.ListMaintenance():
            text, answer = alerts.maintenance_list(await windows.list(), config)
            return {"text": text, "blocks": answer}
        case cmd.EndMaintenance(number):
            ended = await windows.end(user, number)
            if isinstance(ended, NotAllowed):
                context["outcome"] = "denied"
                return {"text": alerts.maintenance_not_allowed(ended)}
            if isinstance(ended, MaintenanceRefused):
                context["outcome"] = "denied"
                return {"text": md.escape(ended.message)}
            context["outcome"] = "ok"
            return {"text": alerts.maintenance_ended(ended, config)}
    raise AssertionError(f"unhandled command {parsed!r}")
