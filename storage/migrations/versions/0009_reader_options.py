"""readers' options: silent posts, link previews, photos, translation, daily briefings;
translations kept per article and language

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-10
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("chats", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("silent", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        batch_op.add_column(
            sa.Column("link_preview", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        batch_op.add_column(
            sa.Column("photos", sa.Boolean(), server_default=sa.true(), nullable=False)
        )
        batch_op.add_column(
            sa.Column("translate", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        batch_op.add_column(sa.Column("briefing_minutes", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("briefed_at", sa.DateTime(timezone=True), nullable=True))
    op.create_table(
        "article_translations",
        sa.Column(
            "article_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("language", sa.String(length=16), nullable=False),
        sa.Column("headline", sa.Text(), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("model", sa.String(length=128), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["article_id"],
            ["articles.id"],
            name=op.f("fk_article_translations_article_id_articles"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("article_id", "language", name=op.f("pk_article_translations")),
    )


def downgrade() -> None:
    op.drop_table("article_translations")
    with op.batch_alter_table("chats", schema=None) as batch_op:
        batch_op.drop_column("briefed_at")
        batch_op.drop_column("briefing_minutes")
        batch_op.drop_column("translate")
        batch_op.drop_column("photos")
        batch_op.drop_column("link_preview")
        batch_op.drop_column("silent")
