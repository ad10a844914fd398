"""The `alerts:` section of the config as core's `Rules` (severity names as the config
spells them, routes with their regexes compiled): built once per service that needs it."""

from __future__ import annotations

from bot.config import Config
from bot.core.alerts import rules as alert_rules


def rules_from(config: Config) -> alert_rules.Rules:
    """The `alerts:` section as core's rules, severity names as the config spells them."""
    section = config.alerts

    def name(value: str) -> str:
        return config.severity(value).name

    return alert_rules.Rules(
        severities=tuple(config.severity_names),
        severity_label=section.severity_label,
        mapping={k.strip().lower(): name(v) for k, v in section.severities.items()},
        default_severity=name(section.default_severity) if section.default_severity else None,
        service_labels=tuple(section.service_labels),
        tenant_labels=tuple(section.tenant_labels),
        title=section.title,
        incident_severities=(
            frozenset(name(v) for v in section.open_incidents)
            if section.open_incidents is not None
            else None
        ),
        auto_resolve=section.auto_resolve,
        reopen_within=section.reopen_within,
        card_labels=tuple(section.card_labels),
        routes=tuple(
            alert_rules.Route.of(
                r.match,
                r.match_re,
                team=r.team,
                service=r.service,
                severity=name(r.severity) if r.severity else None,
                private=r.private,
            )
            for r in section.routes
        ),
        sentry_projects={k.strip(): v for k, v in section.sentry_projects.items()},
        sentry_levels={k.strip().lower(): name(v) for k, v in section.sentry_levels.items()},
    )
