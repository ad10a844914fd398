"""Outbox indexes for reading delivered rows, partial so that only the rows they are about
carry an entry: (sent_ts) where a message was made, for the rows one message delivered (a
bundle of pages); (id) where an error was recorded, for /readyz's recent failures. Both reads
walked every delivered row before, which the outbox keeps for good.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

SENT = sa.text("sent_ts IS NOT NULL")
ERRED = sa.text("last_error IS NOT NULL")


def upgrade() -> None:
    op.create_index(
        "ix_outbox_sent_ts", "outbox", ["sent_ts"], sqlite_where=SENT, postgresql_where=SENT
    )
    op.create_index(
        "ix_outbox_erred_id", "outbox", ["id"], sqlite_where=ERRED, postgresql_where=ERRED
    )


def downgrade() -> None:
    op.drop_index("ix_outbox_erred_id", table_name="outbox")
    op.drop_index("ix_outbox_sent_ts", table_name="outbox")
