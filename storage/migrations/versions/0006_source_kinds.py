"""source kinds: feed, telegram, sitemap, page; each reader's state; an article's origin

`sources.kind` held the format of the feed last parsed (rss20, atom10 …): it is renamed
`format`, and `kind` now says what the source is (feed | telegram | sitemap | page; every
source stored before this revision is a feed). `site_name` is the name a source gives itself
for attributions (a Telegram channel's title with its @username), `reader_state` what its
reader keeps between polls (a channel's last message id). `articles.origin` names where an
article first appeared when that is not its source (a forwarded message's channel).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-08
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

KINDS = ("feed", "telegram", "sitemap", "page")


def upgrade() -> None:
    # No batch (table rebuild) on SQLite: dropping the old `sources` table would delete every
    # article with it (ON DELETE CASCADE, foreign keys on). SQLite renames, adds and drops
    # these plain columns in place (3.25+, 3.35+ for DROP COLUMN), as PostgreSQL does.
    op.execute(sa.text("ALTER TABLE sources RENAME COLUMN kind TO format"))
    op.add_column(
        "sources",
        sa.Column(
            "kind",
            sa.Enum(*KINDS, name="sourcekind", native_enum=False, length=16),
            nullable=False,
            server_default="feed",
        ),
    )
    op.add_column("sources", sa.Column("site_name", sa.String(length=256), nullable=True))
    op.add_column("sources", sa.Column("reader_state", sa.JSON(), nullable=True))
    op.add_column("articles", sa.Column("origin", sa.String(length=256), nullable=True))


def downgrade() -> None:
    # The revisions before this one read feeds only: the other kinds go, with their
    # articles (ON DELETE CASCADE).
    op.execute(sa.text("DELETE FROM sources WHERE kind <> 'feed'"))
    for table, column in (
        ("articles", "origin"),
        ("sources", "reader_state"),
        ("sources", "site_name"),
        ("sources", "kind"),
    ):
        op.execute(sa.text(f"ALTER TABLE {table} DROP COLUMN {column}"))
    op.execute(sa.text("ALTER TABLE sources RENAME COLUMN format TO kind"))
