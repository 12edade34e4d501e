"""Capping malloc arenas at start: effective on glibc, left alone when MALLOC_ARENA_MAX is set."""

from __future__ import annotations

import ctypes.util

import pytest

from bot.memory import limit_malloc_arenas


def test_an_arena_max_already_set_is_left_as_it_is(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MALLOC_ARENA_MAX", "4")
    monkeypatch.setattr(ctypes.util, "find_library", lambda _name: pytest.fail("not asked"))
    assert limit_malloc_arenas()


@pytest.mark.skipif(ctypes.util.find_library("c") is None, reason="no C library found")
def test_glibc_takes_the_cap(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MALLOC_ARENA_MAX", raising=False)
    assert limit_malloc_arenas()
