"""The soak's world, drawn from one seed so that every process draws the same: the sources
(what each publishes, in which category and language, and how its server misbehaves), the
chats (kind, language, categories) and what happens to some of them during the run.

Sources, by kind (shares of the total):

    regular 77 %  3 entries an hour, answered at once
    busy     4 %  20 entries an hour
    slow     6 %  answered after 2 to 8 s
    flaky    6 %  a third of the requests answered 500, 502 or 503 (with Retry-After)
    timeout  3 %  two requests in five hang past the client's read timeout
    teaser   2 %  entries carry a short teaser; the full text is on the article page
    dead     2 %  every request fails: 404, 410, or an HTML page that is not a feed

Each category has as many sources: the nine topics the migrations make and 45 regions
(governorates, cities, countries) as a Levantine desk would add them. As in real news, most
entries retell a story another outlet told a few minutes before (same headline and lead),
mostly of the same category; a third of the entries carry an image. Chats: 90 % private, 9 %
groups (half of them supergroups), 1 % channels (bench/deliver.py's layout), each following
one category (85 %), two (12 %) or three (3 %), the topics more popular than the regions.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from enum import StrEnum
from typing import Final

from bench.deliver import chat_layout
from storage.models import ChatKind

# Subscriptions' shares: the nine topics the migrations make, and the regions a Levantine
# desk adds (governorates, cities, countries). Every category gets as many sources.
TOPICS: Final = {
    "politics": 0.12,
    "world": 0.07,
    "local": 0.05,
    "economy": 0.05,
    "sports": 0.06,
    "technology": 0.04,
    "health": 0.02,
    "culture": 0.02,
    "general": 0.02,
}
REGIONS: Final = {
    "damascus": ("دمشق", "Damascus"),
    "rif_dimashq": ("ريف دمشق", "Rif Dimashq"),
    "aleppo": ("حلب", "Aleppo"),
    "homs": ("حمص", "Homs"),
    "hama": ("حماة", "Hama"),
    "latakia": ("اللاذقية", "Latakia"),
    "tartus": ("طرطوس", "Tartus"),
    "idlib": ("إدلب", "Idlib"),
    "raqqa": ("الرقة", "Raqqa"),
    "deir_ezzor": ("دير الزور", "Deir ez-Zor"),
    "hasakah": ("الحسكة", "Al-Hasakah"),
    "daraa": ("درعا", "Daraa"),
    "suwayda": ("السويداء", "As-Suwayda"),
    "quneitra": ("القنيطرة", "Quneitra"),
    "qamishli": ("القامشلي", "Qamishli"),
    "palmyra": ("تدمر", "Palmyra"),
    "manbij": ("منبج", "Manbij"),
    "afrin": ("عفرين", "Afrin"),
    "azaz": ("أعزاز", "Azaz"),
    "al_bab": ("الباب", "Al-Bab"),
    "jableh": ("جبلة", "Jableh"),
    "baniyas": ("بانياس", "Baniyas"),
    "salamiyah": ("السلمية", "Salamiyah"),
    "douma": ("دوما", "Douma"),
    "jaramana": ("جرمانا", "Jaramana"),
    "zabadani": ("الزبداني", "Zabadani"),
    "yabroud": ("يبرود", "Yabroud"),
    "masyaf": ("مصياف", "Masyaf"),
    "saraqib": ("سراقب", "Saraqib"),
    "mayadin": ("الميادين", "Al-Mayadin"),
    "lebanon": ("لبنان", "Lebanon"),
    "jordan": ("الأردن", "Jordan"),
    "iraq": ("العراق", "Iraq"),
    "palestine": ("فلسطين", "Palestine"),
    "turkey": ("تركيا", "Turkey"),
    "gulf": ("الخليج", "The Gulf"),
    "egypt": ("مصر", "Egypt"),
    "libya": ("ليبيا", "Libya"),
    "yemen": ("اليمن", "Yemen"),
    "sudan": ("السودان", "Sudan"),
    "maghreb": ("المغرب العربي", "The Maghreb"),
    "iran": ("إيران", "Iran"),
    "europe": ("أوروبا", "Europe"),
    "americas": ("الأمريكيتان", "The Americas"),
    "asia": ("آسيا", "Asia"),
}
# slug: (share of the sources, share of the subscriptions)
CATEGORIES: Final = {
    slug: (1.0, share)
    for slug, share in (TOPICS | dict.fromkeys(REGIONS, 0.55 / len(REGIONS))).items()
}
ENGLISH_SHARE: Final = 0.15
RETOLD: Final = 2 / 3  # entries that retell a story another outlet told
RETELL_SECONDS: Final = 900.0
IMAGE_SHARE: Final = 1 / 3


class Kind(StrEnum):
    REGULAR = "regular"
    BUSY = "busy"
    SLOW = "slow"
    FLAKY = "flaky"
    TIMEOUT = "timeout"
    TEASER = "teaser"
    DEAD = "dead"


KIND_SHARES: Final = (
    (Kind.BUSY, 0.04),
    (Kind.SLOW, 0.06),
    (Kind.FLAKY, 0.06),
    (Kind.TIMEOUT, 0.03),
    (Kind.TEASER, 0.02),
    (Kind.DEAD, 0.02),
)  # the rest are regular
PER_HOUR: Final = {Kind.BUSY: 20.0, Kind.DEAD: 0.0}  # the others: 3


class Event(StrEnum):
    """What happens to a chat during the run."""

    BLOCKED = "blocked"  # a private chat blocks the bot: my_chat_member, then 403
    DEACTIVATED = "deactivated"  # the user's account is deleted: 403, no update
    KICKED = "kicked"  # the bot is removed from a group: my_chat_member, then 403
    REMOVED = "removed"  # the bot is removed from a channel: my_chat_member, then 403
    MIGRATED = "migrated"  # a group becomes a supergroup: 400 with migrate_to_chat_id


GONE: Final = frozenset({Event.BLOCKED, Event.DEACTIVATED, Event.KICKED, Event.REMOVED})


@dataclass(frozen=True, slots=True)
class SourcePlan:
    number: int
    kind: Kind
    category: str
    language: str

    @property
    def per_hour(self) -> float:
        return PER_HOUR.get(self.kind, 3.0)

    @property
    def path(self) -> str:
        return f"/feeds/{self.number}.xml"


@dataclass(frozen=True, slots=True)
class ChatPlan:
    telegram_id: int
    kind: ChatKind
    language: str | None
    categories: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ChatEvent:
    telegram_id: int
    event: Event
    at: float  # share of the publishing window
    new_id: int | None = None  # MIGRATED: the supergroup's id


@dataclass(frozen=True, slots=True)
class Entry:
    """One entry as an outlet publishes it; `story` is the same for every outlet telling it."""

    source: int
    seq: int
    story: int
    at: float  # seconds after publishing started
    image: bool


def sources(count: int, seed: int) -> list[SourcePlan]:
    rng = random.Random(f"sources-{seed}")
    kinds: list[Kind] = []
    for kind, share in KIND_SHARES:
        kinds += [kind] * max(1, round(count * share))
    kinds = (kinds + [Kind.REGULAR] * count)[:count]
    rng.shuffle(kinds)
    slugs, weights = list(CATEGORIES), [w for w, _ in CATEGORIES.values()]
    return [
        SourcePlan(
            number=n,
            kind=kind,
            category=rng.choices(slugs, weights)[0],
            language="en" if rng.random() < ENGLISH_SHARE else "ar",
        )
        for n, kind in enumerate(kinds)
    ]


def chats(count: int, seed: int) -> list[ChatPlan]:
    rng = random.Random(f"chats-{seed}")
    slugs, weights = list(CATEGORIES), [w for _, w in CATEGORIES.values()]
    plans = []
    for telegram_id, kind in chat_layout(count):
        wanted = rng.choices((1, 2, 3), (0.85, 0.12, 0.03))[0]
        chosen: list[str] = []
        while len(chosen) < wanted:
            slug = rng.choices(slugs, weights)[0]
            if slug not in chosen:
                chosen.append(slug)
        language: str | None = "ar"
        if kind is ChatKind.PRIVATE:
            language = rng.choices(("ar", "en", None), (0.75, 0.20, 0.05))[0]
        plans.append(ChatPlan(telegram_id, kind, language, tuple(chosen)))
    return plans


def chat_events(plans: list[ChatPlan], seed: int) -> list[ChatEvent]:
    """Some chats leave (3 in 1,000 private chats block the bot, 1 in 1,000 is deleted, 1 in
    100 groups kicks it, 2 in 100 channels remove it) and 1 in 100 basic groups becomes a
    supergroup, each at a random time between 10 % and 80 % of the publishing window."""
    rng = random.Random(f"events-{seed}")
    private = [p.telegram_id for p in plans if p.kind is ChatKind.PRIVATE]
    groups = [p.telegram_id for p in plans if p.kind in (ChatKind.GROUP, ChatKind.SUPERGROUP)]
    basic = [p.telegram_id for p in plans if p.kind is ChatKind.GROUP]
    channels = [p.telegram_id for p in plans if p.kind is ChatKind.CHANNEL]
    picks: list[tuple[Event, list[int], float]] = [
        (Event.BLOCKED, private, 0.003),
        (Event.DEACTIVATED, private, 0.001),
        (Event.KICKED, groups, 0.01),
        (Event.REMOVED, channels, 0.02),
        (Event.MIGRATED, basic, 0.01),
    ]
    taken: set[int] = set()
    events: list[ChatEvent] = []
    for event, pool, share in picks:
        free = [chat for chat in pool if chat not in taken]
        for n, chat in enumerate(
            rng.sample(free, min(len(free), max(1, round(len(pool) * share))))
        ):
            taken.add(chat)
            new_id = -1_003_000_000_000 - n if event is Event.MIGRATED else None
            events.append(ChatEvent(chat, event, rng.uniform(0.1, 0.8), new_id))
    return sorted(events, key=lambda e: e.at)


def schedule(plans: list[SourcePlan], window: float, seed: int) -> list[Entry]:
    """Every entry published within `window` seconds, in time order: each source publishes at
    its rate (a Poisson process); two entries in three retell a story another outlet of the
    same language told in the last RETELL_SECONDS (of the same category, but one in seven
    from any), the others start a story."""
    rng = random.Random(f"schedule-{seed}")
    drafts: list[tuple[float, int]] = []
    for plan in plans:
        at = rng.expovariate(plan.per_hour / 3600) if plan.per_hour else window
        while at < window:
            drafts.append((at, plan.number))
            at += rng.expovariate(plan.per_hour / 3600)
    drafts.sort()
    told: dict[int, set[int]] = {}  # story → the sources that told it
    recent: list[tuple[float, int, str, str]] = []  # at, story, category, language
    seqs: dict[int, int] = {}
    entries = []
    for at, source in drafts:
        plan = plans[source]
        recent = [r for r in recent if r[0] > at - RETELL_SECONDS]
        story = _retold(rng, plan, recent, told) if rng.random() < RETOLD else None
        if story is None:
            story = len(told) + 1
            told[story] = set()
            recent.append((at, story, plan.category, plan.language))
        told[story].add(source)
        seqs[source] = seqs.get(source, 0) + 1
        entries.append(Entry(source, seqs[source], story, at, rng.random() < IMAGE_SHARE))
    return entries


def _retold(
    rng: random.Random,
    plan: SourcePlan,
    recent: list[tuple[float, int, str, str]],
    told: dict[int, set[int]],
) -> int | None:
    anywhere = rng.random() < 1 / 7
    stories = [
        story
        for _, story, category, language in recent
        if language == plan.language
        and (anywhere or category == plan.category)
        and plan.number not in told[story]
    ]
    return rng.choice(stories) if stories else None
