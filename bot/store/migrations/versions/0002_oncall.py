"""on-call: escalation fence, coverage wait, timer keys, overrides, people

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("incidents", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("escalation_fence", sa.Integer(), nullable=False, server_default="0")
        )
        batch_op.add_column(sa.Column("waiting_until", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("timers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("key", sa.String(length=160), nullable=True))
        batch_op.create_unique_constraint(batch_op.f("uq_timers_key"), ["key"])
        batch_op.create_index("ix_timers_incident_id_status", ["incident_id", "status"])
    op.create_table(
        "overrides",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("rotation", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.String(length=64), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("removed_by", sa.String(length=64), nullable=True),
        sa.Column("removed_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_overrides")),
    )
    op.create_index("ix_overrides_rotation_ends_at", "overrides", ["rotation", "ends_at"])
    op.create_table(
        "people",
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("user_id", sa.String(length=64), nullable=True),
        sa.Column("looked_up_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("email", name=op.f("pk_people")),
    )


def downgrade() -> None:
    op.drop_table("people")
    op.drop_index("ix_overrides_rotation_ends_at", table_name="overrides")
    op.drop_table("overrides")
    with op.batch_alter_table("timers", schema=None) as batch_op:
        batch_op.drop_index("ix_timers_incident_id_status")
        batch_op.drop_constraint(batch_op.f("uq_timers_key"), type_="unique")
        batch_op.drop_column("key")
    with op.batch_alter_table("incidents", schema=None) as batch_op:
        batch_op.drop_column("waiting_until")
        batch_op.drop_column("escalation_fence")
