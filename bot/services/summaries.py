"""`nashra summarize --jsonl IN --out OUT`: posts' words for any data set, to evaluate them."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, TextIO

from bot.compose.compose import CategorySet, Composer
from bot.text.clean import clean_text
from bot.text.language import detect_language


@dataclass(slots=True)
class JsonlReport:
    written: int = 0
    problems: list[str] = field(default_factory=list)  # one line per skipped input line


async def summarize_jsonl(
    lines: Iterable[str],
    out: TextIO,
    *,
    composer: Composer,
    categories: CategorySet,
    sentences: int | None = None,
) -> JsonlReport:
    """Reads {"id","title","text"[,"lang"]} lines, writes {"id","lang","category","headline",
    "summary"} lines. A line that is not such an object is skipped and reported.
    With `sentences`, the extractive summarizer is used with that many sentences."""
    report = JsonlReport()
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            record = _record(line)
        except ValueError as exc:
            report.problems.append(f"line {number}: {exc}")
            continue
        title, text = clean_text(record["title"]), clean_text(record["text"])
        language = record.get("lang") or detect_language(f"{title}\n{text}")
        category = categories.categorizer.categorize(
            title=title, text=text, tags=(), language=language, fixed=None
        )
        if sentences is None:
            words = await composer.write(title, text, language)
            headline, summary = words.headline, words.summary
        else:
            headline = title
            summary = composer.extractive(title, text, language, sentences=sentences)
        out.write(
            json.dumps(
                {
                    "id": record["id"],
                    "lang": language,
                    "category": category.slug,
                    "headline": headline,
                    "summary": summary,
                },
                ensure_ascii=False,
            )
            + "\n"
        )
        report.written += 1
    return report


def _record(line: str) -> dict[str, Any]:
    try:
        record = json.loads(line)
    except json.JSONDecodeError as exc:
        raise ValueError(f"not JSON ({exc.msg})") from None
    if not isinstance(record, dict):
        raise ValueError("not a JSON object")
    for key in ("title", "text"):
        if not isinstance(record.get(key, ""), str):
            raise ValueError(f'"{key}" is not a string')
    if "id" not in record:
        raise ValueError('no "id"')
    if "lang" in record and not (record["lang"] is None or isinstance(record["lang"], str)):
        raise ValueError('"lang" is not a string')
    record.setdefault("title", "")
    record.setdefault("text", "")
    return record
