"""A real SMTP server for the e-mail tests: aiosmtpd's `SMTP` protocol listening on
127.0.0.1 and a port the system picks, in the test's own event loop (no thread, no port race).

It keeps every message it accepts, parsed with the `email` package as a mail client would
(`Received`). Optionally it requires AUTH (PLAIN or LOGIN, without TLS as a local relay might)
and accepts one user and password. `fail_next(451)` or `fail_next(550, at="DATA")` answers the
next RCPT or DATA command with that reply instead of accepting it. A stopped server refuses
connections on its port.
"""

from __future__ import annotations

import asyncio
import warnings
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from typing import Any
from urllib.parse import quote

from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword

REPLIES = {
    421: "421 4.3.2 Service shutting down",
    450: "450 4.2.1 Mailbox busy, try again later",
    451: "451 4.3.0 Temporary failure, try again later",
    452: "452 4.3.1 Insufficient system storage",
    550: "550 5.1.1 No such user here",
    552: "552 5.3.4 Message too big",
    554: "554 5.7.1 Message refused",
}


@dataclass(frozen=True)
class Received:
    """One message the server accepted."""

    mail_from: str  # the envelope's sender (MAIL FROM)
    rcpt_tos: list[str]  # the envelope's recipients (RCPT TO)
    message: EmailMessage  # the data, parsed
    login: str | None  # the user that logged in, if one did

    def part(self, subtype: str) -> str:
        """The text of the message's `text/<subtype>` part."""
        found = self.message.get_body(preferencelist=(subtype,))
        assert found is not None and found.get_content_subtype() == subtype, subtype
        return found.get_content()


class MailServer:
    """The server; `async with MailServer() as server:` starts and stops it."""

    def __init__(self, *, user: str | None = None, password: str | None = None) -> None:
        self.user, self.password = user, password
        self.host = "127.0.0.1"
        self.port = 0
        self.received: list[Received] = []
        self.logins: list[str] = []  # users that logged in
        self.refused_logins: list[str] = []  # each refused attempt (a client may try each
        # mechanism the server offers)
        self._failures: list[tuple[str, str]] = []  # (command, reply), next first
        self._server: asyncio.Server | None = None

    async def __aenter__(self) -> MailServer:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(self._protocol, self.host, 0)
        self.port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None

    def url(self, *, user: str | None = None, password: str | None = None) -> str:
        """`smtp://[user:password@]127.0.0.1:<port>`, user and password percent-encoded."""
        auth = ""
        if user is not None:
            auth = quote(user, safe="") + (f":{quote(password, safe='')}" if password else "")
            auth += "@"
        return f"smtp://{auth}{self.host}:{self.port}"

    def fail_next(self, code: int, *, at: str = "RCPT", times: int = 1) -> None:
        """Answer the next `times` RCPT (or DATA) commands with `code` (451, 550...)."""
        assert at in ("RCPT", "DATA")
        self._failures += [(at, REPLIES.get(code, f"{code} Refused"))] * times

    def _protocol(self) -> SMTP:
        with warnings.catch_warnings():  # AUTH without TLS, on purpose: a local relay
            warnings.simplefilter("ignore", UserWarning)
            return SMTP(
                self,
                hostname="mail.test",
                authenticator=self._authenticate if self.user is not None else None,
                auth_required=self.user is not None,
                auth_require_tls=False,
            )

    def _refusal(self, command: str) -> str | None:
        if self._failures and self._failures[0][0] == command:
            return self._failures.pop(0)[1]
        return None

    def _authenticate(
        self, server: SMTP, session: Any, envelope: Any, mechanism: str, data: Any
    ) -> AuthResult:
        if not isinstance(data, LoginPassword):
            return AuthResult(success=False, handled=False)
        login, password = data.login.decode(), data.password.decode()
        if login == self.user and password == self.password:
            self.logins.append(login)
            return AuthResult(success=True, auth_data=login)
        self.refused_logins.append(login)
        return AuthResult(success=False, handled=False)

    # aiosmtpd's handler hooks

    async def handle_RCPT(
        self, server: SMTP, session: Any, envelope: Any, address: str, options: list[str]
    ) -> str:
        if refusal := self._refusal("RCPT"):
            return refusal
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server: SMTP, session: Any, envelope: Any) -> str:
        if refusal := self._refusal("DATA"):
            return refusal
        message = BytesParser(policy=policy.default).parsebytes(envelope.content)
        login = session.auth_data if session.authenticated else None
        self.received.append(
            Received(envelope.mail_from, list(envelope.rcpt_tos), message, login)  # type: ignore[arg-type]
        )
        return "250 2.0.0 OK: queued"


class SilentServer:
    """Accepts connections on 127.0.0.1 and never says a word: a client waiting for the
    greeting times out."""

    def __init__(self) -> None:
        self.host, self.port = "127.0.0.1", 0
        self._server: asyncio.Server | None = None
        self._held: list[asyncio.StreamWriter] = []

    async def __aenter__(self) -> SilentServer:
        self._server = await asyncio.start_server(self._hold, self.host, 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc: object) -> None:
        for writer in self._held:
            writer.close()
        assert self._server is not None
        self._server.close()
        await self._server.wait_closed()

    async def _hold(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._held.append(writer)
