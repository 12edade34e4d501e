"""What an address an admin gives offers as a source: `nashra sources add`, `nashra preview`
and /addsource all ask here before anything is saved or previewed.

    found = await resolve(spec, fetcher)
    found.choices      # one: use it; several feeds: the admin picks; alternatives: offered
    found.feeds        # True when the choices are feeds the page offers

A Telegram channel (@NAME, a t.me link) or a source whose kind is given is taken as it is,
with nothing fetched. Any other URL is fetched once: a feed is used; a sitemap becomes a
sitemap source; a web page's advertised feeds (or, when it advertises none, the usual feed
places) are offered, and when it has none, what else may work: the sitemaps its robots.txt
lists and the page itself as a section page.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Final

from bot.ingest.discover import Outcome, discover
from bot.ingest.doctype import PageKind
from bot.ingest.fetch import Fetcher, FetchError, FetchErrorKind
from bot.ingest.sourcespec import SourceSpec
from bot.ingest.ssrf import address_problem
from bot.ingest.telegram_ref import ChannelRefError, RefProblem, channel_name, is_telegram_ref
from bot.pipeline.read import ReadError, SourceInfo
from bot.pipeline.read_kinds import read_channel
from bot.services.sources import SourceError, clean_url
from bot.settings import Settings
from storage.models import SourceKind

MAX_CHOICES: Final = 8
"""Choices offered at most (feeds, or sitemaps and the section page)."""


@dataclass(frozen=True, slots=True)
class Choice:
    """A source an address offers: its URL, kind, and a title to show (a feed's own)."""

    url: str
    kind: SourceKind
    title: str = ""

    def spec(self, base: SourceSpec) -> SourceSpec:
        """`base` (the admin's name, category, language …) for this source."""
        return replace(base, url=self.url, kind=self.kind.value)


@dataclass(frozen=True, slots=True)
class Resolution:
    """What the address given (`url`, after redirects) offers. `feeds`: the choices are
    feeds found there (one is the answer; several, the admin picks). Otherwise they are
    alternatives to offer (sitemaps, the page as a section page), possibly none;
    `section_links` counts the page's article links."""

    url: str
    choices: tuple[Choice, ...]
    feeds: bool = True
    section_links: int = 0

    @property
    def single(self) -> Choice | None:
        """The source to use without asking, when there is exactly one feed (or the
        address named its kind)."""
        return self.choices[0] if self.feeds and len(self.choices) == 1 else None


async def resolve(spec: SourceSpec, fetcher: Fetcher) -> Resolution:
    """What `spec.url` offers. Raises SourceError (codes bad_url, blocked, http_status,
    timeout, fetch, not_a_page) when it offers nothing to follow; an address the fetcher
    would refuse (private, loopback, link-local …) is refused here, before anything else."""
    url = clean_url(spec.url)
    problem = await address_problem(url, fetcher.settings.fetch_allow_networks)
    if problem is not None:
        raise SourceError(f"refused: {problem}", "blocked")
    if spec.kind is not None:
        return Resolution(url, (Choice(url, SourceKind(spec.kind), spec.name or ""),))
    try:
        found = await discover(fetcher, url)
    except FetchError as exc:
        raise fetch_problem(exc) from None
    if found.outcome is Outcome.IS_FEED:
        return Resolution(url, (Choice(url, SourceKind.FEED, found.feeds[0].title),))
    if found.outcome is Outcome.FOUND:
        feeds = tuple(
            Choice(feed.url, SourceKind.FEED, feed.title) for feed in found.feeds[:MAX_CHOICES]
        )
        return Resolution(found.url, feeds)
    if found.outcome is Outcome.NOT_A_PAGE and found.page is PageKind.SITEMAP:
        return Resolution(url, (Choice(url, SourceKind.SITEMAP),))
    if found.outcome is Outcome.NOT_A_PAGE and found.page is PageKind.FEED:
        reason = found.rejected[0].reason if found.rejected else "not a feed"
        raise SourceError(f"{url} looks like a feed but is none: {reason}", "not_feed")
    if found.outcome is Outcome.NOT_A_PAGE:
        raise SourceError(f"{url} gave {found.page.value}", "not_a_page")
    alternatives = [Choice(sitemap, SourceKind.SITEMAP) for sitemap in found.sitemaps]
    if found.section_page:
        alternatives.append(Choice(found.url, SourceKind.PAGE))
    return Resolution(
        found.url,
        tuple(alternatives[:MAX_CHOICES]),
        feeds=False,
        section_links=found.section_links,
    )


def check_reference(text: str) -> None:
    """Nothing, unless `text` is meant as a Telegram channel and cannot be one: SourceError
    (codes ref_private, ref_invalid_name, ref_not_a_channel) then, saying why."""
    if not is_telegram_ref(text):
        return
    try:
        channel_name(text)
    except ChannelRefError as exc:
        values = {"ref": text[:64]} if exc.problem is RefProblem.INVALID_NAME else {}
        raise SourceError(exc.message, f"ref_{exc.problem.value}", **values) from None


async def check_channel(fetcher: Fetcher, settings: Settings, url: str) -> str:
    """The title (with @NAME) of the public channel at `url`; SourceError saying why when
    there is none to follow (no such name, a group, a bot, a private channel …)."""
    try:
        read = await read_channel(fetcher, SourceInfo(url=url, kind=SourceKind.TELEGRAM), settings)
    except FetchError as exc:
        raise fetch_problem(exc) from None
    except ReadError as exc:
        raise SourceError(exc.message, exc.code, **exc.values) from None
    return read.site_name or url


def fetch_problem(exc: FetchError) -> SourceError:
    """Why an address could not be fetched, as a refusal the admin reads."""
    if exc.kind is FetchErrorKind.BLOCKED or exc.kind is FetchErrorKind.INVALID_URL:
        return SourceError(exc.message, "blocked")
    if exc.kind is FetchErrorKind.HTTP_STATUS:
        return SourceError(exc.message, "http_status", status=exc.status or 0)
    if exc.kind is FetchErrorKind.TIMEOUT:
        return SourceError(exc.message, "timeout")
    return SourceError(exc.message, "fetch")
