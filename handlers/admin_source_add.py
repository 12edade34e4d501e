"""/addsource: any address an admin gives (a feed, a site's page, @channel or a t.me link, a
sitemap) becomes a source after a preview and a Save.

An address whose kind is not plain is looked at first (bot/services/discovery.py). One feed:
its preview follows. Several feeds: one button each, with the feed's title. No feed: the
other ways to follow the site (its robots.txt sitemaps, the page as a section page), one
button each, or the answer that there is none. A choice waits in the database
(bot/services/pending.py) like a preview does, under a short token with its admin and an
expiry; pressing one previews it.

Callback data (after `adm:v1:src:`): `pick:<token>:<n>` previews the nth choice,
`quit:<token>` drops the choices, `add:<token>` / `drop:<token>` save or cancel a preview.
"""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any, Final
from urllib.parse import urlsplit

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update

from bot.compose.compose import Composer
from bot.context import BotContext, bot_context
from bot.deliver.send import send_reply_post
from bot.i18n import Html, t, t_html
from bot.ingest.fetch import Fetcher
from bot.ingest.normalize import redacted_url
from bot.ingest.sourcespec import SourceListError, SourceSpec, make_spec
from bot.pipeline.articles import Pipeline
from bot.services import discovery
from bot.services import pending as pending_service
from bot.services import preview as preview_service
from bot.services import sources as service
from bot.services.audit import Actor
from bot.services.subscriptions import find_category
from handlers.common import Context, language_of, reply
from handlers.source_replies import (
    LANGUAGE_CODE,
    MAX_ARGUMENT,
    PREFIX,
    arguments,
    buttons,
    drop_buttons,
    edit,
    error,
    kind_name,
    trim,
    usage,
)

PENDING_KIND: Final = "source.add"
PICK_KIND: Final = "source.pick"
PENDING_TTL: Final = timedelta(minutes=10)
BUTTON_CHARS: Final = 60


@contextlib.asynccontextmanager
async def _pipeline(ctx: BotContext) -> AsyncIterator[Pipeline]:
    """The process's pipeline, or one with a fetcher for this preview only."""
    if ctx.pipeline is not None:
        yield ctx.pipeline
        return
    async with Fetcher(ctx.settings) as fetcher:
        yield Pipeline(ctx.settings, fetcher, Composer(ctx.settings))


async def add_source(update: Update, context: Context, actor: Actor) -> None:
    """/addsource URL [category] [language]: look at the address, preview, then confirm."""
    language = await language_of(update, context)
    args = arguments(context)
    if not 1 <= len(args) <= 3 or any(len(arg) > MAX_ARGUMENT for arg in args):
        await usage(update, "addsource", language)
        return
    ctx = bot_context(context)
    values: dict[str, object] = {"url": args[0]}
    for arg in args[1:]:
        # A language is a code such as ar, en or ar-SY (unless a category has that name);
        # anything else names a category.
        key = "category"
        if LANGUAGE_CODE.fullmatch(arg):
            async with ctx.sessions() as session:
                if await find_category(session, arg) is None:
                    key = "language"
        if key in values:
            await usage(update, "addsource", language)
            return
        values[key] = arg
    try:
        discovery.check_reference(args[0])
        spec = make_spec(values)
    except service.SourceError as exc:
        await reply(update, error(exc, language))
        return
    except SourceListError as exc:
        reason = trim("; ".join(exc.problems), 300)
        await reply(
            update, t_html("admin_sources.usage.addsource_invalid", language, reason=reason)
        )
        return
    try:
        async with ctx.sessions() as session:
            await service.check_new(session, spec)
        if spec.kind is None:
            async with _pipeline(ctx) as pipeline:
                found = await discovery.resolve(spec, pipeline.fetcher)
            choice = found.single
            if choice is None:
                await _offer(update, ctx, actor, spec, found, language)
                return
            spec = choice.spec(spec)
        await _preview(update, ctx, actor, spec, language)
    except service.SourceError as exc:
        await reply(update, error(exc, language))
    except pending_service.PendingError:
        await reply(update, t_html("admin_sources.too_many_pending", language))


