"""SQLAlchemy models for every entity of the design; uniqueness lives in constraints."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    Enum,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    false,
    true,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from storage.types import BigIntId, UTCDateTime, utcnow

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UTCDateTime,
        dict[str, Any]: JSON,
        list[str]: JSON,
    }


def _enum(cls: type[StrEnum]) -> Enum:
    return Enum(
        cls,
        native_enum=False,
        length=16,
        validate_strings=True,
        values_callable=lambda members: [member.value for member in members],
    )


class ArticleStatus(StrEnum):
    SEEN = "seen"  # stored by a source's first poll (backfill): never delivered
    NEW = "new"  # waits to be composed into a post
    READY = "ready"  # composed: its post can be delivered
    SKIPPED = "skipped"  # composed but not delivered (duplicate story, filtered)


class SourceKind(StrEnum):
    """What a source is, which decides how it is read (bot/pipeline/read_kinds.py)."""

    FEED = "feed"  # RSS, Atom or JSON Feed
    TELEGRAM = "telegram"  # a public Telegram channel, read from its t.me/s/NAME page
    SITEMAP = "sitemap"  # a (news) sitemap or sitemap index: its new pages are the articles
    PAGE = "page"  # a section page: the article pages it links to


class ChatKind(StrEnum):
    PRIVATE = "private"
    GROUP = "group"
    SUPERGROUP = "supergroup"
    CHANNEL = "channel"


class DeliveryState(StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    CANCELLED = "cancelled"
    DIGESTED = "digested"  # sent as part of a digest message


class Category(Base):
    __tablename__ = "categories"

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    names: Mapped[dict[str, Any]] = mapped_column(default=dict)  # language code → display name
    position: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    aliases: Mapped[list[CategoryAlias]] = relationship(
        back_populates="category", cascade="all, delete-orphan", lazy="selectin"
    )


class CategoryAlias(Base):
    """A name (any language, normalized) that means a category; one meaning per alias."""

    __tablename__ = "category_aliases"

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True)
    category_id: Mapped[int] = mapped_column(ForeignKey("categories.id", ondelete="CASCADE"))
    alias: Mapped[str] = mapped_column(String(128), unique=True)

    category: Mapped[Category] = relationship(back_populates="aliases")


class Source(Base):
    __tablename__ = "sources"

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True)
    url: Mapped[str] = mapped_column(String(2048), unique=True)
    kind: Mapped[SourceKind] = mapped_column(
        _enum(SourceKind), default=SourceKind.FEED, server_default=SourceKind.FEED.value
    )
    # The format of the document last read: rss20, atom10, json11 … for feeds; telegram,
    # sitemap, section for the other kinds. (Before migration 0006 this column was `kind`.)
    format: Mapped[str | None] = mapped_column(String(16))
    name: Mapped[str | None] = mapped_column(String(256))  # configured; attribution uses it
    title: Mapped[str | None] = mapped_column(String(512))  # the feed's own title
    # The name the source gives itself for attributions when none is configured: a Telegram
    # channel's title with its @username. None: the attribution names the article's host.
    site_name: Mapped[str | None] = mapped_column(String(256))
    # What the source's reader keeps between polls (a Telegram channel: the last message id).
    reader_state: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    site_url: Mapped[str | None] = mapped_column(String(2048))
    language: Mapped[str | None] = mapped_column(String(16))
    category_id: Mapped[int | None] = mapped_column(
        ForeignKey("categories.id", ondelete="SET NULL")
    )
    interval_seconds: Mapped[int | None] = mapped_column(Integer)  # None: the global default
    paused: Mapped[bool] = mapped_column(Boolean, default=False)
    etag: Mapped[str | None] = mapped_column(String(512))
    last_modified: Mapped[str | None] = mapped_column(String(128))
    next_poll_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    last_polled_at: Mapped[datetime | None] = mapped_column()
    last_success_at: Mapped[datetime | None] = mapped_column()
    last_new_at: Mapped[datetime | None] = mapped_column()
    first_polled: Mapped[bool] = mapped_column(Boolean, default=False)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    last_error_kind: Mapped[str | None] = mapped_column(String(32))
    last_error_at: Mapped[datetime | None] = mapped_column()
    lease_owner: Mapped[str | None] = mapped_column(String(64))
    lease_until: Mapped[datetime | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    category: Mapped[Category | None] = relationship(lazy="selectin")


class Story(Base):
    """One news story; articles of different sources about it share it (48 h window)."""

    __tablename__ = "stories"

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True)
    source_id: Mapped[int | None] = mapped_column(
        ForeignKey("sources.id", ondelete="SET NULL")
    )  # the source that published it first
    language: Mapped[str | None] = mapped_column(String(16))
    tokens: Mapped[str] = mapped_column(Text, default="")  # space-separated similarity tokens
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class StoryToken(Base):
    """Inverted index from a discriminative token to the stories that carry it."""

    __tablename__ = "story_tokens"

    token: Mapped[str] = mapped_column(String(64), primary_key=True)
    story_id: Mapped[int] = mapped_column(
        ForeignKey("stories.id", ondelete="CASCADE"), primary_key=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Article(Base):
    """A feed entry, stored once per source.

    `guid_key` is the entry's id (or its canonical link when it has none), `url_key` its
    canonical link: both are unique per source, so a changed id with an unchanged link, or
    the reverse, is still the same article.
    """

    __tablename__ = "articles"
    __table_args__ = (
        UniqueConstraint("source_id", "guid_key"),
        UniqueConstraint("source_id", "url_key"),
        Index("ix_articles_category_published", "category_id", "published_at"),
        Index("ix_articles_status_fetched", "status", "fetched_at"),
    )

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("sources.id", ondelete="CASCADE"))
    guid_key: Mapped[str] = mapped_column(String(512))
    url_key: Mapped[str | None] = mapped_column(String(2048))
    guid: Mapped[str | None] = mapped_column(String(2048))
    url: Mapped[str | None] = mapped_column(String(2048))  # canonical link
    title: Mapped[str] = mapped_column(Text, default="")
    text: Mapped[str] = mapped_column(Text, default="")  # plain text, markup removed
    text_source: Mapped[str] = mapped_column(String(16), default="feed")  # feed | page
    author: Mapped[str | None] = mapped_column(String(512))
    # Where it first appeared when that is not its source (a forwarded Telegram message's
    # channel, "Title (@name)"): the attribution names it.
    origin: Mapped[str | None] = mapped_column(String(256))
    tags: Mapped[list[str]] = mapped_column(default=list)
    image_url: Mapped[str | None] = mapped_column(String(2048))
    language: Mapped[str | None] = mapped_column(String(16))
    category_id: Mapped[int | None] = mapped_column(
        ForeignKey("categories.id", ondelete="SET NULL")
    )
    story_id: Mapped[int | None] = mapped_column(
        ForeignKey("stories.id", ondelete="SET NULL"), index=True
    )
    status: Mapped[ArticleStatus] = mapped_column(_enum(ArticleStatus), default=ArticleStatus.NEW)
    published_at: Mapped[datetime] = mapped_column()
    fetched_at: Mapped[datetime] = mapped_column(default=utcnow)
    headline: Mapped[str | None] = mapped_column(Text)
    summary: Mapped[str | None] = mapped_column(Text)
    composed_at: Mapped[datetime | None] = mapped_column()

    source: Mapped[Source] = relationship(lazy="raise")


class Chat(Base):
    __tablename__ = "chats"

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True)
    telegram_id: Mapped[int] = mapped_column(BigInteger, unique=True)
    kind: Mapped[ChatKind] = mapped_column(_enum(ChatKind))
    title: Mapped[str | None] = mapped_column(String(256))
    username: Mapped[str | None] = mapped_column(String(64))
    language: Mapped[str | None] = mapped_column(String(16))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    inactive_reason: Mapped[str | None] = mapped_column(String(256))
    quiet_start_minute: Mapped[int | None] = mapped_column(Integer)  # minutes after midnight
    quiet_end_minute: Mapped[int | None] = mapped_column(Integer)
    timezone: Mapped[str | None] = mapped_column(String(64))
    # The earliest time the next message may go to the chat: its rate limit, a 429's
    # retry_after, or the end of its quiet hours.
    next_send_at: Mapped[datetime | None] = mapped_column()
    added_by: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    # The reader's options (/settings, /translate, /briefing): read by the sender at each send.
    silent: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    link_preview: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    photos: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    translate: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # Local minutes after midnight of the daily briefings (None or empty: posts as they come),
    # and when the last briefing was sent (stories older than that wait for the next one).
    briefing_minutes: Mapped[list[int] | None] = mapped_column(JSON)
    briefed_at: Mapped[datetime | None] = mapped_column()


class Subscription(Base):
    __tablename__ = "subscriptions"
    __table_args__ = (UniqueConstraint("chat_id", "category_id"),)

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True)
    chat_id: Mapped[int] = mapped_column(ForeignKey("chats.id", ondelete="CASCADE"))
    category_id: Mapped[int] = mapped_column(
        ForeignKey("categories.id", ondelete="CASCADE"), index=True
    )
    # The chat's word filter for the category (bot/text/filters.py: Filter.stored); {}: none.
    filters: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # The forum topic its posts go to (None: the chat itself, or a forum's General topic).
    thread_id: Mapped[int | None] = mapped_column(BigInteger)
    thread_title: Mapped[str | None] = mapped_column(String(128))


class Delivery(Base):
    """One post for one chat: the outbox. A chat gets each story at most once."""

    __tablename__ = "deliveries"
    __table_args__ = (
        UniqueConstraint("chat_id", "story_id"),
        Index("ix_deliveries_state_next_attempt", "state", "next_attempt_at"),
        Index("ix_deliveries_chat_state", "chat_id", "state"),
    )

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"))
    chat_id: Mapped[int] = mapped_column(ForeignKey("chats.id", ondelete="CASCADE"))
    story_id: Mapped[int] = mapped_column(ForeignKey("stories.id", ondelete="CASCADE"))
    state: Mapped[DeliveryState] = mapped_column(
        _enum(DeliveryState), default=DeliveryState.PENDING
    )
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    telegram_message_id: Mapped[int | None] = mapped_column(BigInteger)
    sent_as: Mapped[str | None] = mapped_column(String(16))  # photo | text | plain | digest
    last_error: Mapped[str | None] = mapped_column(Text)
    lease_owner: Mapped[str | None] = mapped_column(String(64))
    lease_until: Mapped[datetime | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column()
    thread_id: Mapped[int | None] = mapped_column(BigInteger)  # its subscription's topic


class ArticleTranslation(Base):
    """An article's headline and summary machine-translated into one language, made once and
    shared by every chat that reads that language."""

    __tablename__ = "article_translations"

    article_id: Mapped[int] = mapped_column(
        ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True
    )
    language: Mapped[str] = mapped_column(String(16), primary_key=True)
    headline: Mapped[str] = mapped_column(Text)
    summary: Mapped[str] = mapped_column(Text, default="")
    model: Mapped[str | None] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class DailyCount(Base):
    """A counter per UTC day (deliveries by outcome, 429s …), added to by every worker."""

    __tablename__ = "daily_counts"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger, default=0)


class RateBudget(Base):
    """A rate limit shared by every worker: the time (epoch seconds) from which the next
    slot is free. A worker reserves n slots by moving it n intervals on."""

    __tablename__ = "rate_budgets"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    next_at: Mapped[float] = mapped_column(Float, default=0.0)


class Admin(Base):
    """An admin added at run time; ADMIN_IDS from settings are admins without a row."""

    __tablename__ = "admins"

    user_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    added_by: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class AdminAction(Base):
    """The audit trail: who did what, when, with the state before and after."""

    __tablename__ = "admin_actions"

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True)
    actor_id: Mapped[int | None] = mapped_column(BigInteger)  # None: the CLI
    via: Mapped[str] = mapped_column(String(16), default="telegram")
    action: Mapped[str] = mapped_column(String(64))
    target: Mapped[str | None] = mapped_column(String(256))
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class PendingAction(Base):
    """A step an admin started in Telegram and has yet to confirm (a previewed source's Save):
    kept here so that a restart loses nothing, and only its owner can finish it."""

    __tablename__ = "pending_actions"

    token: Mapped[str] = mapped_column(String(32), primary_key=True)
    user_id: Mapped[int] = mapped_column(BigInteger)
    kind: Mapped[str] = mapped_column(String(32))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    expires_at: Mapped[datetime] = mapped_column(index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
