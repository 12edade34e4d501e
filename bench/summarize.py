"""Extractive summary quality and speed on ../shared/evalsets/summarization.

    python -m bench.summarize                  # 3 sentences, 600 characters (Settings' defaults)
    python -m bench.summarize --sentences 1    # one sentence
    python -m bench.summarize --tune           # grid-search the weights on the tuning half

Prints ROUGE-1, ROUGE-2 and ROUGE-L F1 (× 100) of the summarizer beside Lead-1 and Lead-3
(the first one or three sentences of the same splitter, no character limit, as in the
evalset's README), per language, on the held-out half of the articles and on all of them,
and articles per second (summarize() alone, one core). Ends with one line per language:
`summarize: lang=ar rougeL=… lead1=… lead3=… articles_per_s=…` (figures on all articles).

ROUGE here is this module's own implementation of rouge-score 0.1.2's ROUGE-N and
sentence-level ROUGE-L F1 (no stemming), with the tokenizer the README describes: NFKC,
tashkeel and tatweel removed, أ/إ/آ/ٱ → ا, ى → ي, ة → ه, ؤ → و, ئ → ي, Arabic-Indic digits
→ ASCII, lower case, tokens `[^\\W_]+`. It reproduces the README's Lead baselines.

The articles are split into halves by a CRC-32 of their id: `--tune` chooses weights on the
"tune" half only, and the report gives the other half ("held-out") and all articles.
"""

from __future__ import annotations

import argparse
import importlib
import itertools
import json
import re
import statistics
import sys
import time
import unicodedata
import zlib
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from bot.compose.summarize import (
    Sentence,
    Tuning,
    analyse,
    rank,
    select,
    summarize,
)
from bot.settings import Settings
from bot.text.fold import normalize_arabic
from bot.text.sentences import split_sentences

EVALSETS = Path(__file__).resolve().parents[2] / "shared" / "evalsets"
SUMMARIZATION = EVALSETS / "summarization"
FILES = {"ar": "ar_ant_bbc.jsonl", "en": "en_bbc_news_summary.jsonl"}
SENTENCES = int(Settings.model_fields["summary_sentences"].default)
MAX_CHARS = int(Settings.model_fields["summary_max_chars"].default)

_TOKEN = re.compile(r"[^\W_]+")


@dataclass(frozen=True, slots=True)
class Article:
    id: str
    lang: str
    title: str
    text: str
    summary: str

    @property
    def held_out(self) -> bool:
        return zlib.crc32(self.id.encode()) % 2 == 1


@dataclass(frozen=True, slots=True)
class Rouge:
    r1: float
    r2: float
    rl: float
    words: float

    def cells(self) -> str:
        return f"{self.r1:6.2f} {self.r2:6.2f} {self.rl:6.2f} {self.words:6.1f}"


class RougeTokenizer:
    """The README's tokenizer, as an object with tokenize() like rouge-score expects."""

    def tokenize(self, text: str) -> list[str]:
        return _TOKEN.findall(normalize_arabic(unicodedata.normalize("NFKC", text)).lower())


TOKENIZER = RougeTokenizer()


def f1(overlap: int, predicted: int, reference: int) -> float:
    precision = overlap / max(predicted, 1)
    recall = overlap / max(reference, 1)
    return 2 * precision * recall / (precision + recall) if precision + recall else 0.0


def rouge_n(reference: Sequence[str], predicted: Sequence[str], n: int) -> float:
    ref = Counter(zip(*(reference[i:] for i in range(n)), strict=False))
    pred = Counter(zip(*(predicted[i:] for i in range(n)), strict=False))
    return f1(sum((ref & pred).values()), sum(pred.values()), sum(ref.values()))


def lcs_length(a: Sequence[str], b: Sequence[str]) -> int:
    previous = [0] * (len(b) + 1)
    for token in a:
        current = [0]
        for j, other in enumerate(b):
            current.append(previous[j] + 1 if token == other else max(previous[j + 1], current[j]))
        previous = current
    return previous[-1]


def rouge_l(reference: Sequence[str], predicted: Sequence[str]) -> float:
    if not reference or not predicted:
        return 0.0
    return f1(lcs_length(reference, predicted), len(predicted), len(reference))


def rouge(reference: str, predicted: str) -> tuple[float, float, float]:
    ref, pred = TOKENIZER.tokenize(reference), TOKENIZER.tokenize(predicted)
    return rouge_n(ref, pred, 1), rouge_n(ref, pred, 2), rouge_l(ref, pred)


def mean_rouge(articles: Sequence[Article], summaries: Sequence[str]) -> Rouge:
    scores = [rouge(a.summary, s) for a, s in zip(articles, summaries, strict=True)]
    return Rouge(
        r1=100 * statistics.fmean(s[0] for s in scores),
        r2=100 * statistics.fmean(s[1] for s in scores),
        rl=100 * statistics.fmean(s[2] for s in scores),
        words=statistics.fmean(len(s.split()) for s in summaries),
    )


def load(lang: str) -> list[Article]:
    with (SUMMARIZATION / FILES[lang]).open(encoding="utf-8") as lines:
        return [Article(**json.loads(line)) for line in lines if line.strip()]


def lead(articles: Iterable[Article], n: int) -> list[str]:
    return [" ".join(split_sentences(a.text, a.lang)[:n]) for a in articles]


def summaries(articles: Sequence[Article], sentences: int) -> tuple[list[str], float]:
    """The summarizer's output for each article and the articles per second it ran at."""
    started = time.perf_counter()
    out = [
        summarize(a.title, a.text, a.lang, max_sentences=sentences, max_chars=MAX_CHARS)
        for a in articles
    ]
    return out, len(articles) / (time.perf_counter() - started)


