"""Commands and callbacks (issue "Hostile sources and inputs", items 5 and 6): the real bot
against FakeTelegram, fed empty, huge, malformed and unicode arguments and forged callbacks.

Every command gets an answer and no handler fails ("update … failed" is what on_error logs);
forged callback data is refused with an alert and changes nothing, in a private chat and, for
a member who is not an admin, in a group; the token never reaches a log line.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator

import pytest
from sqlalchemy import event

from bench.hostile import LogRecords, callback_cases, command_cases, failure_case
from tests.botharness import Harness, bot_harness
from tests.conftest import Database
from tests.fakes.telegram_server import DEFAULT_TOKEN


@pytest.fixture
async def bot(database: Database) -> AsyncIterator[Harness]:
    async with bot_harness(database) as harness:
        yield harness


@pytest.fixture
def records() -> Iterator[LogRecords]:
    handler = LogRecords()
    root = logging.getLogger()
    previous = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    yield handler
    root.removeHandler(handler)
    root.setLevel(previous)
    secret = DEFAULT_TOKEN.split(":", 1)[1]
    assert [line for line in handler.lines if secret in line] == []


async def test_every_command_answers_hostile_arguments_without_a_handler_error(
    bot: Harness, records: LogRecords
) -> None:
    outcomes = await command_cases(bot, records)
    assert len(outcomes) > 400
    failed = [f"{o.case}: {o.detail}" for o in outcomes if not o.handled]
    assert failed == []
    assert not [line for line in records.lines if " failed:" in line]


async def test_an_unknown_category_is_quoted_back_short_and_cleaned(bot: Harness) -> None:
    [answer] = await bot.command(1002, 1002, "/subscribe " + "\u202e" + "y" * 5000)
    assert "\u202e" not in answer.plain_text
    assert "y" * 60 in answer.plain_text
    assert "y" * 65 not in answer.plain_text


async def test_hundreds_of_names_cost_the_same_few_queries_as_one(
    bot: Harness, database: Database
) -> None:
    """600 names in one /subscribe once cost 600 lookups, seconds on a loaded machine."""
    statements: list[str] = []

    def count(conn: object, cursor: object, statement: str, *args: object) -> None:
        if "category_aliases" in statement:
            statements.append(statement)

    engine = database.engine.sync_engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        await bot.command(1002, 1002, "/subscribe politics")
        one = len(statements)
        statements.clear()
        names = " ".join(f"w{i} politics" for i in range(300))
        await bot.command(1002, 1002, f"/subscribe {names}")
        many = len(statements)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert one > 0
    assert many <= one + 3, statements


async def test_forged_callbacks_change_nothing_and_are_refused(
    bot: Harness, records: LogRecords
) -> None:
    outcomes = await callback_cases(bot)
    assert len(outcomes) >= 25
    assert [f"{o.case}: {o.detail}" for o in outcomes if not o.handled] == []


async def test_a_failing_reply_is_logged_and_apologised_for_without_the_token(
    bot: Harness, records: LogRecords
) -> None:
    outcome = await failure_case(bot, records)
    assert outcome.handled, outcome.detail
    assert any("Traceback" in line for line in records.lines)
