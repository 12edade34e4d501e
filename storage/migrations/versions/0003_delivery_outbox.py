"""delivery outbox: per-chat send pacing, how a delivery was sent, daily counters

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("chats", schema=None) as batch_op:
        batch_op.add_column(sa.Column("next_send_at", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.add_column(sa.Column("sent_as", sa.String(length=16), nullable=True))
    op.create_table(
        "daily_counts",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("value", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("day", "name", name=op.f("pk_daily_counts")),
    )


def downgrade() -> None:
    op.drop_table("daily_counts")
    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.drop_column("sent_as")
    with op.batch_alter_table("chats", schema=None) as batch_op:
        batch_op.drop_column("next_send_at")