def report(lang: str, articles: list[Article], sentences: int) -> str:
    """Print the table for one language; return its closing line."""
    out, per_second = summaries(articles, sentences)
    systems = {"nashra": out, "lead1": lead(articles, 1), "lead3": lead(articles, 3)}
    held = [i for i, a in enumerate(articles) if a.held_out]
    print(f"\n{lang}: {len(articles)} articles ({len(held)} held out), {sentences} sentence(s)")
    print(f"{'system':8} {'part':9} {'R1':>6} {'R2':>6} {'RL':>6} {'words':>6}")
    figures: dict[str, Rouge] = {}
    for name, texts in systems.items():
        part = mean_rouge([articles[i] for i in held], [texts[i] for i in held])
        figures[name] = mean_rouge(articles, texts)
        print(f"{name:8} {'held-out':9} {part.cells()}")
        print(f"{name:8} {'all':9} {figures[name].cells()}")
    print(f"articles per second: {per_second:.0f}")
    return (
        f"summarize: lang={lang} rougeL={figures['nashra'].rl:.2f} "
        f"lead1={figures['lead1'].rl:.2f} lead3={figures['lead3'].rl:.2f} "
        f"articles_per_s={per_second:.0f}"
    )


def category_line() -> None:
    """The category classifier's accuracy, measured by bench/categorize.py when it exists."""
    try:
        category_accuracy_line = importlib.import_module("bench.categorize").category_accuracy_line
    except (ImportError, AttributeError):
        print("category accuracy: not measured (bench.categorize missing)")
        return
    print(category_accuracy_line())


Condition = tuple[str, int]
CONDITIONS: tuple[Condition, ...] = (("ar", 1), ("ar", 3), ("en", 3))
GRID: dict[str, tuple[float, ...]] = {
    "position_decay": (1.0, 1.5, 2.0, 3.0),
    "title": (0.0, 0.2, 0.4, 0.6, 0.8, 1.0),
    "lead": (0.0, 0.2, 0.4),
    "centrality": (0.0, 0.1, 0.2),
}


def tune(corpora: dict[str, list[Article]]) -> None:
    """Grid-search Tuning on the tune half, ranked by the worst ROUGE-L margin over Lead-N.

    A condition's margin is the summarizer's mean ROUGE-L minus Lead-N's (same N); the best
    weights have the largest worst margin over CONDITIONS (ties: the largest sum), so no
    language or length is bought with another. The five best are then shown on the
    held-out half too. The filler penalty and the redundancy limit stay at their defaults:
    they guard against captions and repeats, which the evalset's cleaning took out.
    """
    halves = {
        part: {
            lang: [a for a in articles if a.held_out == part] for lang, articles in corpora.items()
        }
        for part in (False, True)
    }
    analysed = {
        part: {
            lang: [analyse(a.title, a.text, a.lang) for a in articles]
            for lang, articles in by_lang.items()
        }
        for part, by_lang in halves.items()
    }
    cache: dict[tuple[str, str], float] = {}

    def margins(tuning: Tuning, part: bool) -> dict[Condition, float]:
        return {
            (lang, n): _mean_rl(halves[part][lang], analysed[part][lang], tuning, n, cache)
            - _mean_rl(halves[part][lang], analysed[part][lang], None, n, cache)
            for lang, n in CONDITIONS
        }

    results = []
    for values in itertools.product(*GRID.values()):
        tuning = Tuning(**dict(zip(GRID, values, strict=True)))
        found = margins(tuning, part=False)
        results.append((min(found.values()), sum(found.values()), found, tuning))
    results.sort(key=lambda result: (-result[0], -result[1]))
    print(f"{len(results)} weightings; ROUGE-L margins over Lead-N (tune half → held-out half)")
    for _, _, found, tuning in results[:5]:
        held = margins(tuning, part=True)
        shown = " ".join(
            f"{lang}{n}={100 * found[(lang, n)]:+.2f}→{100 * held[(lang, n)]:+.2f}"
            for lang, n in CONDITIONS
        )
        print(f"  {shown}  {tuning}")


def _mean_rl(
    articles: Sequence[Article],
    analysed: Sequence[list[Sentence]],
    tuning: Tuning | None,
    sentences: int,
    cache: dict[tuple[str, str], float],
) -> float:
    """Mean ROUGE-L of the summaries by `tuning`, or of Lead-N when it is None."""
    total = 0.0
    for article, article_sentences in zip(articles, analysed, strict=True):
        if tuning is None:
            summary = " ".join(sentence.text for sentence in article_sentences[:sentences])
        else:
            ranked = rank(article_sentences, tuning)
            summary = " ".join(select(ranked, sentences, MAX_CHARS, tuning.redundancy))
        key = (article.id, summary)
        if key not in cache:
            cache[key] = rouge_l(TOKENIZER.tokenize(article.summary), TOKENIZER.tokenize(summary))
        total += cache[key]
    return total / len(articles)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument(
        "--sentences", type=int, default=SENTENCES, help=f"summary sentences ({SENTENCES})"
    )
    parser.add_argument("--tune", action="store_true", help="grid-search the weights")
    args = parser.parse_args(argv)
    if not SUMMARIZATION.is_dir():
        print(f"summarize: skipped: {SUMMARIZATION} is absent (no ../shared/evalsets)")
        return 0
    corpora = {lang: load(lang) for lang in FILES}
    if args.tune:
        tune(corpora)
        return 0
    lines = [report(lang, articles, args.sentences) for lang, articles in corpora.items()]
    print()
    category_line()
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
