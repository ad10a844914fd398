"""`/incident` text -> a command value, or an error carrying the usage of the nearest command.

The incident id comes first after the subcommand (`/incident ack INC-42`); commands without
free text also accept it anywhere. Slash commands cannot run inside threads, so commands
about one incident always name it.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.core.durations import parse_duration
from bot.core.incident import Role, parse_ref


@dataclass(frozen=True)
class OpenDeclareModal:
    pass


@dataclass(frozen=True)
class Declare:
    title: str
    severity: str | None = None
    service: str | None = None
    tenants: tuple[str, ...] = ()
    team: str | None = None  # wins over the service's owner
    private: bool = False  # `declare private ...`: opens in the private channel


@dataclass(frozen=True)
class Ack:
    number: int


@dataclass(frozen=True)
class Update:
    number: int
    text: str
    eta: timedelta | None = None


@dataclass(frozen=True)
class Sev:
    number: int
    severity: str


@dataclass(frozen=True)
class Escalate:
    number: int
    reason: str = ""


@dataclass(frozen=True)
class Resolve:
    number: int
    summary: str = ""


@dataclass(frozen=True)
class Reopen:
    number: int
    reason: str = ""


@dataclass(frozen=True)
class Assign:
    number: int
    role: Role
    user: str


@dataclass(frozen=True)
class ListOpen:
    team: str | None = None  # None: every team's


@dataclass(frozen=True)
class Transfer:
    number: int
    team: str


@dataclass(frozen=True)
class Show:
    number: int


@dataclass(frozen=True)
class Audit:
    number: int


@dataclass(frozen=True)
class Help:
    pass


@dataclass(frozen=True)
class Heartbeats:
    pass


@dataclass(frozen=True)
class OnCall:
    rotation: str | None = None


@dataclass(frozen=True)
class AddOverride:
    """`user` takes `rotation` for `duration` from now, or from `start` to `end`.

    `start` and `end` are naive local wall times in the rotation's zone; the service resolves
    them (it knows the zone) and checks the span against the clock.
    """

    rotation: str
    user: str
    duration: timedelta | None = None
    start: datetime | None = None
    end: datetime | None = None


@dataclass(frozen=True)
class ListOverrides:
    rotation: str | None = None


@dataclass(frozen=True)
class RemoveOverride:
    id: int


@dataclass(frozen=True)
class Handover:
    rotation: str | None = None


@dataclass(frozen=True)
class Report:
    """Figures over the incidents declared in the last `window` (of one team, or all)."""

    window: timedelta = timedelta(days=7)
    team: str | None = None


@dataclass(frozen=True)
class Postmortem:
    number: int


@dataclass(frozen=True)
class StartMaintenance:
    """Alerts for `service` (None: every service) open no incident for `duration`."""

    duration: timedelta
    service: str | None = None
    reason: str = ""


@dataclass(frozen=True)
class ListMaintenance:
    pass


@dataclass(frozen=True)
class EndMaintenance:
    id: int | None = None  # None: the only one running


@dataclass(frozen=True)
class ParseError:
    message: str
    usage: str


Command = (
    OpenDeclareModal
    | Declare
    | Ack
    | Update
    | Sev
    | Escalate
    | Resolve
    | Reopen
    | Assign
    | ListOpen
    | Show
    | Audit
    | Help
    | Heartbeats
    | OnCall
    | AddOverride
    | ListOverrides
    | Transfer
    | RemoveOverride
    | Handover
    | Report
    | Postmortem
    | StartMaintenance
    | ListMaintenance
    | EndMaintenance
)

USAGE = {
    "declare": (
        "/incident declare [private] [sev1] <title> [service:api] [team:payments] [tenant:acme]"
    ),
    "ack": "/incident ack INC-42",
    "update": "/incident update INC-42 <text> [eta 30m]",
    "sev": "/incident sev INC-42 sev1",
    "escalate": "/incident escalate INC-42 [reason]",
    "resolve": "/incident resolve INC-42 [summary]",
    "reopen": "/incident reopen INC-42 [reason]",
    "assign": "/incident assign INC-42 commander|comms @user",
    "transfer": "/incident transfer INC-42 <team>",
    "list": "/incident list [team]",
    "show": "/incident show INC-42",
    "audit": "/incident audit INC-42",
    "oncall": "/incident oncall [team|rotation]",
    "override": (
        "/incident override <rotation> @user <duration>\n"
        "/incident override <rotation> @user from 2026-03-28 22:00 to 2026-03-29 08:00\n"
        "/incident override list [rotation]\n"
        "/incident override remove <id>"
    ),
    "handover": "/incident handover [rotation]",
    "report": "/incident report [7d|30d|90d] [team:payments]",
    "postmortem": "/incident postmortem INC-42",
    "maintenance": (
        "/incident maintenance <duration> [service|all] [reason]\n"
        "/incident maintenance list\n"
        "/incident maintenance end [number]"
    ),
    "heartbeats": "/incident heartbeats",
    "help": "/incident help",
}
ALIASES = {
    "acknowledge": "ack",
    "severity": "sev",
    "close": "resolve",
    "ls": "list",
    "open": "declare",
    "new": "declare",
    "on-call": "oncall",
    "who": "oncall",
    "overrides": "override",
    "reports": "report",
    "stats": "report",
    "pm": "postmortem",
    "maint": "maintenance",
    "heartbeat": "heartbeats",
}
MENTION = re.compile(r"^<@([UW][A-Z0-9]+)(?:\|[^>]*)?>$")
BARE_USER = re.compile(r"^@?([UW][A-Z0-9]{2,})$")
ETA = re.compile(r"\s+eta\s*:?\s*(\S+)\s*$", re.IGNORECASE)
ROTATION = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
OVERRIDE_ID = re.compile(r"^#?(\d{1,9})$")
LOCAL_TIME = re.compile(r"^(\d{4})-(\d{2})-(\d{2})[T ](\d{1,2}):(\d{2})$", re.IGNORECASE)
DATE_ONLY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
OVERRIDE_LIST, OVERRIDE_REMOVE = ("list", "ls"), ("remove", "rm", "delete", "cancel")


def severity_name(text: str, severities: Sequence[str]) -> str | None:
    """`sev1`, `SEV1` and `1` all name SEV1; None when nothing matches."""
    wanted = text.strip().upper()
    for name in severities:
        if name.upper() == wanted:
            return name
    if wanted.isdigit():
        matches = [n for n in severities if re.sub(r"^\D+", "", n) == wanted]
        if len(matches) == 1:
            return matches[0]
    return None


def opens_declare_form(text: str | None) -> bool:
    """A bare `/incident` opens the declare form: asked apart so the listener pays for the
    form's follow-up only when there is one."""
    return not (text or "").strip()