async def _offer(
    update: Update,
    ctx: BotContext,
    actor: Actor,
    spec: SourceSpec,
    found: discovery.Resolution,
    language: str,
) -> None:
    """The choices the address offers, one button each; or why there is none."""
    if not found.choices:
        await reply(
            update, t_html("admin_sources.offer.nothing", language, url=redacted_url(found.url))
        )
        return
    choices = [{"url": c.url, "kind": c.kind.value, "title": c.title[:200]} for c in found.choices]
    async with ctx.sessions.begin() as session:
        token = await pending_service.park(
            session,
            user_id=actor.user_id or 0,
            kind=PICK_KIND,
            payload={"spec": dataclasses.asdict(spec), "choices": choices},
            ttl=PENDING_TTL,
        )
    rows = [
        [InlineKeyboardButton(_label(choice, language), callback_data=f"{PREFIX}pick:{token}:{n}")]
        for n, choice in enumerate(found.choices)
    ]
    cancel = t("admin_sources.button.cancel", language)
    rows.append([InlineKeyboardButton(cancel, callback_data=f"{PREFIX}quit:{token}")])
    if found.feeds:
        text = t_html(
            "admin_sources.offer.feeds", language, url=redacted_url(found.url), count=len(choices)
        )
    else:
        lines = "\n".join(f"• {_describe(c, found, language)}" for c in found.choices)
        text = t_html(
            "admin_sources.offer.other",
            language,
            url=redacted_url(found.url),
            choices=Html(lines),
        )
    await reply(update, text, InlineKeyboardMarkup(rows))


def _label(choice: discovery.Choice, language: str) -> str:
    """A choice's button: a feed's title (else its address), or what else it is."""
    if choice.kind == "feed":
        return trim(choice.title or _short(redacted_url(choice.url)), BUTTON_CHARS)
    if choice.kind == "sitemap":
        where = _short(redacted_url(choice.url))
        return trim(t("admin_sources.choice.sitemap", language, where=where), BUTTON_CHARS)
    return t("admin_sources.choice.page", language)


def _describe(choice: discovery.Choice, found: discovery.Resolution, language: str) -> Html:
    if choice.kind == "sitemap":
        return t_html("admin_sources.offer.sitemap", language, url=redacted_url(choice.url))
    return t_html("admin_sources.offer.page", language, links=found.section_links)


def _short(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.netloc}{parts.path}".rstrip("/")


async def _preview(
    update: Update, ctx: BotContext, actor: Actor, spec: SourceSpec, language: str
) -> None:
    """The post the source's newest entry would give, then Save and Cancel. SourceError
    when it cannot be added or read."""
    async with ctx.sessions() as session:
        _url, category_id = await service.check_new(session, spec)
    categories = await ctx.categories.get()
    async with _pipeline(ctx) as pipeline:
        preview = await preview_service.preview_source(
            spec,
            category_id=category_id,
            settings=ctx.settings,
            pipeline=pipeline,
            categories=categories,
        )
    async with ctx.sessions.begin() as session:
        token = await pending_service.park(
            session,
            user_id=actor.user_id or 0,
            kind=PENDING_KIND,
            payload={"spec": dataclasses.asdict(spec), "title": preview.title},
            ttl=PENDING_TTL,
        )
    message = update.effective_message
    assert message is not None
    assert ctx.transport is not None, "post_init opens the transport"
    await send_reply_post(ctx.transport, message.chat_id, preview.post)
    auto = t("admin_sources.auto", language)
    text = t_html(
        "admin_sources.preview",
        language,
        title=preview.title or redacted_url(preview.url),
        kind=kind_name(preview.kind, language),
        url=redacted_url(spec.url),
        category=spec.category or auto,
        lang=spec.language or auto,
    )
    markup = buttons(
        (t("admin_sources.button.save", language), f"add:{token}"),
        (t("admin_sources.button.cancel", language), f"drop:{token}"),
    )
    await reply(update, text, markup)


