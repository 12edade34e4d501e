"""Keeping a long-running process's memory flat.

glibc gives each thread that allocates its own malloc arena (up to eight per core), and
memory freed in one arena is not reused by another. `nashra run` has a few dozen threads
(asyncio's executor, one per SQLite connection, the language model's), so its RSS crept up
through a ten-minute soak while Python's own allocations stayed level (bench/soak.py,
--trace-memory). Two arenas keep it flat, at no measurable cost in speed here.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import os
from typing import Final

log = logging.getLogger(__name__)

M_ARENA_MAX: Final = -8  # glibc's mallopt parameter (malloc.h)
ARENAS: Final = 2


def limit_malloc_arenas() -> bool:
    """Cap glibc's malloc arenas (unless MALLOC_ARENA_MAX already says how many); False
    where the C library is not glibc."""
    if os.environ.get("MALLOC_ARENA_MAX"):
        return True
    name = ctypes.util.find_library("c")
    if name is None:
        return False
    try:
        libc = ctypes.CDLL(name)
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    mallopt.restype = ctypes.c_int
    done = bool(mallopt(M_ARENA_MAX, ARENAS))
    if not done:
        log.debug("mallopt(M_ARENA_MAX) was refused; memory arenas are not capped")
    return done