def parse(text: str, severities: Sequence[str]) -> Command | ParseError:
    if opens_declare_form(text):
        return OpenDeclareModal()
    word, rest = _split(text.strip())
    verb = ALIASES.get(word.lower(), word.lower())
    if verb not in USAGE:
        return _unknown(word)
    handler = _PARSERS[verb]
    return handler(rest, severities)


def _unknown(word: str) -> ParseError:
    """A near spelling of one command (a typo) suggests it; anything further from every
    command (at 0.5, `frobnicate` came out as `oncall`) lists them all instead."""
    close = difflib.get_close_matches(word.lower(), list(USAGE) + list(ALIASES), n=1, cutoff=0.75)
    if close:
        verb = ALIASES.get(close[0], close[0])
        return ParseError(f"`{_clip(word)}` is not a command. Did you mean `{verb}`?", USAGE[verb])
    return ParseError(f"`{_clip(word)}` is not a command.", _all_usage())


def _all_usage() -> str:
    return "\n".join(USAGE.values())


def _clip(text: str, size: int = 40) -> str:
    """Echo at most `size` characters of what the user typed, without backticks."""
    text = text.replace("`", "'")
    return text if len(text) <= size else text[: size - 1] + "…"


def _missing_ref(verb: str, rest: str) -> ParseError:
    if rest:
        return ParseError(
            f"Which incident? `{_clip(rest.split()[0])}` is not an incident id like INC-42.",
            USAGE[verb],
        )
    return ParseError("Which incident? Name it, e.g. INC-42 (see `/incident list`).", USAGE[verb])


def _split(text: str) -> tuple[str, str]:
    """First word and the rest, split on any whitespace; the rest keeps its line breaks."""
    parts = text.split(None, 1)
    if not parts:
        return "", ""
    return parts[0], (parts[1].strip() if len(parts) > 1 else "")


def _leading_ref(verb: str, rest: str) -> tuple[int, str] | ParseError:
    first, remainder = _split(rest)
    number = parse_ref(first) if first else None
    if number is None:
        return _missing_ref(verb, rest)
    return number, remainder


