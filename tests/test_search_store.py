"""The search index on each engine (SQLite FTS5, PostgreSQL full-text): what is found, in what
order, what stays out, and that no query a reader can type is read as the engine's syntax."""

from __future__ import annotations

import pytest
from sqlalchemy import delete, update

from bot.services import search as service
from bot.services.search import QueryError, parse_query
from storage import search as search_store
from storage.models import Article, ArticleStatus, Source
from tests.conftest import Database
from tests.outboxes import Seeder

TITLES = [
    "اجتماع لمجلس الأمن حول سوريا",  # 1
    "الحكومة السورية تعلن الموازنة",  # 2
    "مباراة كرة القدم في دمشق",  # 3
    "UN Security Council meets on Syria",  # 4
    "الأمن في مجلس النواب",  # 5
]


@pytest.fixture
async def indexed(database: Database) -> list[int]:
    """The titles stored ready and indexed (as the poller does); their ids, oldest first."""
    seed = Seeder(database)
    ids = [(await seed.article(title, fan_out=False))[0] for title in TITLES]
    await service.index_missing(database.sessions)
    return ids


async def found(database: Database, text: str, *, as_you_type: bool = False) -> list[str]:
    async with database.sessions() as session:
        page = await service.search(session, parse_query(text, as_you_type=as_you_type), limit=10)
    return [article.title for article, _ in page.posts]


async def test_words_are_found_with_their_prefixes_newest_first(
    database: Database, indexed: list[int]
) -> None:
    assert await found(database, "سوريا") == [TITLES[0]]
    assert await found(database, "سورية") == [TITLES[1]]
    assert await found(database, "دمشق كرة") == [TITLES[2]]
    assert await found(database, "الأمن") == [TITLES[4], TITLES[0]]
    assert await found(database, "syria") == [TITLES[3]]
    assert await found(database, "councils") == [TITLES[3]]


async def test_phrases_need_their_words_side_by_side(
    database: Database, indexed: list[int]
) -> None:
    assert await found(database, '"مجلس الأمن"') == [TITLES[0]]
    assert await found(database, '"security council"') == [TITLES[3]]


async def test_the_word_being_typed_is_a_prefix(database: Database, indexed: list[int]) -> None:
    assert await found(database, "الحكومة السور", as_you_type=True) == [TITLES[1]]
    assert await found(database, "السور", as_you_type=True) == [TITLES[1]]
    assert await found(database, "سوري", as_you_type=True) == [TITLES[1], TITLES[0]]
    assert await found(database, "Secur", as_you_type=True) == [TITLES[3]]
    assert await found(database, "سوري") == []


async def test_an_empty_query_gives_the_latest(database: Database, indexed: list[int]) -> None:
    assert await found(database, "") == list(reversed(TITLES))


async def test_pages_continue_below_the_last_post(database: Database, indexed: list[int]) -> None:
    async with database.sessions() as session:
        first = await service.search(session, parse_query(""), limit=2)
        assert [a.id for a, _ in first.posts] == [indexed[4], indexed[3]]
        assert first.next_before == indexed[3]
        second = await service.search(session, parse_query(""), limit=3, before=indexed[3])
        assert [a.id for a, _ in second.posts] == [indexed[2], indexed[1], indexed[0]]
        rest = await service.search(session, parse_query(""), limit=3, before=indexed[0])
    assert rest.posts == []
    assert rest.next_before is None


@pytest.mark.parametrize(
    "typed",
    [
        '"سوريا',
        "سوريا*",
        "* OR NEAR",
        'NEAR("a" "b", 2)',
        "سوريا OR دمشق",
        "AND NOT",
        "a:b",
        "'; DROP TABLE articles; --",
        "(سوريا) & !دمشق | x:*",
        "\\'سوريا\\",
        "^سوريا +كرة -القدم",
        "\u0000سوريا",
        "سوريا" * 40,
    ],
)
async def test_engine_syntax_is_never_read_from_a_query(
    database: Database, indexed: list[int], typed: str
) -> None:
    """Each query runs as words: no error from the engine, and nothing matched that the
    words do not say."""
    titles = await found(database, typed)
    words = set(parse_query(typed).terms)
    for title in titles:
        assert all(term.keys[0] in service.document(title, title, None).split() for term in words)
    async with database.sessions() as session:
        assert await search_store.indexed_count(session) == len(TITLES)


