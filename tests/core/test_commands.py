"""`/incident` text -> command values, or a ParseError with the usage of the nearest command."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.core.commands import (
    ALIASES,
    USAGE,
    Ack,
    AddOverride,
    Assign,
    Audit,
    Declare,
    EndMaintenance,
    Escalate,
    Handover,
    Heartbeats,
    Help,
    ListMaintenance,
    ListOpen,
    ListOverrides,
    OnCall,
    OpenDeclareModal,
    ParseError,
    Postmortem,
    RemoveOverride,
    Reopen,
    Report,
    Resolve,
    Sev,
    Show,
    StartMaintenance,
    Transfer,
    Update,
    parse,
    severity_name,
)
from bot.core.incident import Role

SEVS = ("SEV1", "SEV2", "SEV3", "SEV4")
ALL_USAGE = "\n".join(USAGE.values())
WHICH = "Which incident? Name it, e.g. INC-42 (see `/incident list`)."


def p(text):
    return parse(text, SEVS)


def test_usage_covers_every_command_and_aliases_point_at_commands():
    assert set(USAGE) == {
        "declare",
        "ack",
        "update",
        "sev",
        "escalate",
        "resolve",
        "reopen",
        "assign",
        "transfer",
        "list",
        "show",
        "oncall",
        "override",
        "handover",
        "help",
        "report",
        "postmortem",
        "maintenance",
        "audit",
        "heartbeats",
    }
    assert all(target in USAGE for target in ALIASES.values())
    assert all(line.startswith("/incident ") for line in USAGE.values())


# --- empty text ------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["", "   ", "\n\t", None])
def test_empty_text_opens_the_modal(text):
    assert parse(text, SEVS) == OpenDeclareModal()


# --- declare ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("declare checkout is down", Declare("checkout is down")),
        ("declare sev1 checkout is down", Declare("checkout is down", "SEV1")),
        ("declare SEV1 checkout is down", Declare("checkout is down", "SEV1")),
        ("declare Sev2 checkout is down", Declare("checkout is down", "SEV2")),
        ("declare 3 pods crashing", Declare("3 pods crashing", None)),
        ("DECLARE sev4 typo on login page", Declare("typo on login page", "SEV4")),
        ("open sev1 db down", Declare("db down", "SEV1")),
        ("new sev1 db down", Declare("db down", "SEV1")),
        ("declare   lots   of   spaces  ", Declare("lots of spaces")),
        (
            "declare sev2 checkout 500s service:API tenant:acme",
            Declare("checkout 500s", "SEV2", "api", ("acme",)),
        ),
        (
            "declare uploads slow tenants:acme,globex tenant:initech service:storage",
            Declare("uploads slow", None, "storage", ("acme", "globex", "initech")),
        ),
        (
            "declare x tenant:acme tenant:acme,globex Tenant:acme",
            Declare("x", None, None, ("acme", "globex")),
        ),
        ("declare x tenant:acme,,globex,", Declare("x", None, None, ("acme", "globex"))),
        ("declare Service:Billing invoices wrong", Declare("invoices wrong", None, "billing")),
        # keys without a value, unknown keys and URLs stay in the title
        ("declare service: down", Declare("service: down")),
        ("declare see https://status.example.com", Declare("see https://status.example.com")),
        ("declare region:eu slow", Declare("region:eu slow")),
        # the severity word only counts first
        ("declare checkout sev1 down", Declare("checkout sev1 down")),
        # a number that names no severity is title
        ("declare 500 errors on checkout", Declare("500 errors on checkout")),
        ("declare sev9 odd", Declare("sev9 odd")),
    ],
)
def test_declare(text, expected):
    assert p(text) == expected


@pytest.mark.parametrize(
    "text", ["declare", "declare sev1", "open", "declare service:api tenant:acme", "new SEV2"]
)
def test_declare_needs_a_title(text):
    assert p(text) == ParseError("An incident needs a title: say what is broken.", USAGE["declare"])


# --- ack / show (id only, anywhere) ----------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ack INC-42", Ack(42)),
        ("ack inc-42", Ack(42)),
        ("ack inc42", Ack(42)),
        ("ACK INC-42", Ack(42)),
        ("acknowledge INC-7", Ack(7)),
        ("Acknowledge   INC-7  ", Ack(7)),
        ("show INC-42", Show(42)),
        ("SHOW inc-1", Show(1)),
    ],
)
def test_id_only_commands(text, expected):
    assert p(text) == expected


@pytest.mark.parametrize(
    ("verb", "usage"), [("ack", "ack"), ("acknowledge", "ack"), ("show", "show")]
)
def test_id_only_without_id(verb, usage):
    assert p(verb) == ParseError(WHICH, USAGE[usage])


@pytest.mark.parametrize(("verb", "usage"), [("ack", "ack"), ("show", "show")])
def test_id_only_with_something_else(verb, usage):
    assert p(f"{verb} 42") == ParseError(
        "Which incident? `42` is not an incident id like INC-42.", USAGE[usage]
    )


@pytest.mark.parametrize(("verb", "usage"), [("ack", "ack"), ("show", "show")])
def test_id_only_with_extra_words(verb, usage):
    assert p(f"{verb} INC-42 now please") == ParseError("Unexpected `now please`.", USAGE[usage])
    assert p(f"{verb} please INC-42") == ParseError("Unexpected `please`.", USAGE[usage])


def test_id_only_with_two_ids():
    assert p("ack INC-1 INC-2") == ParseError("Name one incident at a time.", USAGE["ack"])


# --- update ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("update INC-42 found the bad query", Update(42, "found the bad query")),
        ("update INC-42 rolling back eta 30m", Update(42, "rolling back", timedelta(minutes=30))),
        (
            "update INC-42 rolling back ETA 1h30m",
            Update(42, "rolling back", timedelta(hours=1, minutes=30)),
        ),
        ("update INC-42 rolling back, eta: 2h", Update(42, "rolling back,", timedelta(hours=2))),
        ("update INC-42 rolling back eta:45m", Update(42, "rolling back", timedelta(minutes=45))),
        (
            "update INC-42 rolling back eta 30m   ",
            Update(42, "rolling back", timedelta(minutes=30)),
        ),
        ("update inc42 x", Update(42, "x")),
        # "eta" inside the text, or not the last thing, is just text
        ("update INC-42 the eta is unknown", Update(42, "the eta is unknown")),
        ("update INC-42 beta 30m rollout paused", Update(42, "beta 30m rollout paused")),
        ("update INC-42 zeta 30m", Update(42, "zeta 30m")),
    ],
)
def test_update(text, expected):
    assert p(text) == expected


def test_update_with_only_an_eta_needs_text():
    assert p("update INC-42 eta 30m") == ParseError(
        "An update needs some text: what changed?", USAGE["update"]
    )


def test_update_without_text():
    assert p("update INC-42") == ParseError(
        "An update needs some text: what changed?", USAGE["update"]
    )


@pytest.mark.parametrize(
    ("eta", "reason"),
    [
        ("tomorrow", "'tomorrow' is not a duration like 15m, 4h or 1d"),
        ("30", "'30' is not a duration like 15m, 4h or 1d"),
        ("0m", "'0m' must be longer than zero"),
        ("400d", "'400d' is longer than a year"),
    ],
)
def test_update_with_bad_eta(eta, reason):
    assert p(f"update INC-42 fixing eta {eta}") == ParseError(f"ETA: {reason}.", USAGE["update"])


def test_update_id_must_come_first():
    assert p("update fixing it INC-42") == ParseError(
        "Which incident? `fixing` is not an incident id like INC-42.", USAGE["update"]
    )


def test_update_without_anything():
    assert p("update") == ParseError(WHICH, USAGE["update"])


# --- sev -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "sev INC-42 sev1",
        "sev INC-42 SEV1",
        "sev INC-42 Sev1",
        "sev INC-42 1",
        "sev sev1 INC-42",
        "sev 1 INC-42",
        "severity INC-42 sev1",
        "SEVERITY inc-42 1",
    ],
)
def test_sev(text):
    assert p(text) == Sev(42, "SEV1")


def test_sev_without_severity():
    assert p("sev INC-42") == ParseError("Name one severity: SEV1, SEV2, SEV3, SEV4.", USAGE["sev"])


def test_sev_with_two_severities():
    assert p("sev INC-42 sev1 sev2") == ParseError(
        "Name one severity: SEV1, SEV2, SEV3, SEV4.", USAGE["sev"]
    )


@pytest.mark.parametrize("word", ["sev9", "critical", "0", "p1"])
def test_sev_with_unknown_severity(word):
    assert p(f"sev INC-42 {word}") == ParseError(
        f"`{word}` is not a severity; use one of SEV1, SEV2, SEV3, SEV4.", USAGE["sev"]
    )


def test_sev_without_id():
    assert p("sev sev1") == ParseError(
        "Which incident? `sev1` is not an incident id like INC-42.", USAGE["sev"]
    )
    assert p("severity") == ParseError(WHICH, USAGE["sev"])


# --- escalate / resolve / reopen (id first, then free text) ----------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("escalate INC-42", Escalate(42)),
        ("escalate INC-42 need a DBA", Escalate(42, "need a DBA")),
        ("escalate INC-42   need   a DBA  ", Escalate(42, "need   a DBA")),
        ("resolve INC-42", Resolve(42)),
        ("resolve INC-42 rolled back deploy 1234", Resolve(42, "rolled back deploy 1234")),
        ("close INC-42 rolled back", Resolve(42, "rolled back")),
        ("reopen INC-42", Reopen(42)),
        ("reopen inc-42 errors are back, see INC-41", Reopen(42, "errors are back, see INC-41")),
        ("resolve INC-42 eta 30m", Resolve(42, "eta 30m")),
    ],
)
def test_commands_with_text(text, expected):
    assert p(text) == expected


@pytest.mark.parametrize(
    ("text", "usage", "word"),
    [
        ("escalate nobody answers INC-42", "escalate", "nobody"),
        ("resolve rolled back INC-42", "resolve", "rolled"),
        ("close 42", "resolve", "42"),
        ("reopen #42", "reopen", "#42"),
    ],
)
def test_commands_with_text_need_the_id_first(text, usage, word):
    assert p(text) == ParseError(
        f"Which incident? `{word}` is not an incident id like INC-42.", USAGE[usage]
    )


@pytest.mark.parametrize(
    ("verb", "usage"),
    [("escalate", "escalate"), ("resolve", "resolve"), ("close", "resolve"), ("reopen", "reopen")],
)
def test_commands_with_text_without_id(verb, usage):
    assert p(verb) == ParseError(WHICH, USAGE[usage])


# --- assign ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("assign INC-42 commander <@U123|bob>", Assign(42, Role.COMMANDER, "U123")),
        ("assign INC-42 commander <@U123>", Assign(42, Role.COMMANDER, "U123")),
        ("assign INC-42 commander @U123", Assign(42, Role.COMMANDER, "U123")),
        ("assign INC-42 commander U123", Assign(42, Role.COMMANDER, "U123")),
        ("assign INC-42 ic <@W0ENT|ann>", Assign(42, Role.COMMANDER, "W0ENT")),
        ("assign INC-42 LEAD U0ABC", Assign(42, Role.COMMANDER, "U0ABC")),
        ("assign INC-42 comms <@U9AB|carol.smith>", Assign(42, Role.COMMS, "U9AB")),
        ("assign INC-42 Communications U9AB", Assign(42, Role.COMMS, "U9AB")),
        # order is free
        ("assign <@U123|bob> commander INC-42", Assign(42, Role.COMMANDER, "U123")),
        ("assign comms INC-42 U123", Assign(42, Role.COMMS, "U123")),
    ],
)
def test_assign(text, expected):
    assert p(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "assign INC-42 commander",
        "assign INC-42 <@U123|bob>",
        "assign INC-42",
        "assign INC-42 commander comms <@U123>",
        "assign INC-42 commander <@U123> <@U456>",
    ],
)
def test_assign_needs_one_role_and_one_user(text):
    assert p(text) == ParseError("Name one role and one person.", USAGE["assign"])


@pytest.mark.parametrize("word", ["@bob", "bob", "scribe", "u123", "<@bob>", "<#C0X|general>"])
def test_assign_rejects_other_words(word):
    assert p(f"assign INC-42 commander {word}") == ParseError(
        f"`{word}` is neither a role nor a user: mention someone, like @alice.", USAGE["assign"]
    )


def test_assign_without_id():
    assert p("assign commander @U123") == ParseError(
        "Which incident? `commander` is not an incident id like INC-42.", USAGE["assign"]
    )
    assert p("assign INC-1 INC-2 commander U123") == ParseError(
        "Name one incident at a time.", USAGE["assign"]
    )


# --- list / help -----------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["list", "LIST", "ls", "  ls  "])
def test_list(text):
    assert p(text) == ListOpen()


def test_list_takes_a_team_and_all_means_every_team():
    assert p("list payments") == ListOpen("payments")
    assert p("ls all") == ListOpen()


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("ls pay$", "`pay$` is not a team name (lower-case letters, digits, - and _)."),
        ("list payments platform", "Name one team at most; unexpected `platform`."),
    ],
)
def test_list_names_one_team_at_most(text, problem):
    assert p(text) == ParseError(problem, USAGE["list"])


def test_transfer_names_an_incident_and_a_team():
    assert p("transfer INC-42 payments") == Transfer(42, "payments")
    assert p("transfer team:payments INC-42") == Transfer(42, "payments")
    assert p("transfer INC-42") == ParseError("Name the team to hand it to.", USAGE["transfer"])
    assert p("transfer payments") == ParseError(
        "Which incident? `payments` is not an incident id like INC-42.", USAGE["transfer"]
    )


@pytest.mark.parametrize("text", ["help", "HELP", "help me please", "help ack"])
def test_help(text):
    assert p(text) == Help()


# --- oncall / handover -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("oncall", OnCall()),
        ("ONCALL", OnCall()),
        ("on-call primary", OnCall("primary")),
        ("who Primary", OnCall("primary")),
        ("oncall platform-ops", OnCall("platform-ops")),
        ("handover", Handover()),
        ("handover primary", Handover("primary")),
    ],
)
def test_oncall_and_handover(text, expected):
    assert p(text) == expected


@pytest.mark.parametrize("verb", ["oncall", "handover"])
def test_oncall_and_handover_take_one_rotation(verb):
    assert p(f"{verb} primary secondary") == ParseError(
        "Name one rotation at most; unexpected `secondary`.", USAGE[verb]
    )
    assert p(f"{verb} prim@ry") == ParseError(
        "`prim@ry` is not a rotation name (lower-case letters, digits, - and _).", USAGE[verb]
    )
    assert p(f"{verb} <@U123|bob>") == ParseError(
        "Name the rotation first, then the person: `<@U123|bob>` is a person.", USAGE[verb]
    )


# --- override --------------------------------------------------------------------------------

OVR = USAGE["override"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("override primary <@U0BOB|bob> 4h", AddOverride("primary", "U0BOB", timedelta(hours=4))),
        ("override primary <@U0BOB> 1d12h", AddOverride("primary", "U0BOB", timedelta(hours=36))),
        ("override Primary @U0BOB for 2d", AddOverride("primary", "U0BOB", timedelta(days=2))),
        (
            "override primary <@U0BOB|bob> from 2026-03-28 22:00 to 2026-03-29 08:00",
            AddOverride(
                "primary",
                "U0BOB",
                start=datetime(2026, 3, 28, 22, 0),
                end=datetime(2026, 3, 29, 8, 0),
            ),
        ),
        (
            "override primary U0BOB from 2026-03-28T22:00 until 2026-03-29t8:00",
            AddOverride(
                "primary",
                "U0BOB",
                start=datetime(2026, 3, 28, 22, 0),
                end=datetime(2026, 3, 29, 8, 0),
            ),
        ),
        ("override list", ListOverrides()),
        ("overrides ls primary", ListOverrides("primary")),
        ("override remove 12", RemoveOverride(12)),
        ("override rm #7", RemoveOverride(7)),
        ("override delete 3", RemoveOverride(3)),
    ],
)
def test_override(text, expected):
    assert p(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("override", "Which rotation, who, and for how long?"),
        ("override primary", "Who takes over *primary*? Mention them, like @alice."),
        ("override primary bob 4h", "`bob` is not a person: mention someone, like @alice."),
        ("override primary @bob 4h", "`@bob` is not a person: mention someone, like @alice."),
        (
            "override <@U0BOB> primary 4h",
            "Name the rotation first, then the person: `<@U0BOB>` is a person.",
        ),
        (
            "override primary <@U0BOB>",
            "For how long? Give a duration like 4h or 2d, or `from … to …`.",
        ),
        ("override primary <@U0BOB> for", "For how long? Give a duration like 4h or 2d."),
        (
            "override primary <@U0BOB> soon",
            "Duration: 'soon' is not a duration like 15m, 4h or 1d.",
        ),
        ("override primary <@U0BOB> 0h", "Duration: '0h' must be longer than zero."),
        ("override primary <@U0BOB> 400d", "Duration: '400d' is longer than a year."),
        (
            "override primary <@U0BOB> 4 hours",
            "`4 hours` is not a duration like 4h or 2d; "
            "for times write `from 2026-03-28 22:00 to 2026-03-29 08:00`.",
        ),
        (
            "override primary <@U0BOB> from 2026-03-28 22:00",
            "An override from a time needs an end: `from <when> to <when>`.",
        ),
        (
            "override primary <@U0BOB> from to 2026-03-29 08:00",
            "`from` needs a time like 2026-03-28 22:00.",
        ),
        (
            "override primary <@U0BOB> from 2026-03-28 22:00 to",
            "`to` needs a time like 2026-03-28 22:00.",
        ),
        (
            "override primary <@U0BOB> from tomorrow to 2026-03-29 08:00",
            "`tomorrow` is not a time like 2026-03-28 22:00 (local time of the rotation).",
        ),
        (
            "override primary <@U0BOB> from 2026-03-28 to 2026-03-29 08:00",
            "`from 2026-03-28` needs a time of day too, like 2026-03-28 09:00.",
        ),
        (
            "override primary <@U0BOB> from 2026-02-30 10:00 to 2026-03-29 08:00",
            "`2026-02-30 10:00` is not a real date and time.",
        ),
        (
            "override primary <@U0BOB> from 2026-03-28 25:00 to 2026-03-29 08:00",
            "`2026-03-28 25:00` is not a real date and time.",
        ),
        (
            "override primary <@U0BOB> from 2026-03-28 10:00pm to 2026-03-29 08:00",
            "`2026-03-28 10:00pm` is not a time like 2026-03-28 22:00 (local time of the rotation).",
        ),
        ("override remove", "Which override? Give its number (see `/incident override list`)."),
        (
            "override remove INC-4",
            "`INC-4` is not an override number like 12 (see `/incident override list`).",
        ),
        (
            "override list <@U0BOB>",
            "Name the rotation first, then the person: `<@U0BOB>` is a person.",
        ),
    ],
)
def test_override_errors_say_what_is_wrong(text, message):
    assert p(text) == ParseError(message, OVR)


def test_list_and_remove_with_a_person_are_rotations_named_so():
    # a rotation may be called `list`: with a person and a duration it is an override of it
    assert p("override list <@U0BOB> 4h") == AddOverride("list", "U0BOB", timedelta(hours=4))


def test_help_lists_the_new_commands():
    assert "/incident oncall [team|rotation]" in ALL_USAGE
    assert "/incident override remove <id>" in ALL_USAGE
    assert "/incident handover [rotation]" in ALL_USAGE


# --- unknown verbs ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("word", "suggested"),
    [
        ("ackk", "ack"),
        ("aknowledge", "ack"),
        ("resolv", "resolve"),
        ("clse", "resolve"),
        ("escalte", "escalate"),
        ("declar", "declare"),
        ("updte", "update"),
        ("asign", "assign"),
        ("lst", "list"),
        ("reopn", "reopen"),
        ("severty", "sev"),
        ("Shwo", "show"),
        ("oncal", "oncall"),
        ("overide", "override"),
        ("handvoer", "handover"),
    ],
)
def test_unknown_verb_suggests_the_nearest_command(word, suggested):
    assert p(f"{word} INC-42") == ParseError(
        f"`{word}` is not a command. Did you mean `{suggested}`?", USAGE[suggested]
    )


@pytest.mark.parametrize(
    "word", ["xyzzy", "zzz2026", "!!!", "INC-42", "frobnicate", "page", "rep", "incidents"]
)
def test_unknown_verb_without_a_near_command_shows_all_usage(word):
    result = p(f"{word} something")
    assert result == ParseError(f"`{word}` is not a command.", ALL_USAGE)
    usage_lines = sum(len(u.splitlines()) for u in USAGE.values())
    assert len(result.usage.splitlines()) == usage_lines


def test_unknown_verb_is_clipped_and_loses_backticks():
    word = "`" + "z" * 60
    result = p(word)
    assert isinstance(result, ParseError)
    echoed = "'" + "z" * 38 + "…"
    assert result.message == f"`{echoed}` is not a command."
    assert len(echoed) == 40


def test_clipped_echo_of_unexpected_words():
    result = p("ack INC-42 " + "w" * 50)
    assert result == ParseError("Unexpected `" + "w" * 39 + "…`.", USAGE["ack"])


# --- severity_name ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("sev1", "SEV1"),
        ("SEV1", "SEV1"),
        (" Sev2 ", "SEV2"),
        ("1", "SEV1"),
        ("4", "SEV4"),
        ("5", None),
        ("sev", None),
        ("", None),
        ("01", None),
    ],
)
def test_severity_name(text, expected):
    assert severity_name(text, SEVS) == expected


def test_severity_name_with_custom_names():
    names = ["P1", "P2", "minor"]
    assert severity_name("p1", names) == "P1"
    assert severity_name("2", names) == "P2"
    assert severity_name("MINOR", names) == "minor"


def test_severity_number_must_be_unambiguous():
    assert severity_name("1", ["SEV1", "P1"]) is None
    assert severity_name("sev1", ["SEV1", "P1"]) == "SEV1"


def test_custom_severities_flow_into_messages():
    result = parse("sev INC-3 nope", ["P1", "P2"])
    assert result == ParseError("`nope` is not a severity; use one of P1, P2.", USAGE["sev"])
    assert parse("sev INC-3 2", ["P1", "P2"]) == Sev(3, "P2")


# --- line breaks (Slack sends them when users press shift-enter) ------------------------------


def test_update_with_text_on_the_next_line():
    assert p("update INC-42\nRolled back the deploy") == Update(42, "Rolled back the deploy")


def test_verb_followed_by_a_line_break():
    assert p("declare\ncheckout is down") == Declare("checkout is down")


# --- arbitrary input -------------------------------------------------------------------------

COMMAND_TYPES = (
    OnCall,
    Heartbeats,
    Transfer,
    AddOverride,
    ListOverrides,
    RemoveOverride,
    Handover,
    OpenDeclareModal,
    Declare,
    Ack,
    Update,
    Sev,
    Escalate,
    Resolve,
    Reopen,
    Assign,
    ListOpen,
    Show,
    Audit,
    Help,
    Report,
    Postmortem,
    StartMaintenance,
    ListMaintenance,
    EndMaintenance,
)


def _check_result(result):
    assert isinstance(result, (*COMMAND_TYPES, ParseError))
    if isinstance(result, ParseError):
        assert result.message
        assert result.usage == ALL_USAGE or result.usage in USAGE.values()


@settings(max_examples=400, deadline=None)
@given(st.text())
def test_arbitrary_text_never_raises(text):
    _check_result(parse(text, SEVS))


words = st.one_of(
    st.sampled_from(
        [
            "INC-42",
            "inc-7",
            "INC-1",
            "sev1",
            "2",
            "eta",
            "30m",
            "commander",
            "comms",
            "<@U123|b>",
            "@U9AB",
            "service:api",
            "tenant:a,b",
            "x",
            "`",
            ":",
            "primary",
            "from",
            "to",
            "list",
            "remove",
            "2026-03-28",
            "22:00",
            "2026-03-29T08:00",
            "2026-02-30T25:99",
            "#12",
        ]
    ),
    st.text(min_size=1, max_size=8),
)


@settings(max_examples=400, deadline=None)
@given(
    st.sampled_from(sorted([*USAGE, *ALIASES])),
    st.lists(words, max_size=6),
    st.sampled_from([" ", "  ", "\n", "\t"]),
)
def test_every_verb_with_random_words_never_raises(verb, rest, sep):
    _check_result(parse(sep.join([verb, *rest]), SEVS))


# --- report and postmortem -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("report", Report(timedelta(days=7))),
        ("report 7d", Report(timedelta(days=7))),
        ("report 30d", Report(timedelta(days=30))),
        ("REPORT 90d", Report(timedelta(days=90))),
        ("report 2w", Report(timedelta(days=14))),
        ("stats 30d", Report(timedelta(days=30))),
        ("report 30d team:payments", Report(timedelta(days=30), "payments")),
        ("report Team:Payments", Report(timedelta(days=7), "payments")),
        ("postmortem INC-42", Postmortem(42)),
        ("postmortem inc42", Postmortem(42)),
        ("pm INC-7", Postmortem(7)),
    ],
)
def test_report_and_postmortem(text, expected):
    assert p(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("report 12h", "A report covers at least a day (1d)."),
        ("report 7d 30d", "Name one period, like 7d, 30d or 90d."),
        ("report week", "Period: 'week' is not a duration like 15m, 4h or 1d."),
        ("report 400d", "Period: '400d' is longer than a year."),
        ("report team:a team:b", "Name one team at most."),
        (
            "report team:pay!",
            "`pay!` is not a team name (lower-case letters, digits, - and _).",
        ),
    ],
)
def test_report_period_mistakes_are_named(text, message):
    assert p(text) == ParseError(message, USAGE["report"])


def test_postmortem_needs_an_incident():
    assert p("postmortem") == ParseError(WHICH, USAGE["postmortem"])
    assert p("postmortem INC-1 now") == ParseError("Unexpected `now`.", USAGE["postmortem"])


def test_declare_private_is_the_word_right_after_declare():
    assert parse("declare private sev1 Suspected data breach", SEVS) == Declare(
        "Suspected data breach", "SEV1", private=True
    )
    assert parse("declare Private sev1 Breach", SEVS) == Declare("Breach", "SEV1", private=True)
    assert parse("declare sev1 private keys leaked", SEVS) == Declare("private keys leaked", "SEV1")
    assert isinstance(parse("declare private", SEVS), ParseError)


def test_audit_names_one_incident():
    assert parse("audit INC-42", SEVS) == Audit(42)
    assert isinstance(parse("audit", SEVS), ParseError)


def test_heartbeats_takes_nothing_more():
    assert parse("heartbeats", SEVS) == Heartbeats()
    assert parse("heartbeat", SEVS) == Heartbeats()
    refused = parse("heartbeats nightly", SEVS)
    assert isinstance(refused, ParseError) and "unexpected `nightly`" in refused.message
