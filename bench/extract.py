"""Article extraction quality and speed on ../shared/evalsets/pages.

    python -m bench.extract             # the default options
    python -m bench.extract --compare   # every option set in OPTION_SETS

Prints the mean token F1 on scrapinghub-aeb (whitespace tokens, multiset overlap, as that
set's README suggests), the pass rate on trafilatura-eval (every `with` snippet present,
no `without` snippet), the token F1 of newspaper4k's Arabic article and pages per second
over all of them, ending in one line `extract: aeb_f1=… trafilatura_eval_pass=… …`.
"""

from __future__ import annotations

import argparse
import gzip
import json
import statistics
import sys
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from bot.ingest.extract import DEFAULT_OPTIONS, ExtractOptions, extract_article

EVALSETS = Path(__file__).resolve().parents[2] / "shared" / "evalsets"
PAGES = EVALSETS / "pages"

OPTION_SETS: dict[str, ExtractOptions] = {
    "default": DEFAULT_OPTIONS,
    "balanced": ExtractOptions(),
    "precision": ExtractOptions(favor_precision=True),
    "precision-notables": ExtractOptions(favor_precision=True, include_tables=False),
    "recall": ExtractOptions(favor_recall=True),
    "balanced-notables": ExtractOptions(include_tables=False),
    "fast": ExtractOptions(fast=True),
}


@dataclass(frozen=True, slots=True)
class Page:
    name: str
    html: bytes
    url: str | None


@dataclass(frozen=True, slots=True)
class Result:
    aeb_f1: float
    trafilatura_eval_pass: float
    arabic_f1: float
    pages_per_s: float

    def line(self) -> str:
        return (
            f"aeb_f1={self.aeb_f1:.3f} trafilatura_eval_pass={self.trafilatura_eval_pass:.3f} "
            f"arabic_f1={self.arabic_f1:.3f} pages_per_s={self.pages_per_s:.1f}"
        )


def token_f1(expected: str, got: str) -> float:
    """F1 of the whitespace-token multisets of two texts (1.0 when both are empty)."""
    truth, pred = Counter(expected.split()), Counter(got.split())
    if not truth and not pred:
        return 1.0
    overlap = sum((truth & pred).values())
    if not overlap:
        return 0.0
    precision, recall = overlap / sum(pred.values()), overlap / sum(truth.values())
    return 2 * precision * recall / (precision + recall)


def aeb_pages(root: Path = PAGES / "scrapinghub-aeb") -> Iterator[tuple[Page, str]]:
    truth = json.loads((root / "ground-truth.json").read_text(encoding="utf-8"))
    for page_id, expected in sorted(truth.items()):
        html = gzip.decompress((root / "html" / f"{page_id}.html.gz").read_bytes())
        yield Page(page_id, html, expected.get("url")), expected.get("articleBody") or ""


def trafilatura_eval_pages(
    root: Path = PAGES / "trafilatura-eval",
) -> Iterator[tuple[Page, list[str], list[str]]]:
    cases = json.loads((root / "evaldata-subset.json").read_text(encoding="utf-8"))
    for url, case in sorted(cases.items()):
        html = (root / "html" / case["file"]).read_bytes()
        yield Page(case["file"], html, url), case.get("with", []), case.get("without", [])


def arabic_page(root: Path = PAGES / "newspaper4k") -> tuple[Page, str]:
    html = (root / "html" / "arabic_article.html").read_bytes()
    expected = (root / "txt" / "arabic_article.txt").read_text(encoding="utf-8")
    return Page("arabic_article", html, None), expected


def _text(page: Page, options: ExtractOptions) -> str:
    article = extract_article(page.html, url=page.url, options=options)
    return article.text if article else ""


def snippets_pass(text: str, wanted: list[str], unwanted: list[str]) -> bool:
    return all(s in text for s in wanted) and not any(s in text for s in unwanted)


def run(options: ExtractOptions, verbose: bool = False) -> Result:
    pages = 0
    started = time.perf_counter()
    aeb_scores = []
    for page, expected in aeb_pages():
        aeb_scores.append(token_f1(expected, _text(page, options)))
        pages += 1
    passed = []
    for page, wanted, unwanted in trafilatura_eval_pages():
        ok = snippets_pass(_text(page, options), wanted, unwanted)
        passed.append(ok)
        if verbose and not ok:
            print(f"  trafilatura-eval miss: {page.name}")
        pages += 1
    page, expected = arabic_page()
    arabic = token_f1(expected, _text(page, options))
    pages += 1
    elapsed = time.perf_counter() - started
    return Result(
        aeb_f1=statistics.fmean(aeb_scores),
        trafilatura_eval_pass=sum(passed) / len(passed),
        arabic_f1=arabic,
        pages_per_s=pages / elapsed,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--compare", action="store_true", help="run every option set")
    parser.add_argument("--verbose", action="store_true", help="name the failing pages")
    args = parser.parse_args(argv)
    if not PAGES.is_dir():
        print(f"extract: skipped, {PAGES} is absent (../shared/evalsets is not beside this tree)")
        return 0
    names = list(OPTION_SETS) if args.compare else ["default"]
    result = None
    for name in names:
        result = run(OPTION_SETS[name], verbose=args.verbose)
        print(f"{name:20} {OPTION_SETS[name]}\n{'':20} {result.line()}", flush=True)
    if args.compare:
        result = run(DEFAULT_OPTIONS)
    assert result is not None
    print(f"extract: {result.line()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
