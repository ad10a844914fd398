"""Versions: a counter per cached read, bumped by each write that changes it, so every
replica sees at its next read that what it holds in memory is stale

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-05
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    versions = op.create_table(
        "versions",
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("value", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("name", name="pk_versions"),
    )
    op.bulk_insert(versions, [{"name": "oncall", "value": 0}])


def downgrade() -> None:
    op.drop_table("versions")