@pytest.mark.parametrize("typed", ['"', "* ^ :", "\\' \\\\", "''", "()"])
def test_a_query_of_syntax_alone_has_no_words(typed: str) -> None:
    with pytest.raises(QueryError) as raised:
        parse_query(typed)
    assert raised.value.code == "no_words"


async def test_only_composed_articles_are_found(database: Database, indexed: list[int]) -> None:
    async with database.sessions.begin() as session:
        await session.execute(
            update(Article).where(Article.id == indexed[0]).values(status=ArticleStatus.SKIPPED)
        )
    assert await found(database, "سوريا") == []
    seed = Seeder(database)
    await seed.article(
        "خبر سوريا لم يُكتب بعد", status=ArticleStatus.NEW, source="other.net", fan_out=False
    )
    await service.index_missing(database.sessions)
    assert await found(database, "سوريا") == []


async def test_deleted_articles_leave_the_index(database: Database, indexed: list[int]) -> None:
    async with database.sessions.begin() as session:
        await session.execute(delete(Source))  # its articles go with it
        assert await search_store.indexed_count(session) == 0
    assert await found(database, "") == []


async def test_indexing_again_replaces_the_row(database: Database, indexed: list[int]) -> None:
    async with database.sessions.begin() as session:
        await service.index_articles(session, [(indexed[0], "خبر عن لبنان", None, None)])
    async with database.sessions() as session:
        assert await search_store.indexed_count(session) == len(TITLES)
    assert await found(database, "لبنان") == [TITLES[0]]  # the stored article is shown
    assert await found(database, "سوريا") == []


def test_queries_are_quoted_for_each_engine() -> None:
    assert search_store.fts5_query(["a", 'b"c'], "pre") == '"a" "b""c" "pre" *'
    assert search_store.tsquery(["a", "b'c"], "pre") == "'a' & 'b''c' & 'pre':*"


async def test_recent_posts_and_older_ones_come_in_order(
    database: Database, indexed: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    """On PostgreSQL the newest posts are looked through first and the index asked for the
    older ones: with a window of two posts, both paths give one list, newest first."""
    monkeypatch.setattr(search_store, "RECENT_WINDOW", 2)
    assert await found(database, "الأمن") == [TITLES[4], TITLES[0]]  # one recent, one older
    assert await found(database, "سوريا") == [TITLES[0]]  # only older
    assert await found(database, "syria") == [TITLES[3]]  # only recent
    async with database.sessions() as session:
        page = await service.search(session, parse_query("الأمن"), limit=1)
        assert [a.title for a, _ in page.posts] == [TITLES[4]]
        rest = await service.search(session, parse_query("الأمن"), limit=5, before=page.next_before)
    assert [a.title for a, _ in rest.posts] == [TITLES[0]]


async def test_phrase_candidates_are_read_until_a_page_is_found(
    database: Database, indexed: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A newer post has both words apart: it is read and passed over, and the older one with
    the phrase found in the next batch; the page after it is empty, and says so."""
    monkeypatch.setattr(service, "PHRASE_BATCH", 1)
    async with database.sessions() as session:
        page = await service.search(session, parse_query('"مجلس الأمن"'), limit=1)
        assert [a.id for a, _ in page.posts] == [indexed[0]]
        assert page.next_before == indexed[0]
        rest = await service.search(
            session, parse_query('"مجلس الأمن"'), limit=1, before=page.next_before
        )
    assert (rest.posts, rest.next_before) == ([], None)
