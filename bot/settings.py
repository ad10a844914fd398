"""Environment settings: the runtime contract of DESIGN.md (secrets never leave SecretStr)."""

from __future__ import annotations

import re
from email.utils import parseaddr
from pathlib import Path
from typing import Annotated
from urllib.parse import parse_qsl, urlsplit

from pydantic import AfterValidator, BeforeValidator, Field, SecretStr, field_validator
from pydantic_core import PydanticCustomError
from pydantic_settings import BaseSettings, SettingsConfigDict

SMTP_SCHEMES = ("smtp", "smtps")
SMTP_FLAGS = {"1": True, "true": True, "yes": True, "0": False, "false": False, "no": False}
TWILIO_SID = re.compile(r"AC[0-9a-fA-F]{32}")
E164 = re.compile(r"\+[1-9][0-9]{6,14}")  # E.164: +, a country code, 7 to 15 digits (as people:)
PHONE_SEPARATORS = re.compile(r"[\s().-]")  # written for people: +1 (415) 555-0100
# a Vonage sender: a number (E.164, the + optional) or an alphanumeric id of 1-11 characters
VONAGE_SENDER = re.compile(r"\+?[1-9][0-9]{6,14}|(?=[A-Za-z0-9 ]*[A-Za-z])[A-Za-z0-9 ]{1,11}")


def e164(number: str) -> str | None:
    """`number` in E.164 (`+14155550100`) once spaces, dots, dashes and brackets are gone;
    None when it is not a phone number in that form."""
    digits = PHONE_SEPARATORS.sub("", number or "")
    return digits if E164.fullmatch(digits) else None


def smtp_url_problem(url: str) -> str | None:
    """What is wrong with an SMTP URL (`smtp://[user:password@]host[:port][?starttls=1]` or
    `smtps://...`), in words that never repeat the URL (it may hold a password); None: fine."""
    shape = (
        "must look like smtp://host:25, smtp://user:password@host:587?starttls=1 or "
        "smtps://user:password@host (a password's reserved characters percent-encoded)"
    )
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return f"has a port that is not a number from 1 to 65535; it {shape}"
    if parts.scheme.lower() not in SMTP_SCHEMES:
        return shape
    if not parts.hostname:
        return f"names no host; it {shape}"
    if port == 0:
        return "has port 0; leave the port out for the scheme's default (25, 587 or 465)"
    if parts.password is not None and not parts.username:
        return "has a password but no user name before it (user:password@host)"
    for key, value in parse_qsl(parts.query, keep_blank_values=True):
        if key.lower() != "starttls":
            return f"has the parameter {key!r}, but only starttls=1 is understood"
        if value.lower() not in SMTP_FLAGS:
            return "has starttls set to something other than 1 or 0"
        if SMTP_FLAGS[value.lower()] and parts.scheme.lower() == "smtps":
            return "asks for starttls on smtps://, which is TLS from the start: use one of them"
    return None


def _secret(value: object) -> object:
    """Wraps a string in SecretStr before any check sees it: a refusal then shows the input as
    '**********', never the password in it."""
    return SecretStr(value) if isinstance(value, str) else value


def _smtp_url(value: SecretStr) -> SecretStr:
    problem = smtp_url_problem(value.get_secret_value())
    if problem:  # the field's name (FIREBELL_SMTP_URL) is the error's location
        raise PydanticCustomError("smtp_url", "{problem}", {"problem": problem})
    return value