async def pick(update: Update, context: Context, actor: Actor, token: str, number: int) -> None:
    """A choice pressed: the choices are used up, and the chosen source previewed."""
    query = update.callback_query
    assert query is not None
    language = await language_of(update, context)
    ctx = bot_context(context)
    try:
        async with ctx.sessions.begin() as session:
            waiting = await pending_service.take(
                session, token, user_id=actor.user_id or 0, kind=PICK_KIND
            )
    except pending_service.PendingError as exc:
        await refuse_press(update, exc, language)
        return
    choices: list[dict[str, Any]] = waiting.payload["choices"]
    if not 0 <= number < len(choices):
        await query.answer()
        await drop_buttons(update)
        return
    chosen = choices[number]
    spec = SourceSpec(**waiting.payload["spec"])
    spec = dataclasses.replace(spec, url=chosen["url"], kind=chosen["kind"])
    await query.answer()
    title = chosen["title"] or chosen["url"]
    await edit(update, t_html("admin_sources.offer.chosen", language, choice=title))
    try:
        await _preview(update, ctx, actor, spec, language)
    except service.SourceError as exc:
        await reply(update, error(exc, language))
    except pending_service.PendingError:
        await reply(update, t_html("admin_sources.too_many_pending", language))


async def quit_choices(update: Update, context: Context, actor: Actor, token: str) -> None:
    """Cancel pressed under the choices: nothing is kept."""
    await _cancel(update, context, actor, token, PICK_KIND)


async def confirm_add(update: Update, context: Context, actor: Actor, token: str) -> None:
    query = update.callback_query
    assert query is not None
    language = await language_of(update, context)
    ctx = bot_context(context)
    try:
        async with ctx.sessions.begin() as session:
            waiting = await pending_service.take(
                session, token, user_id=actor.user_id or 0, kind=PENDING_KIND
            )
            saved = waiting.payload
            spec = SourceSpec(**saved.get("spec", saved))  # rows parked before titles were kept
            title = saved.get("title") if isinstance(saved.get("title"), str) else None
            source = await service.add_source(session, spec, actor=actor, title=title)
            source_id, url, kind = source.id, redacted_url(source.url), source.kind
            name = source.name or source.title or url
    except pending_service.PendingError as exc:
        await refuse_press(update, exc, language)
        return
    except service.SourceError as exc:
        await query.answer()
        await edit(update, error(exc, language))
        return
    await query.answer(t("admin_sources.alert.saved", language))
    text = t_html(
        "admin_sources.added",
        language,
        id=source_id,
        name=name,
        url=url,
        kind=kind_name(kind, language),
    )
    await edit(update, text)


async def cancel_add(update: Update, context: Context, actor: Actor, token: str) -> None:
    await _cancel(update, context, actor, token, PENDING_KIND)


async def _cancel(update: Update, context: Context, actor: Actor, token: str, kind: str) -> None:
    query = update.callback_query
    assert query is not None
    language = await language_of(update, context)
    try:
        async with bot_context(context).sessions.begin() as session:
            await pending_service.take(session, token, user_id=actor.user_id or 0, kind=kind)
    except pending_service.PendingError as exc:
        if exc.reason != "expired":
            await refuse_press(update, exc, language)
            return
    await query.answer()
    await edit(update, t_html("admin_sources.cancelled", language))


async def refuse_press(update: Update, exc: pending_service.PendingError, language: str) -> None:
    query = update.callback_query
    assert query is not None
    if exc.reason == "not_yours":
        await query.answer(t("admin_sources.alert.not_yours", language), show_alert=True)
        return
    await query.answer(t("admin_sources.alert.expired", language), show_alert=True)
    await drop_buttons(update)
