"""The soak's verdict: what every chat was owed (from what the feed server served and the
plan's subscriptions, not from the database) against what the fake Bot API received, then
the database's own account of each delivery against the same, and the log's ERROR lines.

A chat is owed every story of every entry served to the bot in a category it follows, once
(the same story from several outlets is one post). Chats that left during the run (blocked,
deleted, kicked, removed) are owed nothing; they must be inactive with nothing waiting, and
may have received only what they were owed, once.
"""

from __future__ import annotations

import json
import re
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bench import soak_db
from bench.soak_db import Key, StoredArticle, StoredChat
from bench.soak_plan import GONE, ChatPlan, Event
from storage.models import ArticleStatus, DeliveryState

DELIVERED = (DeliveryState.SENT, DeliveryState.DIGESTED)
EXAMPLES = 5


@dataclass
class Truth:
    """What the feed server published and served."""

    story: dict[Key, int]
    served: set[Key]
    category: dict[int, str]  # source number → slug

    @classmethod
    def read(cls, path: Path, categories: dict[int, str]) -> Truth:
        dump = json.loads(path.read_text(encoding="utf-8"))
        story = {(e["source"], e["seq"]): e["story"] for e in dump["entries"]}
        served = {(e["source"], e["seq"]) for e in dump["entries"] if e["served"] is not None}
        return cls(story, served, categories)


@dataclass
class Received:
    """What the fake Bot API received and refused, by the plan's chat ids (a migrated
    group's messages to its new id count as its own)."""

    items: dict[int, Counter[Key]] = field(default_factory=lambda: defaultdict(Counter))
    methods: Counter[str] = field(default_factory=Counter)
    refusals: Counter[str] = field(default_factory=Counter)  # "429", "injected 502" …
    refused_chats: Counter[tuple[int, int]] = field(default_factory=Counter)  # (chat, status)
    injected_chats: set[int] = field(default_factory=set)
    events: dict[int, str] = field(default_factory=dict)
    moved: dict[int, int] = field(default_factory=dict)  # new id → the plan's id

    @classmethod
    def read(cls, path: Path) -> Received:
        received = cls()
        records = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
        for record in records:
            if "ev" in record:
                received.events[record["c"]] = record["ev"]
                received.injected_chats.add(record["c"])
                if record.get("new") is not None:
                    received.moved[record["new"]] = record["c"]
                    received.injected_chats.add(record["new"])
        for record in records:
            if "k" in record:
                chat = received.moved.get(record["c"], record["c"])
                received.methods[record["m"]] += 1
                received.methods["digest"] += len(record["k"]) > 1
                for source, seq in record["k"]:
                    received.items[chat][(source, seq)] += 1
            elif "s" in record:
                chat = int(record["c"])
                received.refusals[f"{'injected ' if record['i'] else ''}{record['s']}"] += 1
                if record["i"]:
                    received.injected_chats.add(chat)
                received.refused_chats[(received.moved.get(chat, chat), record["s"])] += 1
        return received

    @property
    def messages(self) -> int:
        return self.methods["sendMessage"] + self.methods["sendPhoto"]

    def gone(self, chat: int) -> bool:
        return self.events.get(chat) in GONE


@dataclass
class Verdict:
    articles: int = 0  # entries served and stored as new articles
    owed: int = 0  # (chat, story) pairs owed to the chats that stayed
    delivered: int = 0  # articles received by chats, digest items counted one by one
    lost: Counter[str] = field(default_factory=Counter)  # by cause
    duplicates: Counter[str] = field(default_factory=Counter)  # by cause
    misdelivered: int = 0  # stories received that the chat was not owed
    ledger: Counter[str] = field(default_factory=Counter)  # the database against Telegram
    gone: Counter[str] = field(default_factory=Counter)
    migrated: Counter[str] = field(default_factory=Counter)
    examples: list[str] = field(default_factory=list)

    def example(self, text: str) -> None:
        if len(self.examples) < 4 * EXAMPLES:
            self.examples.append(text)


