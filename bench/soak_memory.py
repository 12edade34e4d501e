"""`nashra run` with tracemalloc on, for `bench.soak --trace-memory`: each SIGUSR1 writes a
snapshot to the directory in NASHRA_SOAK_SNAPSHOTS (1.snap, 2.snap …); `growth` tells which
lines of code hold more memory in the later snapshot than in the earlier one.

    python -m bench.soak_memory run [--role …]     # as `nashra run`, traced
"""

from __future__ import annotations

import os
import signal
import sys
import tracemalloc
from pathlib import Path
from types import FrameType

FRAMES = 1


def growth(before: Path, after: Path, top: int = 12) -> list[str]:
    """The `top` source lines whose memory grew most between two snapshots."""
    old = tracemalloc.Snapshot.load(str(before))
    new = tracemalloc.Snapshot.load(str(after))
    noise = [tracemalloc.Filter(False, tracemalloc.__file__)]
    stats = new.filter_traces(noise).compare_to(old.filter_traces(noise), "lineno")
    return [
        f"{stat.size_diff / 2**20:+7.2f} MB {stat.count_diff:+8d} blocks  {stat.traceback[0]}"
        for stat in stats[:top]
    ]


def main() -> int:
    tracemalloc.start(FRAMES)
    folder = Path(os.environ["NASHRA_SOAK_SNAPSHOTS"])
    taken = 0

    def snapshot(signum: int, frame: FrameType | None) -> None:
        nonlocal taken
        taken += 1
        tracemalloc.take_snapshot().dump(str(folder / f"{taken}.snap"))

    signal.signal(signal.SIGUSR1, snapshot)
    # Imported only now, so that tracing sees the application's own allocations too.
    from bot.cli import main as nashra

    sys.argv[0] = "nashra"
    return nashra()


if __name__ == "__main__":
    sys.exit(main())
