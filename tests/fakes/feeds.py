"""Feed documents, sitemaps and pages written here for tests (self-written fixtures, not real
publishers' data)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from email.utils import format_datetime
from xml.sax.saxutils import escape


@dataclass(frozen=True)
class Item:
    title: str
    link: str | None = None
    guid: str | None = None
    description: str = ""
    published: datetime | None = None
    categories: tuple[str, ...] = ()
    content_html: str | None = None
    image_url: str | None = None  # an <enclosure> of type image/jpeg


def rss(
    items: list[Item],
    *,
    title: str = "Test feed",
    link: str = "https://example.com/",
    language: str | None = "en",
    encoding: str = "utf-8",
) -> bytes:
    """An RSS 2.0 document with content:encoded when an item has HTML content."""
    parts = [
        f'<?xml version="1.0" encoding="{encoding}"?>',
        '<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/">',
        "<channel>",
        f"<title>{escape(title)}</title><link>{escape(link)}</link>",
        f"<description>{escape(title)}</description>",
    ]
    if language:
        parts.append(f"<language>{language}</language>")
    for item in items:
        parts.append("<item>")
        parts.append(f"<title>{escape(item.title)}</title>")
        if item.link:
            parts.append(f"<link>{escape(item.link)}</link>")
        if item.guid:
            parts.append(f'<guid isPermaLink="false">{escape(item.guid)}</guid>')
        if item.description:
            parts.append(f"<description>{escape(item.description)}</description>")
        if item.content_html:
            parts.append(f"<content:encoded><![CDATA[{item.content_html}]]></content:encoded>")
        if item.published:
            parts.append(f"<pubDate>{format_datetime(item.published)}</pubDate>")
        parts.extend(f"<category>{escape(c)}</category>" for c in item.categories)
        if item.image_url:
            url = escape(item.image_url, {'"': "&quot;"})
            parts.append(f'<enclosure url="{url}" type="image/jpeg" length="0"/>')
        parts.append("</item>")
    parts.append("</channel></rss>")
    return "\n".join(parts).encode(encoding)


def article_page(
    title: str, paragraphs: list[str], *, lang: str = "en", published: datetime | None = None
) -> bytes:
    """An article page with navigation and footer noise around the story."""
    body = "\n".join(f"<p>{escape(p)}</p>" for p in paragraphs)
    direction = "rtl" if lang == "ar" else "ltr"
    date = (
        f'<meta property="article:published_time" content="{published.isoformat()}">'
        if published is not None
        else ""
    )
    return f"""<!doctype html><html lang="{lang}" dir="{direction}"><head><meta charset="utf-8">
<title>{escape(title)}</title>{date}</head><body>
<nav><a href="/">Home</a> <a href="/world">World</a> <a href="/sport">Sport</a></nav>
<article><h1>{escape(title)}</h1>{body}</article>
<footer>Copyright Example News. <a href="/privacy">Privacy</a></footer>
</body></html>""".encode()


def sitemap(pages: Sequence[tuple[str, datetime | None]], *, titles: Sequence[str] = ()) -> bytes:
    """A sitemap of `pages` (absolute URL, last modified); with `titles`, a Google News
    sitemap whose entries carry them and their publication dates."""
    rows = []
    for index, (url, when) in enumerate(pages):
        date = when.isoformat() if when is not None else None
        if titles:
            rows.append(
                f"<url><loc>{escape(url)}</loc><news:news><news:publication>"
                "<news:name>Example News</news:name><news:language>en</news:language>"
                f"</news:publication><news:publication_date>{date}</news:publication_date>"
                f"<news:title>{escape(titles[index])}</news:title></news:news></url>"
            )
        else:
            lastmod = f"<lastmod>{date}</lastmod>" if date else ""
            rows.append(f"<url><loc>{escape(url)}</loc>{lastmod}</url>")
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
        f'xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">{"".join(rows)}</urlset>'
    ).encode()


def sitemap_index(urls: Sequence[str]) -> bytes:
    rows = "".join(f"<sitemap><loc>{escape(url)}</loc></sitemap>" for url in urls)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<sitemapindex '
        f'xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{rows}</sitemapindex>'
    ).encode()


def section_page(links: Sequence[tuple[str, str]], *, title: str = "Politics") -> bytes:
    """A site's section page: navigation, then the stories' links (path, headline) in <main>."""
    items = "".join(
        f'<article><h2><a href="{escape(path)}">{escape(text)}</a></h2></article>'
        for path, text in links
    )
    return f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>{escape(title)}</title></head><body>
<nav><a href="/">Home</a> <a href="/world">World</a> <a href="/tag/budget">Budget</a></nav>
<main><h1>{escape(title)}</h1>{items}</main>
<footer><a href="/about">About us</a> <a href="/privacy">Privacy</a></footer>
</body></html>""".encode()