async def verdict(
    truth: Truth,
    received: Received,
    chats: list[ChatPlan],
    sessions: async_sessionmaker[AsyncSession],
) -> Verdict:
    result = Verdict()
    stored = await soak_db.articles(sessions)
    _ingest(truth, stored, result)
    owed_by_category: dict[str, set[int]] = defaultdict(set)
    for key in truth.served:
        owed_by_category[truth.category[key[0]]].add(truth.story[key])
    lost: dict[int, set[int]] = {}
    for chat in chats:
        owed = set().union(*(owed_by_category[slug] for slug in chat.categories))
        items = received.items.get(chat.telegram_id, Counter())
        stories = _stories(truth, items, result)
        result.delivered += sum(items.values())
        for story, copies in stories.items():
            if copies > 1:
                cause = _duplicate_cause(truth, stored, items, story)
                result.duplicates[cause] += copies - 1
                result.example(f"chat {chat.telegram_id} got story {story} {copies} times: {cause}")
        result.misdelivered += len(stories.keys() - owed)
        if not received.gone(chat.telegram_id):
            result.owed += len(owed)
            if missing := owed - stories.keys():
                lost[chat.telegram_id] = missing
    if lost:
        await _explain_losses(truth, stored, received, chats, lost, sessions, result)
    stored_chats = await soak_db.chats(sessions)
    await _ledger(received, sessions, result)
    _leavers(received, stored_chats, result)
    return result


def _ingest(truth: Truth, stored: dict[Key, StoredArticle], result: Verdict) -> None:
    for key in sorted(truth.served):
        article = stored.get(key)
        if article is not None and article.status is ArticleStatus.READY:
            result.articles += 1
            continue
        cause = "served, not stored" if article is None else f"served, stored {article.status}"
        result.ledger[cause] += 1
        result.example(f"entry {key}: {cause}")
    result.ledger["stored, never served"] = len(stored.keys() - truth.served)


def _stories(truth: Truth, items: Counter[Key], result: Verdict) -> Counter[int]:
    stories: Counter[int] = Counter()
    for key, copies in items.items():
        story = truth.story.get(key)
        if story is None:
            result.ledger["received, never published"] += copies
        else:
            stories[story] += copies
    return stories


def _duplicate_cause(
    truth: Truth, stored: dict[Key, StoredArticle], items: Counter[Key], story: int
) -> str:
    keys = [key for key in items if truth.story.get(key) == story]
    if any(items[key] > 1 for key in keys):
        return "the same article sent twice"
    story_ids = {stored[key].story_id for key in keys if key in stored}
    if len(story_ids) == 1:
        return "two articles of one stored story"
    return "the same story from two outlets not matched"


async def _explain_losses(
    truth: Truth,
    stored: dict[Key, StoredArticle],
    received: Received,
    chats: list[ChatPlan],
    lost: dict[int, set[int]],
    sessions: async_sessionmaker[AsyncSession],
    result: Verdict,
) -> None:
    """Why each lost (chat, story) pair was lost, from the database's rows."""
    keys_of: dict[int, list[Key]] = defaultdict(list)
    for key in truth.served:
        keys_of[truth.story[key]].append(key)
    current = {old: new for new, old in received.moved.items()}
    rows: dict[tuple[int, int], soak_db.StoredDelivery] = {}
    wanted = [current.get(chat, chat) for chat in lost]
    async for row in soak_db.deliveries(sessions, wanted):
        rows[(received.moved.get(row.chat, row.chat), row.story_id)] = row
    categories = {chat.telegram_id: chat.categories for chat in chats}
    for chat, stories in lost.items():
        got = {stored[k].story_id for k in received.items.get(chat, ()) if k in stored}
        for story in stories:
            keys = [k for k in keys_of[story] if truth.category[k[0]] in categories[chat]]
            cause = _loss_cause([stored.get(k) for k in keys], rows, chat, got)
            result.lost[cause] += 1
            result.example(f"chat {chat} never got story {story} ({keys}): {cause}")


def _loss_cause(
    articles: list[StoredArticle | None],
    rows: dict[tuple[int, int], soak_db.StoredDelivery],
    chat: int,
    got: set[int | None],
) -> str:
    ready = [a for a in articles if a is not None and a.status is ArticleStatus.READY]
    if not ready:
        return "not stored as a new article"
    for article in ready:
        row = rows.get((chat, article.story_id or 0))
        if row is not None:
            if row.state in DELIVERED:
                return "recorded as sent, never received"
            return f"delivery {row.state.value}" + (f": {row.error}" if row.error else "")
    if any(article.story_id in got for article in ready):
        return "merged with another story the chat got"
    return "never queued for the chat"