# before-validators run first, so the after-validator is handed the SecretStr
SmtpUrl = Annotated[SecretStr, AfterValidator(_smtp_url), BeforeValidator(_secret)]


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
    firebell_heartbeat_token: SecretStr | None = None  # POST /heartbeat/<name>; else the alerts'
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
    # pages by e-mail: the SMTP server (it may carry a password) and the From address
    firebell_smtp_url: SmtpUrl | None = None
    firebell_smtp_from: str | None = None
    # pages by push: the ntfy server (self-hosted, or ntfy.sh) and its access token
    firebell_ntfy_url: str = "https://ntfy.sh"
    firebell_ntfy_token: SecretStr | None = None
    # pages by SMS and voice through Twilio: the account, its auth token (which also signs what
    # Twilio sends back), the number pages come from, and the REST API's address
    firebell_twilio_account_sid: str | None = None
    firebell_twilio_auth_token: SecretStr | None = None
    firebell_twilio_from: str | None = None
    firebell_twilio_api_url: str = "https://api.twilio.com"
    # pages by SMS through Vonage: the API key and secret, the sender (a number or an
    # alphanumeric id), the SMS API's address, and the secret signed delivery receipts are
    # checked with (only when Vonage's support has enabled signed webhooks for the account)
    firebell_vonage_api_key: str | None = None
    firebell_vonage_api_secret: SecretStr | None = None
    firebell_vonage_from: str | None = None
    firebell_vonage_api_url: str = "https://rest.nexmo.com"
    firebell_vonage_signature_secret: SecretStr | None = None

    @field_validator("firebell_smtp_url", "firebell_smtp_from", mode="before")
    @classmethod
    def _blank_is_unset(cls, value: object) -> object:
        """An empty variable (`FIREBELL_SMTP_URL=`) means not configured."""
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("firebell_smtp_from")
    @classmethod
    def _smtp_from(cls, value: str | None) -> str | None:
        if value is None:
            return None
        _, address = parseaddr(value.strip())
        if "@" not in address or any(ch in value for ch in "\r\n"):
            raise PydanticCustomError(
                "smtp_from", "must be an e-mail address, like Firebell <firebell@example.com>"
            )
        return value.strip()

    @field_validator("firebell_ntfy_url")
    @classmethod
    def _ntfy_url(cls, value: str) -> str:
        parts = urlsplit(value.strip())
        if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
            raise PydanticCustomError(
                "ntfy_url", "must be the ntfy server's address, like https://ntfy.example.com"
            )
        return value.strip()

    @field_validator(
        "firebell_twilio_account_sid",
        "firebell_twilio_auth_token",
        "firebell_twilio_from",
        mode="before",
    )
    @classmethod
    def _twilio_blank_is_unset(cls, value: object) -> object:
        """An empty variable (`FIREBELL_TWILIO_FROM=`) means not configured."""
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("firebell_twilio_account_sid")
    @classmethod
    def _twilio_account_sid(cls, value: str | None) -> str | None:
        if value is None:
            return None
        if not TWILIO_SID.fullmatch(value.strip()):
            raise PydanticCustomError(
                "twilio_account_sid",
                "must be the Account SID from the Twilio console: AC followed by 32 "
                "hexadecimal characters",
            )
        return value.strip()

    @field_validator("firebell_twilio_from")
    @classmethod
    def _twilio_from(cls, value: str | None) -> str | None:
        if value is None:
            return None
        number = e164(value)
        if number is None:
            raise PydanticCustomError(
                "twilio_from",
                "must be a Twilio phone number in E.164 form: +, the country code and the "
                "number, like +14155550100",
            )
        return number

    @field_validator("firebell_twilio_api_url")
    @classmethod
    def _twilio_api_url(cls, value: str) -> str:
        parts = urlsplit(value.strip())
        if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
            raise PydanticCustomError(
                "twilio_api_url",
                "must be the Twilio REST API's address, like https://api.twilio.com",
            )
        return value.strip().rstrip("/")

    @field_validator(
        "firebell_vonage_api_key",
        "firebell_vonage_api_secret",
        "firebell_vonage_from",
        "firebell_vonage_signature_secret",
        mode="before",
    )
    @classmethod
    def _vonage_blank_is_unset(cls, value: object) -> object:
        """An empty variable (`FIREBELL_VONAGE_FROM=`) means not configured."""
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("firebell_vonage_from")
    @classmethod
    def _vonage_from(cls, value: str | None) -> str | None:
        if value is None:
            return None
        if not VONAGE_SENDER.fullmatch(value.strip()):
            raise PydanticCustomError(
                "vonage_from",
                "must be a Vonage number in E.164 form, like +447700900000, or a sender id of "
                "at most 11 letters and digits",
            )
        return value.strip()

    @field_validator("firebell_vonage_api_url")
    @classmethod
    def _vonage_api_url(cls, value: str) -> str:
        parts = urlsplit(value.strip())
        if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
            raise PydanticCustomError(
                "vonage_api_url", "must be the SMS API's address, like https://rest.nexmo.com"
            )
        return value.strip().rstrip("/")

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

    def heartbeat_token(self) -> str | None:
        """The token `POST /heartbeat/<name>` must carry: FIREBELL_HEARTBEAT_TOKEN when set,
        else FIREBELL_ALERTS_TOKEN (None: heartbeats cannot be sent by HTTP)."""
        for value in (self.firebell_heartbeat_token, self.firebell_alerts_token):
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