def _ref_anywhere(verb: str, rest: str) -> tuple[int, list[str]] | ParseError:
    words = rest.split()
    refs = [(i, parse_ref(w)) for i, w in enumerate(words)]
    found = [(i, n) for i, n in refs if n is not None]
    if not found:
        return _missing_ref(verb, rest)
    if len(found) > 1:
        return ParseError("Name one incident at a time.", USAGE[verb])
    index, number = found[0]
    return number, words[:index] + words[index + 1 :]


def _transfer(rest: str, severities: Sequence[str]) -> Command | ParseError:
    found = _ref_anywhere("transfer", rest)
    if isinstance(found, ParseError):
        return found
    number, words = found
    if len(words) != 1:
        return ParseError("Name the team to hand it to.", USAGE["transfer"])
    name = _rotation_name("transfer", words[0].lower().removeprefix("team:"), "team")
    return name if isinstance(name, ParseError) else Transfer(number, name)


def _declare(rest: str, severities: Sequence[str]) -> Command | ParseError:
    words = rest.split()
    severity, private = None, bool(words) and words[0].lower() == "private"
    words = words[1:] if private else words
    # a bare number starts many titles ("2 pods crashing"): only a spelled name sets severity
    if words and not words[0].isdigit() and (name := severity_name(words[0], severities)):
        severity, words = name, words[1:]
    service, team, tenants, title_words = None, None, [], []
    for word in words:
        key, sep, value = word.partition(":")
        if sep and value and key.lower() == "service":
            service = value.lower()
        elif sep and value and key.lower() == "team":
            team = value.lower()
        elif sep and value and key.lower() in ("tenant", "tenants"):
            tenants += [t for t in value.split(",") if t]
        else:
            title_words.append(word)
    title = " ".join(title_words)
    if not title:
        return ParseError("An incident needs a title: say what is broken.", USAGE["declare"])
    return Declare(title, severity, service, tuple(dict.fromkeys(tenants)), team, private)


def _simple(cls):
    def parse_one(rest: str, severities: Sequence[str]) -> Command | ParseError:
        verb = cls.__name__.lower()
        found = _ref_anywhere(verb, rest)
        if isinstance(found, ParseError):
            return found
        number, others = found
        if others:
            return ParseError(f"Unexpected `{_clip(' '.join(others))}`.", USAGE[verb])
        return cls(number)

    return parse_one


def _with_text(cls, verb: str, field: str):
    def parse_one(rest: str, severities: Sequence[str]) -> Command | ParseError:
        found = _leading_ref(verb, rest)
        if isinstance(found, ParseError):
            return found
        number, text = found
        return cls(number, **{field: text})

    return parse_one


def _update(rest: str, severities: Sequence[str]) -> Command | ParseError:
    found = _leading_ref("update", rest)
    if isinstance(found, ParseError):
        return found
    number, text = found
    eta = None
    match = ETA.search(" " + text)
    if match:
        try:
            eta = parse_duration(match.group(1))
        except ValueError as exc:
            return ParseError(f"ETA: {exc}.", USAGE["update"])
        text = (" " + text)[: match.start()].strip()
    if not text:
        return ParseError("An update needs some text: what changed?", USAGE["update"])
    return Update(number, text, eta)


def _sev(rest: str, severities: Sequence[str]) -> Command | ParseError:
    found = _ref_anywhere("sev", rest)
    if isinstance(found, ParseError):
        return found
    number, others = found
    if len(others) != 1:
        return ParseError(f"Name one severity: {', '.join(severities)}.", USAGE["sev"])
    name = severity_name(others[0], severities)
    if name is None:
        return ParseError(
            f"`{_clip(others[0])}` is not a severity; use one of {', '.join(severities)}.",
            USAGE["sev"],
        )
    return Sev(number, name)


def _assign(rest: str, severities: Sequence[str]) -> Command | ParseError:
    found = _ref_anywhere("assign", rest)
    if isinstance(found, ParseError):
        return found
    number, others = found
    roles, users = [], []
    for word in others:
        lowered = word.lower()
        if lowered in ("commander", "ic", "lead"):
            roles.append(Role.COMMANDER)
        elif lowered in ("comms", "communications"):
            roles.append(Role.COMMS)
        elif (match := MENTION.match(word) or BARE_USER.match(word)) is not None:
            users.append(match.group(1))
        else:
            return ParseError(
                f"`{_clip(word)}` is neither a role nor a user: mention someone, like @alice.",
                USAGE["assign"],
            )
    if len(roles) != 1 or len(users) != 1:
        return ParseError("Name one role and one person.", USAGE["assign"])
    return Assign(number, roles[0], users[0])


