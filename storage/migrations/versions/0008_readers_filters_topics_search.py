"""readers: forum topics on subscriptions and deliveries, the search index

Revision ID: 0008
Revises: 0006
Create Date: 2027-01-12

Subscriptions' word filters live in their `filters` JSON column (there since 0001).

The search index is `article_search`, outside the models (storage/search.py owns it):
on SQLite an FTS5 table (rowid = the article's id) with a trigger that drops an article's
row when the article is deleted; on PostgreSQL a table with a tsvector column and a GIN
index, its rows deleted with their articles by the foreign key. Rows are written by the
poller with the articles (and by `nashra search reindex` for older ones).

A later migration that rebuilds `articles` on SQLite (a batch "recreate") drops the
trigger: it must create it again (ARTICLES_DELETE_TRIGGER below).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ARTICLES_DELETE_TRIGGER = """
CREATE TRIGGER article_search_forget AFTER DELETE ON articles BEGIN
    DELETE FROM article_search WHERE rowid = old.id;
END
"""


def upgrade() -> None:
    with op.batch_alter_table("subscriptions") as batch_op:
        batch_op.add_column(sa.Column("thread_id", sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column("thread_title", sa.String(length=128), nullable=True))
    with op.batch_alter_table("deliveries") as batch_op:
        batch_op.add_column(sa.Column("thread_id", sa.BigInteger(), nullable=True))
    if op.get_bind().dialect.name == "sqlite":
        # The words are normalized before they come (bot/text/words.py): the tokenizer only
        # splits them at spaces.
        op.execute(
            "CREATE VIRTUAL TABLE article_search USING fts5("
            "words, tokenize = 'unicode61 remove_diacritics 0')"
        )
        op.execute(ARTICLES_DELETE_TRIGGER)
        return
    op.execute(
        "CREATE TABLE article_search ("
        " article_id BIGINT NOT NULL,"
        " words TSVECTOR NOT NULL,"
        " CONSTRAINT pk_article_search PRIMARY KEY (article_id),"
        " CONSTRAINT fk_article_search_article_id_articles FOREIGN KEY (article_id)"
        " REFERENCES articles (id) ON DELETE CASCADE)"
    )
    op.execute("CREATE INDEX ix_article_search_words ON article_search USING gin (words)")


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS article_search_forget")
    op.execute("DROP TABLE IF EXISTS article_search")
    with op.batch_alter_table("deliveries") as batch_op:
        batch_op.drop_column("thread_id")
    with op.batch_alter_table("subscriptions") as batch_op:
        batch_op.drop_column("thread_title")
        batch_op.drop_column("thread_id")
