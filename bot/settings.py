"""Environment settings: the runtime contract of DESIGN.md (secrets never leave SecretStr)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="", case_sensitive=False, extra="ignore")

    slack_bot_token: SecretStr | None = None
    slack_signing_secret: SecretStr | None = None
    slack_app_token: SecretStr | None = None
    slack_api_url: str = "https://slack.com/api/"
    database_url: str = "sqlite+aiosqlite:///data/firebell.db"
    firebell_config: Path = Path("config/firebell.yml")
    port: int = Field(default=3000, ge=0, le=65535)
    firebell_host: str = "0.0.0.0"
    firebell_log_level: str = "info"
    # keys the calendar feed tokens; unset: SLACK_SIGNING_SECRET, else SLACK_BOT_TOKEN
    firebell_calendar_secret: SecretStr | None = None
    # the address users reach Firebell at, for links it prints (calendar feeds)
    firebell_public_url: str | None = None
    # bearer token of the alert webhooks (/alerts/*); a per-source one replaces it there
    firebell_alerts_token: SecretStr | None = None
    firebell_alerts_token_alertmanager: SecretStr | None = None
    firebell_alerts_token_grafana: SecretStr | None = None
    firebell_alerts_token_generic: SecretStr | None = None
    # the client secret of the Sentry integration: Sentry signs each webhook with it
    firebell_sentry_client_secret: SecretStr | None = None
    # Slack posts per second per channel, per replica (Slack allows about one)
    firebell_channel_rate: float = Field(default=1.0, gt=0, le=100)
    # seconds the outbox sender waits for Slack's answer to one call before it looks the
    # post up (a late answer is not a lost post)
    firebell_slack_timeout: float = Field(default=15.0, ge=0.5, le=120)

    @property
    def socket_mode(self) -> bool:
        return bool(self.slack_app_token and self.slack_app_token.get_secret_value())

    def calendar_secret(self) -> str | None:
        """The key calendar tokens are derived from: the first of FIREBELL_CALENDAR_SECRET,
        SLACK_SIGNING_SECRET and SLACK_BOT_TOKEN that is set (None: no derived tokens)."""
        for value in (
            self.firebell_calendar_secret,
            self.slack_signing_secret,
            self.slack_bot_token,
        ):
            if _present(value):
                return value.get_secret_value()
        return None

    def alerts_token(self, source: str) -> str | None:
        """The token `POST /alerts/<source>` must carry: FIREBELL_ALERTS_TOKEN_<SOURCE> when
        set, else FIREBELL_ALERTS_TOKEN (None: that endpoint is not configured)."""
        for value in (
            getattr(self, f"firebell_alerts_token_{source}", None),
            self.firebell_alerts_token,
        ):
            if _present(value):
                return value.get_secret_value().strip()
        return None

    def sentry_client_secret(self) -> str | None:
        """The key `POST /alerts/sentry` checks `Sentry-Hook-Signature` with:
        FIREBELL_SENTRY_CLIENT_SECRET (None: that endpoint is not configured)."""
        if _present(self.firebell_sentry_client_secret):
            return self.firebell_sentry_client_secret.get_secret_value().strip()
        return None

    def public_url(self) -> str:
        """Base URL for links Firebell prints: FIREBELL_PUBLIC_URL, else localhost:PORT."""
        if self.firebell_public_url and self.firebell_public_url.strip():
            return self.firebell_public_url.strip().rstrip("/")
        return f"http://localhost:{self.port}"

    def missing_for_slack(self) -> list[tuple[str, str]]:
        """Variables still needed to talk to Slack, each with where to find it."""
        missing = []
        if not _present(self.slack_bot_token):
            missing.append(
                (
                    "SLACK_BOT_TOKEN",
                    "the Bot User OAuth Token (xoxb-...): your app's page on api.slack.com "
                    "-> OAuth & Permissions, after installing the app to the workspace",
                )
            )
        if not self.socket_mode and not _present(self.slack_signing_secret):
            missing.append(
                (
                    "SLACK_SIGNING_SECRET",
                    "Basic Information -> App Credentials -> Signing Secret "
                    "(or set SLACK_APP_TOKEN to use Socket Mode instead)",
                )
            )
        return missing

    def malformed_tokens(self) -> list[tuple[str, str]]:
        """Tokens set in the wrong variable or not tokens at all, each with what to do; read
        from their prefix alone (the rest of a token is never shown)."""
        found = []
        for name, value, wanted in (
            ("SLACK_BOT_TOKEN", self.slack_bot_token, "xoxb-"),
            ("SLACK_APP_TOKEN", self.slack_app_token, "xapp-"),
        ):
            if not _present(value):
                continue
            token = value.get_secret_value()
            if token.startswith(wanted) and token == token.strip():
                continue
            found.append((name, _misplaced(token, wanted)))
        return found


_KINDS = {
    "xoxb-": "a Bot User OAuth Token (xoxb-…)",
    "xapp-": "an app-level token (xapp-…)",
    "xoxp-": "a user token (xoxp-…)",
    "xoxe-": "a refresh or configuration token (xoxe-…)",
}
_WHERE = {
    "xoxb-": "OAuth & Permissions -> Bot User OAuth Token, after installing the app",
    "xapp-": "Basic Information -> App-Level Tokens, with the connections:write scope "
    "(Socket Mode only)",
}


def _misplaced(token: str, wanted: str) -> str:
    where = f"it takes {_KINDS[wanted]}: {_WHERE[wanted]}"
    if token != token.strip():
        return f"has spaces or line breaks around the token; remove them ({where})"
    held = next((kind for prefix, kind in _KINDS.items() if token.startswith(prefix)), None)
    if held is None:
        return f"does not look like a Slack token; {where}"
    return f"holds {held}, but {where}"


def _present(value: SecretStr | None) -> bool:
    return bool(value and value.get_secret_value().strip())
