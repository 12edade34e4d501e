"""`nashra sources add|show|pause|resume|interval|delete|sync|export`: any address (a page's
feeds with --pick, a Telegram channel, a sitemap, a section page), each source's kind, and
the audit rows every change leaves, run as a real process on both databases."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.ingest.opml import read_opml
from storage.models import AdminAction, Source
from tests.conftest import Database, evalset
from tests.fakes.feed_server import FeedServer
from tests.fakes.feeds import Item, rss, section_page, sitemap
from tests.test_cli import nashra

HTML = "text/html; charset=utf-8"


async def _actions(db: Database) -> list[AdminAction]:
    async with db.sessions() as session:
        return list(await session.scalars(select(AdminAction).order_by(AdminAction.id)))


async def _source(db: Database) -> Source | None:
    async with db.sessions() as session:
        return await session.scalar(select(Source))


async def test_each_change_calls_the_service_and_is_recorded(database: Database) -> None:
    url = database.url
    code, out, err = await nashra(
        "sources",
        "add",
        "https://example.com/feed",
        "--kind",
        "feed",
        "--name",
        "ex",
        database_url=url,
    )
    assert code == 0, err
    source = await _source(database)
    assert source is not None
    sid = str(source.id)

    code, out, err = await nashra("sources", "pause", sid, database_url=url)
    assert (code, out.strip()) == (0, f"paused source {sid}: https://example.com/feed"), err
    code, _, err = await nashra("sources", "pause", sid, database_url=url)
    assert code == 2
    assert "already paused" in err
    code, out, _ = await nashra("sources", "show", sid, database_url=url)
    assert code == 0
    assert "paused" in out
    assert "https://example.com/feed" in out
    code, out, _ = await nashra("sources", "resume", sid, database_url=url)
    assert code == 0
    assert out.startswith(f"resumed source {sid}")

    code, out, err = await nashra("sources", "interval", sid, "15m", database_url=url)
    assert (code, out.strip()) == (0, f"source {sid} is polled every 900 s"), err
    code, _, err = await nashra("sources", "interval", sid, "5s", database_url=url)
    assert code == 2
    assert "below the minimum of 60 s" in err
    code, _, err = await nashra("sources", "interval", sid, "often", database_url=url)
    assert code == 2
    assert "not a duration" in err

    code, _, err = await nashra("sources", "delete", sid, database_url=url)
    assert code == 2
    assert "needs --yes" in err
    assert await _source(database) is not None
    code, out, err = await nashra("sources", "delete", sid, "--yes", database_url=url)
    assert code == 0, err
    assert out.startswith(f"deleted source {sid}: https://example.com/feed (0 articles")
    assert await _source(database) is None
    code, _, err = await nashra("sources", "show", sid, database_url=url)
    assert code == 2
    assert f"no source with id {sid}" in err

    actions = await _actions(database)
    assert [a.action for a in actions] == [
        "source.add",
        "source.pause",
        "source.resume",
        "source.interval",
        "source.delete",
    ]
    assert {(a.actor_id, a.via) for a in actions} == {(None, "cli")}
    interval = actions[3]
    assert interval.before is not None
    assert interval.after is not None
    assert (interval.before["interval_seconds"], interval.after["interval_seconds"]) == (None, 900)


async def test_bad_ids_are_refused_by_the_parser(database: Database) -> None:
    for bad in ("0", "-1", "x", "1.5"):
        code, _, err = await nashra("sources", "pause", bad, database_url=database.url)
        assert code == 2
        assert "not a positive whole number" in err


async def test_sync_and_import_leave_audit_rows(database: Database, tmp_path: Path) -> None:
    listing = tmp_path / "sources.toml"
    listing.write_text('[[source]]\nurl = "https://example.com/a.xml"\n', encoding="utf-8")
    code, _, err = await nashra("sources", "sync", str(listing), database_url=database.url)
    assert code == 0, err
    opml = tmp_path / "s.opml"
    opml.write_bytes(
        b'<?xml version="1.0"?><opml version="2.0"><head/><body>'
        b'<outline type="rss" text="b" xmlUrl="https://example.com/b.xml"/></body></opml>'
    )
    code, _, err = await nashra("sources", "import", str(opml), database_url=database.url)
    assert code == 0, err
    actions = await _actions(database)
    assert [(a.action, a.via) for a in actions] == [
        ("source.sync", "cli"),
        ("source.import", "cli"),
    ]
    assert actions[0].after is not None
    assert "https://example.com/a.xml" in actions[0].after
    assert actions[1].after is not None
    assert "https://example.com/b.xml" in actions[1].after


def _homepage(*feeds: tuple[str, str]) -> bytes:
    links = "".join(
        f'<link rel="alternate" type="application/rss+xml" title="{title}" href="{path}">'
        for path, title in feeds
    )
    return f"<html><head><title>Example</title>{links}</head><body>Hi</body></html>".encode()


async def test_add_lists_the_feeds_a_page_offers_and_adds_the_one_picked(
    database: Database,
) -> None:
    url = database.url
    async with FeedServer() as site:
        site.add("/", _homepage(("/news.xml", "Example News"), ("/sport.xml", "Example Sport")),
                 content_type=HTML)  # fmt: skip
        site.add("/news.xml", rss([Item("Budget", link="https://example.com/b")], title="News"))
        site.add("/sport.xml", rss([Item("Cup", link="https://example.com/c")], title="Sport"))

        code, out, err = await nashra("sources", "add", site.url("/"), database_url=url)
        assert code == 1, err
        assert "offers 2 feeds; choose one with --pick N" in out
        assert f"1. feed “Example News”: {site.url('/news.xml')}" in out
        assert f"2. feed “Example Sport”: {site.url('/sport.xml')}" in out
        assert await _source(database) is None

        code, out, err = await nashra(
            "sources", "add", site.url("/"), "--pick", "2", database_url=url
        )
        assert code == 0, err
        assert f"added source 1 (feed): {site.url('/sport.xml')}" in out
        code, out, err = await nashra("sources", "add", site.url("/"), "--pick", "3",
                                      database_url=url)  # fmt: skip
        assert code == 2
        assert "offers 2 choices" in err


@pytest.mark.evalset
async def test_a_channel_a_sitemap_and_a_section_page_are_added_listed_and_exported(
    database: Database,
) -> None:
    url = database.url
    now = datetime.now(UTC)
    async with FeedServer() as site:
        env = {"TELEGRAM_WEB_BASE_URL": site.url("")}
        page = evalset("telegram", "pages", "codecamp__s__2023-05-05.html").read_bytes()
        site.add("/s/codecamp", page, content_type=HTML)
        group = evalset("telegram", "landing_and_error_pages", "ru_python__landing_group.html")
        site.add("/s/ru_python", group.read_bytes(), content_type=HTML)
        site.add("/news-sitemap.xml", sitemap([(site.url("/a/1-story"), now)]),
                 content_type="application/xml")  # fmt: skip
        links = [(f"/politics/2026/{i:03d}-a-story-of-the-council", f"Story {i}") for i in range(6)]
        site.add("/politics/", section_page(links), content_type=HTML)
        site.add("/en/rss-feed.xml", rss([Item("One", link="https://example.com/1")]))

        code, out, err = await nashra("sources", "add", "@CodeCamp", database_url=url, **env)
        assert code == 0, err
        assert "is the public channel CodeCamp (@codecamp)" in out
        assert "added source 1 (Telegram channel): https://t.me/codecamp" in out
        code, _, err = await nashra("sources", "add", "t.me/ru_python", database_url=url, **env)
        assert code == 2
        assert "@ru_python is a group, not a channel" in err
        code, out, err = await nashra(
            "sources", "add", site.url("/news-sitemap.xml"), database_url=url
        )
        assert code == 0, err
        assert "(sitemap)" in out
        code, out, err = await nashra("sources", "add", site.url("/politics/"), database_url=url)
        assert code == 1, err
        assert "offers no feed. What else may work" in out
        assert f"1. section page (6 article links on it): {site.url('/politics/')}" in out
        code, out, err = await nashra(
            "sources", "add", site.url("/politics/"), "--pick", "1", database_url=url
        )
        assert code == 0, err
        assert "(section page)" in out
        code, out, err = await nashra(
            "sources", "add", site.url("/en/rss-feed.xml"), "--name", "Feed", database_url=url
        )
        assert code == 0, err

        code, out, err = await nashra("sources", "list", database_url=url)
        assert code == 0, err
        kinds = [line.split()[1] for line in out.strip().splitlines()[2:]]
        assert kinds == ["telegram", "sitemap", "page", "feed"]

        code, out, err = await nashra("sources", "export", database_url=url)
        assert code == 0, err
        assert [s.url for s in read_opml(out.encode())] == [site.url("/en/rss-feed.xml")]
        assert "3 sources were left out" in err
        assert "https://t.me/codecamp (telegram)" in err

        code, out, err = await nashra("preview", "@codecamp", "--limit", "2", database_url=url,
                                      **env)  # fmt: skip
        assert code == 0, err
        assert out.startswith("telegram: CodeCamp")
        assert "was first published on CodeCamp (@codecamp)" in out
        assert "https://t.me/codecamp/" in out


async def test_sync_files_say_each_sources_kind(database: Database, tmp_path: Path) -> None:
    listing = tmp_path / "sources.toml"
    listing.write_text(
        '[[source]]\nurl = "@EnabBaladi"\nname = "عنب بلدي"\n\n'
        '[[source]]\nurl = "https://example.com/news-sitemap.xml"\nkind = "sitemap"\n\n'
        '[[source]]\nurl = "https://example.com/feed.xml"\n',
        encoding="utf-8",
    )
    code, out, err = await nashra("sources", "sync", str(listing), database_url=database.url)
    assert code == 0, err
    assert "3 added" in out
    async with database.sessions() as session:
        rows = list(await session.scalars(select(Source).order_by(Source.id)))
    assert [(s.url, s.kind) for s in rows] == [
        ("https://t.me/enabbaladi", "telegram"),
        ("https://example.com/news-sitemap.xml", "sitemap"),
        ("https://example.com/feed.xml", "feed"),
    ]


@pytest.mark.parametrize("kind", [[], ["--kind", "feed"]])
async def test_add_refuses_a_private_address_up_front_naming_the_setting(
    database: Database, kind: list[str]
) -> None:
    code, _, err = await nashra(
        "sources", "add", "http://10.0.0.5/feed.xml", *kind, database_url=database.url
    )
    assert code == 2
    assert "refused: 10.0.0.5 is a private address" in err
    assert "FETCH_ALLOW_NETWORKS" in err
    assert await _source(database) is None


async def test_credentials_in_a_source_url_are_shown_to_no_one(database: Database) -> None:
    url = database.url
    async with FeedServer() as site:
        site.add("/feed.xml", rss([Item("Budget", link="https://example.com/b")]))
        secret = site.url("/feed.xml?token=s3cr3t-token&lang=ar").replace(
            "http://", "http://reader:hunter2@"
        )
        code, out, err = await nashra("sources", "add", secret, "--kind", "feed", database_url=url)
        assert code == 0, err
        shown = [out]
        for command in (["sources", "list"], ["sources", "show", "1"], ["sources", "export"]):
            code, out, err = await nashra(*command, database_url=url)
            assert code == 0, err
            shown.append(out + err)
        code, audit, err = await nashra("audit", database_url=url)
        assert code == 0, err
        shown.append(audit)
        for text in shown:
            assert "hunter2" not in text
            assert "s3cr3t" not in text
        assert "token=***" in shown[1]
        code, out, _ = await nashra("sources", "export", "--with-secrets", database_url=url)
        assert "reader:hunter2@" in out
        assert "token=s3cr3t-token" in out
    source = await _source(database)
    assert source is not None
    assert source.url == secret  # stored as given: it is needed to fetch
