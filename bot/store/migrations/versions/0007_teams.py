"""Teams: the team that owns each incident (NULL for incidents declared before teams: the
default team's)

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-04
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("incidents") as batch:
        batch.add_column(sa.Column("team", sa.String(length=32), nullable=True))
    op.create_index("ix_incidents_team_status_id", "incidents", ["team", "status", "id"])


def downgrade() -> None:
    op.drop_index("ix_incidents_team_status_id", table_name="incidents")
    with op.batch_alter_table("incidents") as batch:
        batch.drop_column("team")