async def _ledger(
    received: Received, sessions: async_sessionmaker[AsyncSession], result: Verdict
) -> None:
    """Each delivery the database holds against what the chat received."""
    chat: int | None = None
    sent: set[Key] = set()
    other: dict[Key, DeliveryState] = {}

    def settle() -> None:
        if chat is None:
            return
        items = received.items.get(chat, Counter())
        for key in sent - items.keys():
            result.ledger["recorded as sent, not received"] += 1
            result.example(f"chat {chat}: article {key} recorded as sent, not received")
        for key in items.keys() - sent:
            state = other.get(key)
            cause = f"received, recorded {state.value}" if state else "received, no delivery"
            result.ledger[cause] += 1
            result.example(f"chat {chat}: article {key} {cause}")

    async for row in soak_db.deliveries(sessions):
        owner = received.moved.get(row.chat, row.chat)
        if owner != chat:
            settle()
            chat, sent, other = owner, set(), {}
        if row.key is None:
            continue
        if row.state in DELIVERED:
            sent.add(row.key)
        else:
            other[row.key] = row.state
            result.ledger[f"left {row.state.value}"] += 1
    settle()


def _leavers(received: Received, stored: dict[int, StoredChat], result: Verdict) -> None:
    """Chats that left are inactive with nothing waiting; a group that migrated has its new
    id. A deleted account or a migration sends no update: the bot learns of it only from the
    answer to a send, so one that was never sent to again is only counted."""
    for chat, event in received.events.items():
        refused = received.refused_chats
        if event == Event.MIGRATED:
            new = next(n for n, old in received.moved.items() if old == chat)
            row = stored.get(new)
            if not refused[(chat, 400)]:
                result.migrated["not sent to since"] += 1
            elif row is not None and row.active and chat not in stored:
                result.migrated["moved"] += 1
            else:
                result.migrated["not moved"] += 1
                result.example(f"group {chat} migrated to {new} and was not moved")
            continue
        row = stored.get(chat)
        result.gone["403 answers"] += refused[(chat, 403)]
        if event == Event.DEACTIVATED and not refused[(chat, 403)]:
            result.gone["not sent to since"] += 1
        elif row is None or row.active:
            result.gone["still active"] += 1
            result.example(f"chat {chat} ({event}) is still active")
        elif row.waiting:
            result.gone["deliveries left waiting"] += row.waiting
        else:
            result.gone["excluded"] += 1


# -- the log --------------------------------------------------------------------------------

_NUMBERS = re.compile(r"\d+")


@dataclass
class LogVerdict:
    lines: int = 0
    levels: Counter[str] = field(default_factory=Counter)
    injected: Counter[str] = field(default_factory=Counter)  # ERRORs explained by a fault
    unexpected: list[str] = field(default_factory=list)
    warnings: Counter[str] = field(default_factory=Counter)  # by message, digits as N


def read_log(path: Path, faulty_sources: set[int], faulty_chats: Iterable[int]) -> LogVerdict:
    """Classify the ERROR lines: explained by a fault the soak injected (a source of a
    misbehaving kind, a chat that was refused on purpose or left), or unexpected."""
    chats = set(faulty_chats)
    result = LogVerdict()
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        result.lines += 1
        try:
            entry: dict[str, Any] = json.loads(line)
        except ValueError:
            if line.strip():
                result.unexpected.append(f"(not a log line) {line[:300]}")
            continue
        level = str(entry.get("level"))
        result.levels[level] += 1
        message = str(entry.get("message", ""))
        if level == "WARNING":
            result.warnings[f"{entry.get('logger')}: {_NUMBERS.sub('N', message)[:90]}"] += 1
        if level not in ("ERROR", "CRITICAL"):
            continue
        if entry.get("source_id") in faulty_sources:
            result.injected["a misbehaving source"] += 1
        elif entry.get("chat_id") in chats:
            result.injected["a chat refused on purpose"] += 1
        else:
            exception = str(entry.get("exception", "")).strip().splitlines()
            last = exception[-1] if exception else ""
            result.unexpected.append(f"{entry.get('logger')}: {message[:200]} {last[:200]}")
    return result
