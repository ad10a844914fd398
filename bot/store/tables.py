"""Tables, in portable SQL only: the same schema serves SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.types import TypeDecorator


class UTCDateTime(TypeDecorator):
    """Aware UTC datetimes in, aware UTC datetimes out, whatever the backend stores."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        value = _aware_in_utc(value)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        return None if value is None else _read_as_utc(value)

    # On SQLite, one conversion each way instead of this type's and DATETIME's chained (a
    # declaration binds ~30 datetimes): the same text SQLite's DATETIME stores,
    # "YYYY-MM-DD HH:MM:SS.ffffff" in UTC, and whatever ISO 8601 text it holds read back.
    def bind_processor(self, dialect):
        if dialect.name != "sqlite":
            return super().bind_processor(dialect)
        return _sqlite_text

    def result_processor(self, dialect, coltype):
        if dialect.name != "sqlite":
            return super().result_processor(dialect, coltype)
        return _sqlite_datetime


def _aware_in_utc(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise ValueError("naive datetime given to the database")
    return value.astimezone(UTC)


def _read_as_utc(value: datetime) -> datetime:
    """A stored time in UTC: one without a zone was stored as UTC."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


# The last datetime bound and its text: a change binds the same instant to several columns
# and rows (its `at`), and `isoformat` costs ~1 µs. Swapped whole, so any thread may read it;
# it holds the datetime, so the identity it is checked by cannot be reused.
_last_bound: tuple[datetime | None, str | None] = (None, None)


def _sqlite_text(value: datetime | None) -> str | None:
    global _last_bound
    if value is None:
        return None
    seen, text = _last_bound
    if seen is value:
        return text
    text = _aware_in_utc(value).replace(tzinfo=None).isoformat(" ", "microseconds")
    _last_bound = (value, text)
    return text


def _sqlite_datetime(value: str | None) -> datetime | None:
    return None if value is None else _read_as_utc(datetime.fromisoformat(value))


def utc(value: datetime) -> datetime:
    return value.astimezone(UTC)


metadata = sa.MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

incidents = sa.Table(
    "incidents",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),  # shown as INC-<id>
    sa.Column("title", sa.String(200), nullable=False),
    sa.Column("description", sa.Text),
    sa.Column("severity", sa.String(16), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("service", sa.String(64)),
    sa.Column("team", sa.String(32)),  # NULL: the default team (incidents from before teams)
    # seen only by its responders, its team and admins; opened in `private_channel` (0009)
    sa.Column("private", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("tenants", sa.JSON, nullable=False),
    sa.Column("source", sa.String(32), nullable=False),
    sa.Column("declared_by", sa.String(64), nullable=False),
    sa.Column("commander", sa.String(64)),
    sa.Column("comms_lead", sa.String(64)),
    sa.Column("acknowledged_by", sa.String(64)),
    sa.Column("resolved_by", sa.String(64)),
    sa.Column("summary", sa.Text),
    sa.Column("channel_id", sa.String(32), nullable=False),
    sa.Column("thread_ts", sa.String(32)),  # ts of the card, the thread's root
    sa.Column("declared_at", UTCDateTime, nullable=False),
    sa.Column("acknowledged_at", UTCDateTime),
    sa.Column("resolved_at", UTCDateTime),
    sa.Column("escalated_at", UTCDateTime),
    sa.Column("ack_due_at", UTCDateTime),
    sa.Column("last_update_at", UTCDateTime),
    sa.Column("eta_at", UTCDateTime),
    sa.Column("escalation_level", sa.Integer, nullable=False),
    sa.Column("escalation_policy", sa.JSON, nullable=False),  # snapshot at declaration
    sa.Column("version", sa.Integer, nullable=False),  # bumped on every change
    # bumped whenever the escalation schedule changes: a timer set for an older value is stale
    sa.Column("escalation_fence", sa.Integer, nullable=False, server_default="0"),
    sa.Column("waiting_until", UTCDateTime),  # outside coverage: no guaranteed response until
    sa.Index("ix_incidents_status_id", "status", "id"),
    sa.Index("ix_incidents_team_status_id", "team", "status", "id"),
    sa.Index("ix_incidents_declared_at", "declared_at"),
    # finds the incident a thread message belongs to (migration 0004)
    sa.Index("ix_incidents_channel_id_thread_ts", "channel_id", "thread_ts"),
)

events = sa.Table(
    "events",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("incident_id", sa.Integer, sa.ForeignKey("incidents.id"), nullable=False),
    sa.Column("at", UTCDateTime, nullable=False),
    sa.Column("actor", sa.String(64), nullable=False),
    sa.Column("kind", sa.String(32), nullable=False),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("data", sa.JSON, nullable=False),
    sa.Index("ix_events_incident_id_id", "incident_id", "id"),
    # one kind of event across incidents, e.g. when coverage resumed, for reports (0004)
    sa.Index("ix_events_kind_incident_id", "kind", "incident_id"),
)

outbox = sa.Table(
    "outbox",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("incident_id", sa.Integer, sa.ForeignKey("incidents.id")),  # orders delivery
    sa.Column("kind", sa.String(24), nullable=False),  # card | reply | ephemeral
    sa.Column("channel", sa.String(32)),
    sa.Column("payload", sa.JSON, nullable=False),
    sa.Column("status", sa.String(12), nullable=False),  # pending | sent | failed | superseded
    sa.Column("attempts", sa.Integer, nullable=False),
    sa.Column("not_before", UTCDateTime, nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("finished_at", UTCDateTime),
    sa.Column("last_error", sa.Text),
    sa.Column("in_flight_at", UTCDateTime),  # Slack called, answer not recorded yet
    sa.Column("sent_channel", sa.String(32)),
    sa.Column("sent_ts", sa.String(32)),
    sa.Index("ix_outbox_status_id", "status", "id"),
    sa.Index("ix_outbox_incident_id_id", "incident_id", "id"),
    # the senders' reads past a backlog resting in one channel (migration 0014)
    sa.Index("ix_outbox_status_kind_channel_id", "status", "kind", "channel", "id"),
    sa.Index("ix_outbox_status_channel_kind_id", "status", "channel", "kind", "id"),
    # delivered rows, which the outbox keeps for 30 days (housekeeping), read without walking
    # them (0015): the rows one message delivered, and the rows that recorded an error
    sa.Index(
        "ix_outbox_sent_ts",
        "sent_ts",
        sqlite_where=sa.text("sent_ts IS NOT NULL"),
        postgresql_where=sa.text("sent_ts IS NOT NULL"),
    ),
    sa.Index(
        "ix_outbox_erred_id",
        "id",
        sqlite_where=sa.text("last_error IS NOT NULL"),
        postgresql_where=sa.text("last_error IS NOT NULL"),
    ),
    # a channel's posts in the pacing window, read when a replica takes over its lane (0018)
    sa.Index(
        "ix_outbox_sent_channel_finished_at",
        "channel",
        "finished_at",
        sqlite_where=sa.text("status = 'sent'"),
        postgresql_where=sa.text("status = 'sent'"),
    ),
)

timers = sa.Table(
    "timers",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("incident_id", sa.Integer, sa.ForeignKey("incidents.id")),
    sa.Column("kind", sa.String(24), nullable=False),
    sa.Column("due_at", UTCDateTime, nullable=False),
    sa.Column("fence", sa.Integer, nullable=False),  # the incident's escalation_fence when set
    sa.Column("status", sa.String(12), nullable=False),  # pending | fired | stale | cancelled
    sa.Column("key", sa.String(160), unique=True),  # makes scheduling idempotent (handovers)
    sa.Column("payload", sa.JSON, nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("fired_at", UTCDateTime),
    sa.Index("ix_timers_status_due_at", "status", "due_at"),
    sa.Index("ix_timers_incident_id_status", "incident_id", "status"),
)

overrides = sa.Table(
    "overrides",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("rotation", sa.String(64), nullable=False),
    sa.Column("user_id", sa.String(64), nullable=False),
    sa.Column("starts_at", UTCDateTime, nullable=False),
    sa.Column("ends_at", UTCDateTime, nullable=False),
    sa.Column("created_by", sa.String(64), nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("removed_by", sa.String(64)),
    sa.Column("removed_at", UTCDateTime),
    sa.Index("ix_overrides_rotation_ends_at", "rotation", "ends_at"),
)

people = sa.Table(
    "people",
    metadata,
    sa.Column("email", sa.String(254), primary_key=True),  # as written in config, lower-case
    sa.Column("user_id", sa.String(64)),  # None: Slack knows no such user
    sa.Column("looked_up_at", UTCDateTime, nullable=False),
)

# -- alerts (migration 0003) ------------------------------------------------------------------

alert_groups = sa.Table(  # one per alert group of a source: Alertmanager's groupKey, dedup_key
    "alert_groups",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("source", sa.String(16), nullable=False),  # alertmanager | grafana | generic
    sa.Column("key_hash", sa.String(64), nullable=False),  # sha256 of the group key, hex
    sa.Column("group_key", sa.Text, nullable=False),
    sa.Column("incident_id", sa.Integer, sa.ForeignKey("incidents.id")),  # the latest one
    sa.Column("status", sa.String(12), nullable=False),  # firing | resolved
    sa.Column("severity", sa.String(16)),
    sa.Column("service", sa.String(64)),
    sa.Column("title", sa.String(200), nullable=False),
    sa.Column("labels", sa.JSON, nullable=False),  # common labels
    sa.Column("annotations", sa.JSON, nullable=False),  # common annotations
    sa.Column("links", sa.JSON, nullable=False),  # e.g. {"source": ...} (validated http(s))
    sa.Column("notifications", sa.Integer, nullable=False),
    sa.Column("first_seen_at", UTCDateTime, nullable=False),
    sa.Column("last_seen_at", UTCDateTime, nullable=False),
    sa.Column("resolved_at", UTCDateTime),
    sa.UniqueConstraint("source", "key_hash"),
    sa.Index("ix_alert_groups_incident_id", "incident_id"),
    # the firing groups, read when a maintenance window ends: groups are kept for good (0017)
    sa.Index(
        "ix_alert_groups_firing",
        "id",
        sqlite_where=sa.text("status = 'firing'"),
        postgresql_where=sa.text("status = 'firing'"),
    ),
)

alerts = sa.Table(  # the latest known state of each alert of a group
    "alerts",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("group_id", sa.Integer, sa.ForeignKey("alert_groups.id"), nullable=False),
    sa.Column("fingerprint", sa.String(64), nullable=False),
    sa.Column("status", sa.String(12), nullable=False),  # firing | resolved
    sa.Column("severity", sa.String(16), nullable=False),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("labels", sa.JSON, nullable=False),
    sa.Column("annotations", sa.JSON, nullable=False),
    sa.Column("links", sa.JSON, nullable=False),
    sa.Column("starts_at", UTCDateTime),
    sa.Column("ends_at", UTCDateTime),
    sa.Column("first_seen_at", UTCDateTime, nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=False),
    sa.UniqueConstraint("group_id", "fingerprint"),
)

alert_notifications = sa.Table(  # every notification received, what it changed and led to
    "alert_notifications",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("group_id", sa.Integer, sa.ForeignKey("alert_groups.id"), nullable=False),
    sa.Column("received_at", UTCDateTime, nullable=False),
    sa.Column("status", sa.String(12), nullable=False),  # as the source said: firing | resolved
    sa.Column("alerts", sa.Integer, nullable=False),  # how many alerts it carried
    # opened | reopened | updated | resolved | unchanged | posted | maintenance
    sa.Column("outcome", sa.String(16), nullable=False),
    sa.Column("incident_id", sa.Integer, sa.ForeignKey("incidents.id")),
    sa.Column("changes", sa.JSON, nullable=False),  # the alerts that were new or changed
    sa.Column("data", sa.JSON, nullable=False),  # what the quiet channel post needs
    sa.Index("ix_alert_notifications_group_id_id", "group_id", "id"),
    sa.Index("ix_alert_notifications_incident_id", "incident_id"),
)

maintenance_windows = sa.Table(  # set with `/incident maintenance`; config windows are not rows
    "maintenance_windows",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("service", sa.String(64)),  # None: every service
    sa.Column("reason", sa.Text),
    sa.Column("starts_at", UTCDateTime, nullable=False),
    sa.Column("ends_at", UTCDateTime, nullable=False),
    sa.Column("created_by", sa.String(64), nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("ended_by", sa.String(64)),  # ended early, by whom
    sa.Column("ended_at", UTCDateTime),
    sa.Index("ix_maintenance_windows_ends_at", "ends_at"),
)

# -- Slack requests already handled (migration 0006) ------------------------------------------

handled_requests = sa.Table(  # refuses replays, answers Slack's retries without acting again
    "handled_requests",
    metadata,
    sa.Column("key", sa.String(64), primary_key=True),  # sha256 hex of what names the request
    sa.Column("expires_at", UTCDateTime, nullable=False),  # past it, a replay is stale anyway
    sa.Index("ix_handled_requests_expires_at", "expires_at"),
    sqlite_with_rowid=False,  # keyed by a hash: one B-tree fewer to write (SQLite only)
)

# -- the audit log (migration 0008) ------------------------------------------------------------

audit_log = sa.Table(  # one row per change or refusal, hash-chained (bot.core.audit)
    "audit_log",
    metadata,
    sa.Column("seq", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True),
    sa.Column("at", UTCDateTime, nullable=False),
    sa.Column("actor", sa.String(64), nullable=False),  # a user id, or the source's name
    sa.Column("source", sa.String(16), nullable=False),  # command, button, webhook, timer, ...
    sa.Column("action", sa.String(32), nullable=False),
    sa.Column("target", sa.String(128), nullable=False),  # INC-42, rotation:primary, config
    sa.Column("outcome", sa.String(16), nullable=False),  # done, denied, invalid
    sa.Column("before", sa.JSON),
    sa.Column("after", sa.JSON),
    sa.Column("prev_hash", sa.String(64), nullable=False),
    sa.Column("hash", sa.String(64), nullable=False),
    sa.Index("ix_audit_log_at", "at"),
    sa.Index("ix_audit_log_target_seq", "target", "seq"),
    # the last config load, read at every start: the rows of that action alone (0016)
    sa.Index(
        "ix_audit_log_config_loads",
        "seq",
        sqlite_where=sa.text("action = 'config.load'"),
        postgresql_where=sa.text("action = 'config.load'"),
    ),
)

audit_head = sa.Table(  # one row: where the chain ends; locked by each append (replicas queue)
    "audit_head",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("seq", sa.BigInteger, nullable=False),
    sa.Column("hash", sa.String(64), nullable=False),
)

# -- pages sent by phone (migration 0010) ------------------------------------------------------

page_sends = sa.Table(  # one row per SMS or call handed to a provider: receipts, replies, failover
    "page_sends",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("incident_id", sa.Integer, sa.ForeignKey("incidents.id"), nullable=False),
    sa.Column("user", sa.String(64), nullable=False),  # the Slack user paged
    sa.Column("medium", sa.String(8), nullable=False),  # sms | voice
    sa.Column("phone", sa.String(16), nullable=False),  # E.164
    sa.Column("provider", sa.String(16), nullable=False),  # twilio | vonage
    sa.Column("attempt", sa.Integer, nullable=False),  # index into paging.sms (failover)
    sa.Column("provider_id", sa.String(64)),  # the provider's message or call id
    sa.Column("status", sa.String(16), nullable=False),  # sent, delivered, failed, ...
    sa.Column("sent_at", UTCDateTime, nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=False),
    sa.Column("payload", sa.JSON, nullable=False),  # the outbox row's: to send it again
    sa.Index("ix_page_sends_provider_id", "provider", "provider_id"),
    sa.Index("ix_page_sends_phone_id", "phone", "id"),
)

# -- My paging: what people set for themselves (migration 0011) --------------------------------

paging_settings = sa.Table(  # over the person's `people:` entry; NULL: the config's (0011)
    "paging_settings",
    metadata,
    sa.Column("user", sa.String(64), primary_key=True),  # the Slack user id
    sa.Column("email", sa.String(254)),  # verified
    sa.Column("phone", sa.String(16)),  # verified, E.164
    sa.Column("ntfy", sa.String(64)),  # a topic on FIREBELL_NTFY_URL
    sa.Column("rules", sa.JSON(none_as_null=True)),  # [{"after": "5m", "via": ["sms"]}]; NULL
    sa.Column("tested_at", UTCDateTime),  # the last test page (one a minute)
)

paging_codes = sa.Table(  # an address waiting for its code, per person and medium (0011)
    "paging_codes",
    metadata,
    sa.Column("user", sa.String(64), primary_key=True),
    sa.Column("medium", sa.String(8), primary_key=True),  # email | phone
    sa.Column("address", sa.String(254)),  # pending; NULL: nothing waits (the row keeps sent_at)
    sa.Column("sent_at", UTCDateTime, nullable=False),  # the last code asked for (one a minute)
    sa.Column("salt", sa.String(32)),
    sa.Column("digest", sa.String(64)),  # of the code sent; NULL until it leaves
    sa.Column("expires_at", UTCDateTime),
    sa.Column("tries", sa.Integer, nullable=False),  # wrong ones; at 5 the code is void
)

# -- heartbeats (migration 0012) ---------------------------------------------------------------

heartbeats = sa.Table(  # one row per configured heartbeat, made at the first start with it
    "heartbeats",
    metadata,
    sa.Column("name", sa.String(64), primary_key=True),
    sa.Column("first_seen_at", UTCDateTime, nullable=False),  # first due `every + grace` later
    sa.Column("last_beat_at", UTCDateTime),  # NULL: it never beat
    sa.Column("beats", sa.Integer, nullable=False),
    sa.Column("incident_id", sa.Integer, sa.ForeignKey("incidents.id")),  # open for its silence
)

# -- version counters (migration 0013) ----------------------------------------------------------

versions = sa.Table(  # one row per cached read (`oncall`), bumped by the writes that change it
    "versions",
    metadata,
    sa.Column("name", sa.String(32), primary_key=True),
    sa.Column("value", sa.Integer, nullable=False),
)
