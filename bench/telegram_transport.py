"""Transport benchmark: messages/s through telegram.Bot over AiohttpRequest and HTTPXRequest,
and through the outbox's lean client (bot/telegram/botapi.py).

    python -m bench.telegram_transport [--messages 1000] [--concurrency 64] [--rounds 2]

A stand-in for the Bot API (answering getMe and sendMessage, form or JSON) runs in a child
process on 127.0.0.1; in one run, the same messages go through each client in turn, with the
same concurrency, each round in another order; the best round of each counts. On 2 cores the
server competes with the client for CPU, so the figures are floors. Prints one line:

    transport: aiohttp_per_s=… httpx_per_s=… botapi_per_s=… ratio=… botapi_vs_ptb=…
               cpu_ms_per_message_ptb=… cpu_ms_per_message_botapi=…

`ratio` is PTB over aiohttp against PTB over httpx (why PTB's transport is ours);
`botapi_vs_ptb` and the CPU per message compare the lean client with PTB over aiohttp (why the
outbox has its own: the client's CPU is what the sender shares with the poller).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import sys
import time
from collections.abc import Callable

from aiohttp import web
from telegram import Bot
from telegram.request import BaseRequest, HTTPXRequest

from bot.telegram import AiohttpRequest
from bot.telegram.botapi import BotApi

TOKEN = "123456:BENCH-token"
_ME = json.dumps(
    {"ok": True, "result": {"id": 123456, "is_bot": True, "first_name": "Nashra"}}
).encode()


async def _answer(request: web.Request) -> web.Response:
    if request.content_type == "application/json":
        fields = await request.json()
    else:
        fields = dict(await request.post())
    if request.match_info["method"] == "getMe":
        return web.Response(body=_ME, content_type="application/json")
    message = {
        "message_id": 1,
        "date": 1_700_000_000,
        "chat": {"id": int(str(fields["chat_id"])), "type": "private"},
        "text": str(fields["text"]),
    }
    return web.json_response({"ok": True, "result": message})


def serve() -> None:
    """The child process: serve the stand-in on a free port, announced on stdout."""

    async def main() -> None:
        app = web.Application()
        app.router.add_post("/bot{token}/{method}", _answer)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        print(runner.addresses[0][1], flush=True)
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)
        await runner.cleanup()

    asyncio.run(main())


async def _send(bot: Bot, messages: int, concurrency: int) -> None:
    numbers = iter(range(messages))

    async def worker() -> None:
        for number in numbers:
            await bot.send_message(chat_id=1, text=f"خبر رقم {number}")

    await asyncio.gather(*(worker() for _ in range(concurrency)))


Rate = tuple[float, float]
"""(messages per second, this process' CPU milliseconds per message)."""


async def _rate(base_url: str, request: BaseRequest, messages: int, concurrency: int) -> Rate:
    async with Bot(TOKEN, base_url=base_url, request=request) as bot:
        await _send(bot, min(messages, 100), concurrency)
        started, cpu = time.perf_counter(), time.process_time()
        await _send(bot, messages, concurrency)
        return _measured(messages, started, cpu)


def _measured(messages: int, started: float, cpu: float) -> Rate:
    wall = time.perf_counter() - started
    return messages / wall, (time.process_time() - cpu) * 1000 / messages


async def _lean_rate(base_url: str, messages: int, concurrency: int) -> Rate:
    async with BotApi(base_url, TOKEN, connections=concurrency) as api:

        async def send(count: int) -> None:
            numbers = iter(range(count))

            async def worker() -> None:
                for number in numbers:
                    await api.call("sendMessage", {"chat_id": 1, "text": f"خبر رقم {number}"})

            await asyncio.gather(*(worker() for _ in range(concurrency)))

        await send(min(messages, 100))
        started, cpu = time.perf_counter(), time.process_time()
        await send(messages)
        return _measured(messages, started, cpu)


async def compare(base_url: str, messages: int, concurrency: int, rounds: int) -> dict[str, Rate]:
    transports: dict[str, Callable[[], BaseRequest]] = {
        "aiohttp": lambda: AiohttpRequest(connection_pool_size=concurrency),
        "httpx": lambda: HTTPXRequest(connection_pool_size=concurrency),
    }
    best: dict[str, Rate] = dict.fromkeys([*transports, "botapi"], (0.0, 0.0))
    for round_number in range(rounds):
        names = list(best)
        if round_number % 2:
            names.reverse()
        for name in names:
            if name == "botapi":
                rate = await _lean_rate(base_url, messages, concurrency)
            else:
                rate = await _rate(base_url, transports[name](), messages, concurrency)
            if rate[0] > best[name][0]:
                best[name] = rate
    return best


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--messages", type=int, default=1000, help="messages per transport round")
    parser.add_argument("--concurrency", type=int, default=64, help="sends in flight at once")
    parser.add_argument("--rounds", type=int, default=2, help="rounds; the best one counts")
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve:
        serve()
        return
    if not (
        1 <= args.messages <= 100_000 and 1 <= args.concurrency <= 1024 and 1 <= args.rounds <= 10
    ):
        parser.error("--messages must be 1..100000, --concurrency 1..1024, --rounds 1..10")

    with subprocess.Popen(
        [sys.executable, "-m", "bench.telegram_transport", "--serve"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    ) as server:
        assert server.stdin is not None
        assert server.stdout is not None
        try:
            port = int(server.stdout.readline())
            best = asyncio.run(
                compare(
                    f"http://127.0.0.1:{port}/bot", args.messages, args.concurrency, args.rounds
                )
            )
        finally:
            server.stdin.close()
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.kill()
    (aiohttp_rate, aiohttp_cpu), (httpx_rate, _), (lean_rate, lean_cpu) = (
        best["aiohttp"],
        best["httpx"],
        best["botapi"],
    )
    print(
        f"transport: aiohttp_per_s={aiohttp_rate:.0f} httpx_per_s={httpx_rate:.0f} "
        f"botapi_per_s={lean_rate:.0f} ratio={aiohttp_rate / httpx_rate:.2f} "
        f"botapi_vs_ptb={lean_rate / aiohttp_rate:.2f} "
        f"cpu_ms_per_message_ptb={aiohttp_cpu:.2f} cpu_ms_per_message_botapi={lean_cpu:.2f}"
    )


if __name__ == "__main__":
    main()
