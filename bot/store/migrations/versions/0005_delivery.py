"""outbox delivery: what a row's delivery left in Slack (in-flight marking, the message ts)

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-04
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        # set before Slack is called, cleared when Slack answered with a refusal: a row found
        # pending with it set may have been posted already (a crash or a timeout in between)
        batch.add_column(sa.Column("in_flight_at", sa.DateTime(timezone=True)))
        batch.add_column(sa.Column("sent_channel", sa.String(32)))  # where it landed
        batch.add_column(sa.Column("sent_ts", sa.String(32)))  # the message Slack made


def downgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.drop_column("sent_ts")
        batch.drop_column("sent_channel")
        batch.drop_column("in_flight_at")
