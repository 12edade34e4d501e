"""The `nashra` command line, run as a real process against a real database."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import insert

from storage.db import create_engine
from storage.models import DailyCount
from tests.fakes.feed_server import FeedServer
from tests.fakes.feeds import Item, article_page, rss
from tests.fakes.telegram_server import FakeTelegram


async def nashra(*args: str, database_url: str, **env: str) -> tuple[int, str, str]:
    """Run `nashra ARGS…` in a child process; returns (exit code, stdout, stderr)."""
    environment = {
        **os.environ,
        "DATABASE_URL": database_url,
        "FULLTEXT_MIN_CHARS": "0",
        "LOG_LEVEL": "WARNING",
        **env,
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot.cli",
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=environment,
    )
    out, err = await asyncio.wait_for(process.communicate(), timeout=60)
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    return f"sqlite+aiosqlite:///{tmp_path}/nashra.db"


async def test_add_list_and_poll_once_print_each_sources_state(db_url: str) -> None:
    async with FeedServer() as server:
        server.add("/ar.xml", rss([Item("خبر أول", link="https://example.com/1")], language="ar"))
        code, out, _ = await nashra(
            "sources",
            "add",
            server.url("/ar.xml"),
            "--name",
            "enabbaladi.net",
            "--language",
            "ar",
            "--category",
            "سياسة",
            "--interval",
            "15m",
            database_url=db_url,
        )
        assert code == 0, out
        assert "added source 1" in out

        code, out, _ = await nashra("poll", "--once", database_url=db_url)
        assert code == 0
        header, _rule, row = out.strip().splitlines()
        assert header.split() == [
            "id",
            "source",
            "status",
            "new",
            "seen",
            "queued",
            "error",
            "time",
        ]
        assert row.split()[:5] == ["1", "enabbaladi.net", "backfill", "0", "1"]

        code, out, _ = await nashra("poll", "--once", database_url=db_url)
        assert out.strip() == "no source was due"

        code, out, _ = await nashra("sources", "list", database_url=db_url)
        assert code == 0
        assert "enabbaladi.net" in out
        assert " ok " in out


async def test_a_duplicate_or_unknown_category_is_refused_with_a_clear_message(
    db_url: str,
) -> None:
    code, _, _ = await nashra(
        "sources", "add", "https://example.com/feed", "--kind", "feed", database_url=db_url
    )
    assert code == 0
    code, _, err = await nashra("sources", "add", "https://EXAMPLE.com/feed", database_url=db_url)
    assert code == 2
    assert "already a source: https://example.com/feed" in err
    code, _, err = await nashra(
        "sources",
        "add",
        "https://example.com/other",
        "--category",
        "gossip",
        database_url=db_url,
    )
    assert code == 2
    assert "unknown category 'gossip'" in err
    assert "politics" in err
    code, _, err = await nashra("sources", "add", "ftp://example.com/x", database_url=db_url)
    assert code == 2
    assert "must start with http:// or https://" in err


async def test_sync_then_export_and_import_round_trip(db_url: str, tmp_path: Path) -> None:
    listing = tmp_path / "sources.toml"
    listing.write_text(
        '[[source]]\nurl = "https://example.com/ar.xml"\nname = "عنب بلدي"\nlanguage = "ar"\n'
        'category = "politics"\ninterval = "30m"\n\n'
        '[[source]]\nurl = "https://example.org/en.xml"\nname = "Example"\nlanguage = "en"\n',
        encoding="utf-8",
    )
    code, out, err = await nashra("sources", "sync", str(listing), database_url=db_url)
    assert code == 0, err
    assert "2 added" in out
    code, out, _ = await nashra("sources", "sync", str(listing), database_url=db_url)
    assert "0 added, 0 updated, 2 unchanged" in out

    opml = tmp_path / "out.opml"
    code, _, err = await nashra("sources", "export", "--out", str(opml), database_url=db_url)
    assert code == 0, err
    other = f"sqlite+aiosqlite:///{tmp_path}/other.db"
    code, out, err = await nashra("sources", "import", str(opml), database_url=other)
    assert code == 0, err
    assert "2 added" in out
    code, exported_again, _ = await nashra("sources", "export", database_url=other)
    assert exported_again.encode() == opml.read_bytes()


async def test_a_malformed_setting_stops_start_up_with_one_line_naming_it(db_url: str) -> None:
    code, out, err = await nashra(
        "sources", "list", database_url="mysql://localhost/x", FETCH_PER_HOST="many"
    )
    assert code == 2
    assert out == ""
    [line] = err.strip().splitlines()
    assert "DATABASE_URL" in line
    assert "FETCH_PER_HOST" in line


async def test_a_malformed_token_is_refused_without_echoing_it(db_url: str) -> None:
    secret = "123456:this-is-not-a-valid-token"
    code, _, err = await nashra("sources", "list", database_url=db_url, TELEGRAM_BOT_TOKEN=secret)
    assert code == 2
    assert "TELEGRAM_BOT_TOKEN" in err
    assert secret not in err


async def test_db_upgrade_reports_the_revision(db_url: str) -> None:
    code, out, _ = await nashra("db", "upgrade", database_url=db_url)
    assert code == 0
    assert out.strip().startswith("database at revision 0")


async def test_bad_source_options_are_refused_naming_each_problem(db_url: str) -> None:
    code, _, err = await nashra(
        "sources",
        "add",
        "https://example.com/f",
        "--language",
        "arabic!",
        "--interval",
        "5s",
        database_url=db_url,
    )
    assert code == 2
    assert "language 'arabic!'" in err
    assert "below the minimum of 60 s" in err


async def test_run_polls_on_schedule_answers_start_and_stops_cleanly_on_sigterm(
    db_url: str, tmp_path: Path
) -> None:
    token = "123456:ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghij"
    async with FeedServer() as server, FakeTelegram(token=token) as tg:
        tg.add_user(42, "Layla", language_code="en")
        tg.add_chat(42, "private")
        server.add("/f.xml", rss([Item("one", link="https://example.com/1")]))
        code, _, _ = await nashra(
            "sources", "add", server.url("/f.xml"), "--kind", "feed", database_url=db_url
        )
        assert code == 0
        environment = {
            **os.environ,
            "DATABASE_URL": db_url,
            "POLL_TICK_SECONDS": "0.2",
            "LOG_LEVEL": "DEBUG",
            "TELEGRAM_BOT_TOKEN": token,
            "TELEGRAM_API_BASE_URL": tg.base_url,
        }
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot.cli",
            "run",
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env=environment,
        )
        tg.inject_message(42, 42, "/start")
        for _ in range(300):
            if server.requests_to("/f.xml") and tg.sent_messages(42):
                break
            await asyncio.sleep(0.1)
        await asyncio.sleep(0.5)
        process.send_signal(signal.SIGTERM)
        _, err = await asyncio.wait_for(process.communicate(), timeout=30)
    assert process.returncode == 0, err.decode()
    assert len(server.requests_to("/f.xml")) == 1
    [greeting] = tg.sent_messages(42)
    assert greeting.plain_text.startswith("Hello Layla, I'm Nashra")
    assert tg.commands(language_code="ar") is not None
    log = err.decode()
    assert "polled source 1" in log
    assert token not in log


async def test_preview_prints_the_posts_a_feed_would_give(db_url: str) -> None:
    entries = [
        Item(
            "Central bank raises interest rates to curb inflation",
            link="https://news.example.com/economy/1",
            description="The central bank raised its main interest rate by half a point on "
            "Thursday. Inflation reached its highest level in a decade. Markets fell.",
        )
    ]
    async with FeedServer() as server:
        server.add("/en.xml", rss(entries, title="Example News", language="en"))
        code, out, err = await nashra(
            "preview", server.url("/en.xml"), "--name", "Example News", database_url=db_url
        )
    assert code == 0, err
    assert out.startswith("rss20: Example News")
    assert "Central bank raises interest rates to curb inflation" in out
    assert '"Central bank raises interest rates to curb inflation"' in out
    assert "was first published on Example News" in out
    assert "The central bank raised its main interest rate" in out
    assert "https://news.example.com/economy/1" in out


async def test_preview_of_an_article_page_and_of_nothing_useful(db_url: str) -> None:
    paragraphs = [
        "The harbour authority approved the expansion of the eastern container terminal on "
        "Tuesday after two years of negotiations with shipping companies and unions.",
        "Officials said the project would double the port's capacity and create about "
        "three thousand jobs in the region over the next five years.",
    ]
    async with FeedServer() as server:
        server.add(
            "/story",
            article_page("Port expansion approved", paragraphs),
            content_type="text/html; charset=utf-8",
        )
        server.add("/nothing", b"\x00\x01\x02", content_type="application/octet-stream")
        code, out, err = await nashra("preview", server.url("/story"), database_url=db_url)
        assert code == 0, err
        assert out.startswith("page: Port expansion approved")
        assert "three thousand jobs" in out or "harbour authority" in out
        code, out, err = await nashra("preview", server.url("/nothing"), database_url=db_url)
    assert code == 2
    assert "gave neither a feed nor a web page" in err


async def test_summarize_jsonl_writes_one_line_per_article_and_reports_bad_lines(
    db_url: str, tmp_path: Path
) -> None:
    import json

    source = tmp_path / "in.jsonl"
    records = [
        {
            "id": "a1",
            "title": "مجلس النواب يقر قانون الانتخابات الجديد",
            "text": "أقر مجلس النواب قانون الانتخابات الجديد. صوت لصالحه أغلب النواب. "
            "وقال رئيس المجلس إن القانون يعزز المشاركة.",
        },
        {
            "id": 7,
            "title": "Striker scores twice as United win the derby",
            "lang": "en",
            "text": "The striker scored twice. United won the derby 2-1. Fans celebrated.",
        },
    ]
    source.write_text(
        json.dumps(records[0], ensure_ascii=False) + "\nnot json\n" + json.dumps(records[1]),
        encoding="utf-8",
    )
    out = tmp_path / "out.jsonl"
    code, stdout, err = await nashra(
        "summarize",
        "--jsonl",
        str(source),
        "--out",
        str(out),
        "--sentences",
        "1",
        database_url=db_url,
    )
    assert code == 0, err
    assert "line 2: not JSON" in err
    assert "wrote 2 summaries" in stdout
    first, second = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert set(first) == {"id", "lang", "category", "headline", "summary"}
    assert (first["id"], first["lang"], first["category"]) == ("a1", "ar", "politics")
    assert first["summary"] == "أقر مجلس النواب قانون الانتخابات الجديد."
    assert (second["id"], second["lang"], second["category"]) == (7, "en", "sports")
    assert second["headline"] == records[1]["title"]


async def test_outbox_prints_deliveries_by_state_and_todays_counts(db_url: str) -> None:
    code, out, _ = await nashra("outbox", database_url=db_url)
    assert code == 0
    assert "pending" in out
    assert "next due: nothing pending" in out

    engine = create_engine(db_url)
    try:
        async with engine.begin() as connection:
            await connection.execute(
                insert(DailyCount).values(day=datetime.now(UTC).date(), name="sent", value=42)
            )
    finally:
        await engine.dispose()
    code, out, _ = await nashra("outbox", database_url=db_url)
    assert code == 0
    assert [line.split() for line in out.splitlines() if line.startswith("sent ")] == [
        ["sent", "0"],
        ["sent", "42"],
    ]


async def test_preview_of_a_private_address_names_the_setting_that_allows_it(db_url: str) -> None:
    code, _, err = await nashra("preview", "http://10.0.0.5/feed.xml", database_url=db_url)
    assert code == 2
    assert "refused: 10.0.0.5 is a private address" in err
    assert "FETCH_ALLOW_NETWORKS" in err