def _rotation_name(verb: str, word: str, what: str = "rotation") -> str | ParseError:
    """A rotation's (or a team's) name: lower-case letters, digits, - and _."""
    name = word.lower()
    if ROTATION.match(name):
        return name
    if MENTION.match(word) or BARE_USER.match(word):
        return ParseError(
            f"Name the {what} first, then the person: `{_clip(word)}` is a person.", USAGE[verb]
        )
    return ParseError(
        f"`{_clip(word)}` is not a {what} name (lower-case letters, digits, - and _).",
        USAGE[verb],
    )


def _optional_name(cls, verb: str, what: str = "rotation"):
    def parse_one(rest: str, severities: Sequence[str]) -> Command | ParseError:
        words = rest.split()
        if not words:
            return cls()
        if len(words) > 1:
            return ParseError(
                f"Name one {what} at most; unexpected `{_clip(' '.join(words[1:]))}`.",
                USAGE[verb],
            )
        if what == "team" and words[0].lower() == "all":
            return cls()
        name = _rotation_name(verb, words[0], what)
        return name if isinstance(name, ParseError) else cls(name)

    return parse_one


def _local_time(words: list[str], what: str) -> datetime | ParseError:
    """`2026-03-28 22:00` (two words) or `2026-03-28T22:00` (one word): a naive local time."""
    usage = USAGE["override"]
    text = " ".join(words)
    if not words:
        return ParseError(f"`{what}` needs a time like 2026-03-28 22:00.", usage)
    if len(words) == 1 and DATE_ONLY.match(words[0]):
        return ParseError(
            f"`{what} {_clip(text)}` needs a time of day too, like {words[0]} 09:00.", usage
        )
    match = LOCAL_TIME.match(text) if len(words) <= 2 else None
    if match is None:
        return ParseError(
            f"`{_clip(text)}` is not a time like 2026-03-28 22:00 (local time of the rotation).",
            usage,
        )
    year, month, day, hour, minute = (int(g) for g in match.groups())
    try:
        return datetime(year, month, day, hour, minute)
    except ValueError:
        return ParseError(f"`{_clip(text)}` is not a real date and time.", usage)


def _override_span(words: list[str]) -> tuple[datetime, datetime] | ParseError:
    """`from <when> to <when>` (the leading `from` already taken off)."""
    lowered = [w.lower() for w in words]
    ends = [i for i, w in enumerate(lowered) if w in ("to", "until")]
    if not ends:
        return ParseError(
            "An override from a time needs an end: `from <when> to <when>`.",
            USAGE["override"],
        )
    cut = ends[0]
    start = _local_time(words[:cut], "from")
    if isinstance(start, ParseError):
        return start
    end = _local_time(words[cut + 1 :], "to")
    if isinstance(end, ParseError):
        return end
    return start, end


def _override(rest: str, severities: Sequence[str]) -> Command | ParseError:
    usage = USAGE["override"]
    words = rest.split()
    if not words:
        return ParseError("Which rotation, who, and for how long?", usage)
    first = words[0].lower()
    if first in OVERRIDE_LIST and len(words) <= 2:
        if len(words) == 1:
            return ListOverrides()
        name = _rotation_name("override", words[1])
        return name if isinstance(name, ParseError) else ListOverrides(name)
    if first in OVERRIDE_REMOVE and len(words) <= 2:
        if len(words) == 1:
            return ParseError(
                "Which override? Give its number (see `/incident override list`).", usage
            )
        match = OVERRIDE_ID.match(words[1])
        if match is None:
            return ParseError(
                f"`{_clip(words[1])}` is not an override number like 12 "
                "(see `/incident override list`).",
                usage,
            )
        return RemoveOverride(int(match.group(1)))
    rotation = _rotation_name("override", words[0])
    if isinstance(rotation, ParseError):
        return rotation
    if len(words) == 1:
        return ParseError(f"Who takes over *{rotation}*? Mention them, like @alice.", usage)
    match = MENTION.match(words[1]) or BARE_USER.match(words[1])
    if match is None:
        return ParseError(
            f"`{_clip(words[1])}` is not a person: mention someone, like @alice.", usage
        )
    user, tail = match.group(1), words[2:]
    if not tail:
        return ParseError("For how long? Give a duration like 4h or 2d, or `from … to …`.", usage)
    if tail[0].lower() == "from":
        span = _override_span(tail[1:])
        if isinstance(span, ParseError):
            return span
        return AddOverride(rotation, user, start=span[0], end=span[1])
    if tail[0].lower() == "for":
        tail = tail[1:]
    if not tail:
        return ParseError("For how long? Give a duration like 4h or 2d.", usage)
    if len(tail) != 1:
        return ParseError(
            f"`{_clip(' '.join(tail))}` is not a duration like 4h or 2d; "
            "for times write `from 2026-03-28 22:00 to 2026-03-29 08:00`.",
            usage,
        )
    try:
        duration = parse_duration(tail[0])
    except ValueError as exc:
        return ParseError(f"Duration: {exc}.", usage)
    return AddOverride(rotation, user, duration=duration)


