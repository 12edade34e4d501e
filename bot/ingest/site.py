"""Which site a URL belongs to, for sources that must stay on their own site (sitemaps,
section pages). Pure."""

from __future__ import annotations

from urllib.parse import urlsplit

from courlan.urlutils import get_tldinfo


def same_site(url: str, reference: str) -> bool:
    """Whether `url` is on `reference`'s site: the same host (a leading "www." aside), or
    hosts under one registrable domain (news.example.co.uk and www.example.co.uk)."""
    try:
        host, other = urlsplit(url).hostname, urlsplit(reference).hostname
    except ValueError:
        return False
    if not host or not other:
        return False
    if host.removeprefix("www.") == other.removeprefix("www."):
        return True
    domain = get_tldinfo(url)[1]
    return domain is not None and domain == get_tldinfo(reference)[1]
