"""A partial index of the audit log's config loads: every start reads the last one (is the
config new?), which walked the log back from its end, past every row since the config last
changed (100 ms per 500,000 rows, in a write transaction, before the bot is ready)

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

LOADS = sa.text("action = 'config.load'")


def upgrade() -> None:
    op.create_index(
        "ix_audit_log_config_loads",
        "audit_log",
        ["seq"],
        sqlite_where=LOADS,
        postgresql_where=LOADS,
    )


def downgrade() -> None:
    op.drop_index("ix_audit_log_config_loads", table_name="audit_log")