def _report(rest: str, severities: Sequence[str]) -> Command | ParseError:
    words = rest.split()
    teams = [w for w in words if w.lower().startswith("team:")]
    words = [w for w in words if w not in teams]
    if len(teams) > 1:
        return ParseError("Name one team at most.", USAGE["report"])
    team = None
    if teams:
        team = _rotation_name("report", teams[0][len("team:") :], "team")
        if isinstance(team, ParseError):
            return team
    if not words:
        return Report(team=team)
    if len(words) > 1:
        return ParseError("Name one period, like 7d, 30d or 90d.", USAGE["report"])
    try:
        window = parse_duration(words[0])
    except ValueError as exc:
        return ParseError(f"Period: {exc}.", USAGE["report"])
    if window < timedelta(days=1):
        return ParseError("A report covers at least a day (1d).", USAGE["report"])
    return Report(window, team)


SERVICE = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,63}$")
EVERY_SERVICE = ("all", "*", "everything")


def _maintenance(rest: str, severities: Sequence[str]) -> Command | ParseError:
    usage = USAGE["maintenance"]
    words = rest.split()
    if not words:
        return ParseError("For how long, and for which service? e.g. 2h api.", usage)
    first = words[0].lower()
    if first in ("list", "ls"):
        if len(words) > 1:
            return ParseError(f"`list` takes nothing more; unexpected `{_clip(words[1])}`.", usage)
        return ListMaintenance()
    if first in ("end", "stop", "cancel", "remove"):
        if len(words) == 1:
            return EndMaintenance()
        match = OVERRIDE_ID.match(words[1])
        if match is None or len(words) > 2:
            return ParseError(
                f"`{_clip(' '.join(words[1:]))}` is not a maintenance number like 3 "
                "(see `/incident maintenance list`).",
                usage,
            )
        return EndMaintenance(int(match.group(1)))
    try:
        duration = parse_duration(words[0])
    except ValueError as exc:
        return ParseError(f"Duration: {exc}.", usage)
    if len(words) == 1:
        return StartMaintenance(duration)
    name = words[1].lower().removeprefix("service:")
    if name in EVERY_SERVICE:
        return StartMaintenance(duration, None, " ".join(words[2:]))
    if not SERVICE.match(name):
        return ParseError(
            f"`{_clip(words[1])}` is not a service name (letters, digits, '.', '-', '_'); "
            "write `all` for every service.",
            usage,
        )
    return StartMaintenance(duration, name, " ".join(words[2:]))


_PARSERS = {
    "declare": _declare,
    "ack": _simple(Ack),
    "update": _update,
    "sev": _sev,
    "escalate": _with_text(Escalate, "escalate", "reason"),
    "resolve": _with_text(Resolve, "resolve", "summary"),
    "reopen": _with_text(Reopen, "reopen", "reason"),
    "assign": _assign,
    "transfer": _transfer,
    "list": _optional_name(ListOpen, "list", "team"),
    "show": _simple(Show),
    "audit": _simple(Audit),
    "oncall": _optional_name(OnCall, "oncall"),
    "override": _override,
    "handover": _optional_name(Handover, "handover"),
    "help": lambda rest, severities: Help(),
    "heartbeats": lambda rest, severities: (
        Heartbeats()
        if not rest.split()
        else ParseError(
            f"`heartbeats` takes nothing more; unexpected `{_clip(rest.split()[0])}`.",
            USAGE["heartbeats"],
        )
    ),
    "report": _report,
    "postmortem": _simple(Postmortem),
    "maintenance": _maintenance,
}
