"""`nashra search …`: the posts' search, as inline mode and /search use it, and its index.

nashra search WORDS…        the newest posts matching (id, date, headline)
nashra search --reindex     index the composed posts the index lacks (those stored
                            before it existed); `nashra run` does it at start too
"""

from __future__ import annotations

import argparse
from typing import Any, Final

from bot.runtime import open_database
from bot.services import search as service
from bot.services.errors import ServiceError
from bot.services.search import QueryError
from bot.settings import Settings

SHOWN: Final = 10
_ERRORS: Final = {
    "too_long": "too long to search: at most {most} characters",
    "too_many": "too many words to search at once: at most {most}",
    "no_words": "nothing to search for: write words, not only punctuation or emoji",
}


async def cmd_search(settings: Settings, args: argparse.Namespace) -> int:
    async with open_database(settings) as (_engine, sessions):
        if args.reindex:
            count = await service.index_missing(sessions)
            print(f"indexed {count} posts")
            return 0
        try:
            query = service.parse_query(" ".join(args.words))
        except QueryError as error:
            raise ServiceError(_ERRORS[error.code].format(**error.values)) from error
        async with sessions() as session:
            page = await service.search(session, query, limit=max(1, min(args.count, 100)))
    if not page.posts:
        print("no post matches" if not query.is_empty else "no posts yet")
        return 0
    for article, _source in page.posts:
        when = article.fetched_at.strftime("%Y-%m-%d %H:%M")
        print(f"{article.id}\t{when}\t{article.headline or article.title}")
    return 0


def add_parsers(sub: argparse._SubParsersAction[Any]) -> None:
    """Add `nashra search` to `nashra`."""
    search = sub.add_parser("search", help="search the posts, or fill the search index")
    search.add_argument("words", nargs="*", help="words (a phrase in quotes); none: the latest")
    search.add_argument("-n", "--count", type=int, default=SHOWN, help="how many (default 10)")
    search.add_argument(
        "--reindex", action="store_true", help="index the posts stored before the index existed"
    )
    search.set_defaults(func=cmd_search)
