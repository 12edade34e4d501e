"""`nashra sources show|pause|resume|interval|delete`, and the audit rows every change leaves,
run as a real process on both databases."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from storage.models import AdminAction, Source
from tests.conftest import Database
from tests.test_cli import nashra


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
