"""The soak's measures and its verdict in print: RSS and CPU sampled with psutil, the figures,
and what fails the run."""

from __future__ import annotations

import asyncio
import time

import psutil

from bench.soak_check import LogVerdict, Received, Truth, Verdict

SAMPLE_SECONDS = 2.0
RSS_GROWTH = 0.10


class Sampler:
    """RSS and CPU seconds of one process, every SAMPLE_SECONDS."""

    def __init__(self, pid: int) -> None:
        self.process = psutil.Process(pid)
        self.samples: list[tuple[float, float, float]] = []  # seconds, rss MB, cpu s
        self.threads = 0
        self.started = time.monotonic()

    async def run(self) -> None:
        while True:
            self.sample()
            await asyncio.sleep(SAMPLE_SECONDS)

    def sample(self) -> None:
        try:
            with self.process.oneshot():
                rss = self.process.memory_info().rss / 2**20
                cpu = self.process.cpu_times()
                self.threads = max(self.threads, self.process.num_threads())
        except psutil.Error:
            return
        self.samples.append((time.monotonic() - self.started, rss, cpu.user + cpu.system))

    def at(self, seconds: float) -> tuple[float, float, float]:
        """The first sample at or after `seconds` (the last one if none is)."""
        return next((s for s in self.samples if s[0] >= seconds), self.samples[-1])


def problems(
    result: Verdict,
    logged: LogVerdict,
    rss_start: float,
    rss_end: float,
    drained: bool,
    code: int | None,
) -> list[str]:
    problems = []
    if result.lost:
        problems.append(f"lost: {dict(result.lost)}")
    if result.duplicates:
        problems.append(f"duplicates: {dict(result.duplicates)}")
    if result.misdelivered:
        problems.append(f"{result.misdelivered} stories reached chats that were not owed them")
    fine = ("excluded", "403 answers", "not sent to since")
    if bad := {k: v for k, v in result.gone.items() if k not in fine}:
        problems.append(f"chats that left were not excluded: {bad}")
    if result.migrated["not moved"]:
        problems.append(f"{result.migrated['not moved']} migrated groups were not moved")
    if rss_end > rss_start * (1 + RSS_GROWTH):
        problems.append(f"RSS grew {rss_end / rss_start - 1:.0%} (at most {RSS_GROWTH:.0%})")
    if logged.unexpected:
        problems.append(f"{len(logged.unexpected)} unexpected ERROR lines")
    if not drained:
        problems.append("the outbox did not drain")
    if code != 0:
        problems.append(f"nashra run exited with {code} on SIGTERM")
    return problems


def print_figures(
    truth: Truth,
    received: Received,
    result: Verdict,
    logged: LogVerdict,
    sampler: Sampler,
    cpu: float,
) -> None:
    stories = len({truth.story[k] for k in truth.served})
    print(
        f"ingest: {len(truth.story)} entries published, {len(truth.served)} served to the bot "
        f"({stories} stories), {result.articles} stored as new articles"
    )
    print(
        f"telegram: {received.messages} messages ({received.methods['sendPhoto']} photos, "
        f"{received.methods['digest']} digests) carrying {result.delivered} articles; refused: "
        f"{_counts(received.refusals)}"
    )
    print(
        f"delivery: {result.owed} (chat, story) pairs owed to the chats that stayed; lost "
        f"{_counts(result.lost)}; duplicates {_counts(result.duplicates)}; misdelivered "
        f"{result.misdelivered}"
    )
    print(
        f"  database against Telegram: {_counts(result.ledger)}; chats that left: "
        f"{_counts(result.gone)}; migrated groups: {_counts(result.migrated)}"
    )
    for example in result.examples:
        print(f"  e.g. {example}")
    minutes = [sampler.at(60 * m) for m in range(1, int(sampler.samples[-1][0] // 60) + 1)]
    curve = " ".join(f"{rss:.0f}" for _, rss, _ in minutes)
    wall = sampler.samples[-1][0]
    print(
        f"memory: rss each minute (MB): {curve}; at the end {sampler.samples[-1][1]:.0f}; "
        f"at most {sampler.threads} threads"
    )
    per_message = 1000 * cpu / max(received.messages, 1)
    per_article = 1000 * cpu / max(result.delivered, 1)
    print(
        f"cpu: {cpu:.0f} s in {wall:.0f} s ({cpu / wall:.0%} of a core): {per_message:.2f} ms "
        f"per message, {per_article:.2f} ms per article delivered"
    )
    print(
        f"log: {logged.lines} lines ({_counts(logged.levels)}); ERRORs from injected faults: "
        f"{_counts(logged.injected)}; unexpected: {len(logged.unexpected)}"
    )
    for line in logged.unexpected[:10]:
        print(f"  unexpected: {line}")
    for message, count in logged.warnings.most_common(8):
        print(f"  warning x{count}: {message}")


def _counts(counts: dict[str, int]) -> str:
    return ", ".join(f"{k} {v}" for k, v in sorted(counts.items()) if v) or "none"
