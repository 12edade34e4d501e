"""The keyword classifier's accuracy on labelled articles in ../shared/evalsets.

    python -m bench.categorize              # figures, ending in one `categorize: …` line
    python -m bench.categorize --confusion  # also confusion tables and the tuning half's misses

Three labelled sets; the categorizer sees title and text only (tags=(), fixed=None), so
what is measured is the keyword step (3). An abstention (the default category) is wrong.

* feeds: entries of the real feeds in feeds/real whose *own* tags name a category, mapped
  by the categorizer's tag step (2). Entries seen in several snapshots count once. Tags
  naming the default category ("General") are left out: for those, abstaining is right.
* bbc_ar: summarization/ar_ant_bbc.jsonl, the category in the id's DOCNO
  ("ant-bbc-ar/BB-internationalNews-711-…"): internationalNews and middleEast -> world
  (BBC Arabic files all news by region; "عربي ودولي" is an alias of world), economy ->
  economy, sport -> sports, technology -> technology (BBC Arabic's science and technology
  desk, which also carries health stories), culture -> culture.
* bbc_en: summarization/en_bbc_news_summary.jsonl, "bbc-news-summary-en/<category>/NNN":
  business -> economy, entertainment -> culture, politics -> politics (UK politics),
  sport -> sports, tech -> technology.

Each set is split by a hash of the item's id (of the feed's name, for feeds, so that a
feed's entries stay together) into a tuning half, the only one looked at while writing
the keyword lists, and a held-out half; figures are given for all, tuning and held-out.
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
import time
import zlib
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from bot.compose.categorize import Categorizer, CategoryInfo
from bot.ingest.parse import FeedParseError, parse_feed
from bot.text.clean import html_to_text
from bot.text.fold import alias_key

EVALSETS = Path(__file__).resolve().parents[2] / "shared" / "evalsets"
FEEDS = EVALSETS / "feeds" / "real"
BBC_AR = EVALSETS / "summarization" / "ar_ant_bbc.jsonl"
BBC_EN = EVALSETS / "summarization" / "en_bbc_news_summary.jsonl"

BBC_AR_CATEGORIES = {
    "internationalNews": "world",
    "middleEast": "world",
    "economy": "economy",
    "sport": "sports",
    "technology": "technology",
    "culture": "culture",
}
BBC_EN_CATEGORIES = {
    "business": "economy",
    "entertainment": "culture",
    "politics": "politics",
    "sport": "sports",
    "tech": "technology",
}
ABSTAINED = "-"


@dataclass(frozen=True, slots=True)
class Item:
    key: str
    """What the split is made by."""
    label: str
    title: str
    text: str
    language: str | None


@dataclass(frozen=True, slots=True)
class Outcome:
    item: Item
    answer: str
    """A slug, or ABSTAINED."""

    @property
    def correct(self) -> bool:
        return self.answer == self.item.label


@dataclass(frozen=True, slots=True)
class Score:
    n: int
    accuracy: float
    coverage: float
    precision: float
    """Accuracy among the answered."""

    @classmethod
    def of(cls, outcomes: Sequence[Outcome]) -> Score:
        answered = [o for o in outcomes if o.answer != ABSTAINED]
        right = sum(o.correct for o in outcomes)
        n = len(outcomes)
        return cls(
            n=n,
            accuracy=right / n if n else 0.0,
            coverage=len(answered) / n if n else 0.0,
            precision=right / len(answered) if answered else 0.0,
        )

    def text(self) -> str:
        return (
            f"n={self.n} accuracy={self.accuracy:.3f} coverage={self.coverage:.3f} "
            f"precision={self.precision:.3f}"
        )


def default_categories() -> list[CategoryInfo]:
    """The categories a fresh deployment has (migration 0002)."""
    migration = importlib.import_module("storage.migrations.versions.0002_default_categories")
    return [
        CategoryInfo(
            slug=slug,
            names={"ar": name_ar, "en": name_en},
            aliases=tuple(dict.fromkeys(alias_key(a) for a in (name_ar, name_en, *extra))),
        )
        for slug, name_ar, name_en, extra in migration.DEFAULTS
    ]


def is_tuning(key: str) -> bool:
    return zlib.crc32(key.encode()) % 2 == 0


def feed_items(categorizer: Categorizer, root: Path = FEEDS) -> Iterator[Item]:
    seen: set[str] = set()
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        try:
            feed = parse_feed(path.read_bytes())
        except FeedParseError:
            continue
        for entry in feed.entries:
            label = categorizer.tag_category(entry.tags)
            identity = entry.link or entry.guid or entry.title
            if label in (None, "general") or identity in seen:
                continue
            seen.add(identity)
            yield Item(
                key=path.stem,
                label=label,
                title=html_to_text(entry.title),
                text=html_to_text(entry.content or entry.summary),
                language=entry.language or feed.language,
            )


def bbc_items(path: Path, categories: dict[str, str]) -> Iterator[Item]:
    with path.open(encoding="utf-8") as lines:
        for line in lines:
            doc = json.loads(line)
            yield Item(
                key=doc["id"],
                label=categories[_bbc_category(doc["id"])],
                title=doc["title"],
                text=doc["text"],
                language=doc["lang"],
            )


def _bbc_category(doc_id: str) -> str:
    corpus, rest = doc_id.split("/", 1)
    if corpus == "ant-bbc-ar":
        return rest.split("-")[1]
    return rest.split("/")[0]


def classify(categorizer: Categorizer, items: Sequence[Item]) -> list[Outcome]:
    outcomes = []
    for item in items:
        result = categorizer.categorize(
            title=item.title, text=item.text, tags=(), language=item.language, fixed=None
        )
        answer = result.slug if result.reason == "keywords" else ABSTAINED
        outcomes.append(Outcome(item, answer))
    return outcomes


@dataclass(frozen=True, slots=True)
class Report:
    name: str
    outcomes: list[Outcome]

    def scores(self) -> tuple[Score, Score, Score]:
        """All, the tuning half, the held-out half."""
        tuning = [o for o in self.outcomes if is_tuning(o.item.key)]
        held_out = [o for o in self.outcomes if not is_tuning(o.item.key)]
        return Score.of(self.outcomes), Score.of(tuning), Score.of(held_out)

    def lines(self) -> list[str]:
        everything, tuning, held_out = self.scores()
        return [
            f"{self.name:7} all      {everything.text()}",
            f"{self.name:7} tuning   {tuning.text()}",
            f"{self.name:7} held-out {held_out.text()}",
            f"{self.name:7} recall   {self.recall()}",
        ]

    def recall(self) -> str:
        """Per label: the share answered right, of how many."""
        labels = sorted({o.item.label for o in self.outcomes})
        parts = []
        for label in labels:
            score = Score.of([o for o in self.outcomes if o.item.label == label])
            parts.append(f"{label}={score.accuracy:.2f}/{score.n}")
        return " ".join(parts)


def evaluate() -> list[Report]:
    categorizer = Categorizer(default_categories())
    sets = {
        "feeds": list(feed_items(categorizer)),
        "bbc_ar": list(bbc_items(BBC_AR, BBC_AR_CATEGORIES)),
        "bbc_en": list(bbc_items(BBC_EN, BBC_EN_CATEGORIES)),
    }
    return [Report(name, classify(categorizer, items)) for name, items in sets.items()]


def category_accuracy_line() -> str:
    """Accuracy, coverage and n per labelled set, ending in one `categorize: …` line."""
    if not EVALSETS.is_dir():
        return f"categorize: skipped, {EVALSETS} is absent (../shared/evalsets is not here)"
    reports = evaluate()
    lines = [line for report in reports for line in report.lines()]
    overall = {report.name: report.scores()[0] for report in reports}
    lines.append(
        f"categorize: feeds_accuracy={overall['feeds'].accuracy:.3f} "
        f"feeds_n={overall['feeds'].n} "
        f"bbc_ar_accuracy={overall['bbc_ar'].accuracy:.3f} "
        f"bbc_en_accuracy={overall['bbc_en'].accuracy:.3f}"
    )
    return "\n".join(lines)


def confusion(report: Report) -> str:
    """Rows: labels; columns: answers (ABSTAINED for abstentions)."""
    counts = Counter((o.item.label, o.answer) for o in report.outcomes)
    labels = sorted({o.item.label for o in report.outcomes})
    answers = sorted({o.answer for o in report.outcomes})
    rows = [f"{report.name:12}" + "".join(f"{a[:9]:>10}" for a in answers)]
    for label in labels:
        rows.append(f"{label:12}" + "".join(f"{counts[label, a]:>10}" for a in answers))
    return "\n".join(rows)


def tuning_misses(report: Report, limit: int = 40) -> str:
    misses = [o for o in report.outcomes if is_tuning(o.item.key) and not o.correct]
    return "\n".join(
        f"  {o.item.label:>10} -> {o.answer:10} {o.item.title[:100]}" for o in misses[:limit]
    )


def articles_per_second(categorizer: Categorizer, items: Sequence[Item]) -> float:
    started = time.perf_counter()
    classify(categorizer, items)
    return len(items) / (time.perf_counter() - started)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--confusion", action="store_true", help="confusion tables and misses")
    args = parser.parse_args(argv)
    if not EVALSETS.is_dir():
        print(category_accuracy_line())
        return 0
    if args.confusion:
        for report in evaluate():
            print(confusion(report), tuning_misses(report), sep="\n", end="\n\n")
    items = [*bbc_items(BBC_AR, BBC_AR_CATEGORIES), *bbc_items(BBC_EN, BBC_EN_CATEGORIES)]
    categorizer = Categorizer(default_categories())
    started = time.perf_counter()
    Categorizer(default_categories())
    built_ms = (time.perf_counter() - started) * 1000
    speed = articles_per_second(categorizer, items)
    print(f"categorize speed: {speed:.0f} articles/s, {built_ms:.0f} ms to build a Categorizer")
    print(category_accuracy_line())
    return 0


if __name__ == "__main__":
    sys.exit(main())
