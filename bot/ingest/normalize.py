"""Pure normalisers for what feeds give us: URLs and times.

Nothing here does I/O and nothing raises on bad input: garbage in gives None or the
fallback out. Text (markup, language) is `bot.text`'s.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Final
from urllib.parse import urljoin, urlsplit, urlunsplit

import idna

# --------------------------------------------------------------------------------------
# URLs
# --------------------------------------------------------------------------------------

TRACKING_PARAMS: Final = frozenset(
    {
        # Google / Meta / Microsoft / Yandex ad click ids
        "fbclid",
        "gclid",
        "gclsrc",
        "dclid",
        "gbraid",
        "wbraid",
        "msclkid",
        "yclid",
        "igshid",
        "twclid",
        "ttclid",
        "li_fat_id",
        "_ga",
        "_gl",
        "gaa_at",
        "gaa_n",
        "gaa_sig",
        "gaa_ts",
        # Mailchimp, HubSpot, Marketo, Vero, Omeda
        "mc_cid",
        "mc_eid",
        "_hsenc",
        "_hsmi",
        "mkt_tok",
        "vero_id",
        "vero_conv",
        "oly_anon_id",
        "oly_enc_id",
        # Twitter share links, publishers' campaign ids
        "ref_src",
        "ref_url",
        "cmpid",
        "cmp",
        "icid",
        "ocid",
        "ncid",
        "dgcid",
        "smid",
        "smtyp",
        "s_cid",
        "wt_mc",
        "wt.mc_id",
        "traffic_source",
        "rss_source",
        "sr_share",
        "share",
        # AT Internet (BBC feeds append at_medium=RSS&at_campaign=rss)
        "at_medium",
        "at_campaign",
        "at_campaign_type",
        "at_bbc_team",
        "at_format",
        "at_link_id",
        "at_link_origin",
        "at_link_type",
        "at_ptr_name",
    }
)
"""Query keys (compared case-insensitively) that only track the reader and never select content."""

TRACKING_PREFIXES: Final = ("utm_", "at_custom", "hsa_", "pk_", "mtm_", "matomo_")
"""Key prefixes of whole tracking families: Urchin/GA, AT Internet, Google Ads, Piwik/Matomo."""

_DEFAULT_PORTS: Final = {"http": 80, "https": 443}
_UNRESERVED: Final = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
_PATH_SAFE: Final = _UNRESERVED | frozenset("!$&'()*+,;=:@/")
_QUERY_KEY_SAFE: Final = (_PATH_SAFE | frozenset("?")) - frozenset("&=")
_QUERY_VALUE_SAFE: Final = _QUERY_KEY_SAFE | frozenset("=")
_HEX: Final = frozenset("0123456789abcdefABCDEF")
_URL_STRIP: Final = "".join(chr(c) for c in range(0x21)) + "\x7f"
_HOST_LABEL: Final = re.compile(r"^[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?$")


def canonical_url(url: str, base: str | None = None) -> str | None:
    """One spelling per http(s) URL, or None when `url` is not one (even relative to `base`).

    Scheme and host are lower-cased, the host IDNA-encoded (punycode), default ports and
    the fragment dropped, tracking parameters (TRACKING_PARAMS, TRACKING_PREFIXES) removed
    while the other parameters keep their order, dot segments resolved and an empty path
    made "/". Percent-encoding is normalised the RFC 3986 way: unreserved characters are
    decoded, everything else, non-ASCII included (an Arabic path), is percent-encoded
    UTF-8 with upper-case hex, so the raw and the encoded spelling give one string.
    """
    try:
        return _canonical_url(url, base)
    except (ValueError, UnicodeError, TypeError):
        return None


def _canonical_url(url: str, base: str | None) -> str | None:
    url = _clean_url_text(url)
    if not url:
        return None
    if base:
        url = urljoin(_clean_url_text(base), url)
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS:
        return None
    host = _canonical_host(parts.hostname or "")
    if host is None:
        return None
    netloc = host
    port = parts.port
    if port is not None and port != _DEFAULT_PORTS[scheme]:
        netloc = f"{host}:{port}"
    if parts.username is not None:
        userinfo = _normalize_percent(parts.username, _UNRESERVED | frozenset("!$&'()*+,;="))
        if parts.password is not None:
            userinfo += ":" + _normalize_percent(parts.password, _UNRESERVED)
        netloc = f"{userinfo}@{netloc}"
    path = _remove_dot_segments(_normalize_percent(parts.path, _PATH_SAFE)) or "/"
    if not path.startswith("/"):
        path = "/" + path
    query = _clean_query(parts.query)
    return urlunsplit((scheme, netloc, path, query, ""))


def _clean_url_text(url: str) -> str:
    return re.sub(r"[\t\n\r]", "", url.strip(_URL_STRIP))


def _canonical_host(host: str) -> str | None:
    host = host.rstrip(".")
    if not host:
        return None
    if ":" in host:  # an IPv6 literal; urlsplit has already validated the brackets
        return f"[{host.lower()}]"
    ascii_host = host.lower() if host.isascii() else idna.encode(host, uts46=True).decode("ascii")
    if all(_HOST_LABEL.match(label) for label in ascii_host.split(".")):
        return ascii_host
    return None


def _normalize_percent(text: str, safe: frozenset[str]) -> str:
    """Decode %XX of unreserved characters, upper-case other escapes, encode the rest."""
    out: list[str] = []
    i, n = 0, len(text)
    while i < n:
        char = text[i]
        if char == "%":
            hex_digits = text[i + 1 : i + 3]
            if len(hex_digits) == 2 and all(h in _HEX for h in hex_digits):
                decoded = chr(int(hex_digits, 16))
                out.append(decoded if decoded in _UNRESERVED else "%" + hex_digits.upper())
                i += 3
                continue
            out.append("%25")
        elif char in safe:
            out.append(char)
        else:
            out.extend(f"%{byte:02X}" for byte in char.encode("utf-8"))
        i += 1
    return "".join(out)


def _remove_dot_segments(path: str) -> str:
    if "." not in path:
        return path
    output: list[str] = []
    segments = path.split("/")
    for index, segment in enumerate(segments):
        last = index == len(segments) - 1
        if segment == "..":
            if len(output) > 1:
                output.pop()
            if last:
                output.append("")
        elif segment == ".":
            if last:
                output.append("")
        else:
            output.append(segment)
    return "/".join(output)


def _is_tracking(key: str) -> bool:
    key = key.lower()
    return key in TRACKING_PARAMS or key.startswith(TRACKING_PREFIXES)


def _clean_query(query: str) -> str:
    kept: list[str] = []
    for pair in query.split("&"):
        if not pair:
            continue
        key, sep, value = pair.partition("=")
        if _is_tracking(_percent_decode_ascii(key)):
            continue
        key = _normalize_percent(key, _QUERY_KEY_SAFE)
        kept.append(key + sep + _normalize_percent(value, _QUERY_VALUE_SAFE))
    return "&".join(kept)


def _percent_decode_ascii(text: str) -> str:
    return re.sub(r"%([0-7][0-9A-Fa-f])", lambda m: chr(int(m.group(1), 16)), text)


# --------------------------------------------------------------------------------------
# Time
# --------------------------------------------------------------------------------------

_EARLIEST: Final = datetime(1990, 1, 1, tzinfo=UTC)
_MAX_AHEAD: Final = timedelta(days=1)


def to_utc(dt: datetime | None, fallback: datetime, *, now: datetime | None = None) -> datetime:
    """`dt` as an aware UTC datetime (naive counts as UTC), else `fallback` (also made UTC).

    The fallback is used for None, for anything before 1990 and for anything more than a
    day after `now` (the current time by default).
    """
    safe_fallback = _as_utc(fallback) or datetime.now(UTC)
    value = _as_utc(dt) if dt is not None else None
    if value is None:
        return safe_fallback
    reference = _as_utc(now) if now is not None else datetime.now(UTC)
    if value < _EARLIEST or (reference is not None and value > reference + _MAX_AHEAD):
        return safe_fallback
    return value


def _as_utc(dt: datetime | None) -> datetime | None:
    if dt is None:
        return None
    try:
        if dt.tzinfo is None or dt.utcoffset() is None:
            return dt.replace(tzinfo=UTC)
        return dt.astimezone(UTC)
    except (OverflowError, ValueError):
        return None


# --------------------------------------------------------------------------------------
# Secrets in URLs
# --------------------------------------------------------------------------------------

SECRET_PARAMS: Final = frozenset(
    {
        "token",
        "access_token",
        "auth",
        "auth_token",
        "key",
        "apikey",
        "api_key",
        "secret",
        "client_secret",
        "password",
        "passwd",
        "pass",
        "sig",
        "signature",
        "session",
        "sessionid",
    }
)
"""Query keys (compared case-insensitively) whose values are credentials."""

HIDDEN: Final = "***"
_CREDENTIALS: Final = re.compile(r"(?i)(\bhttps?://)[^\s/?#@]+@")
_SECRET_PARAM: Final = re.compile(
    r"(?i)([?&;](?:" + "|".join(sorted(SECRET_PARAMS, key=len, reverse=True)) + r")=)[^&#;\s]+"
)


def redacted_url(url: str) -> str:
    """`url` as a person or a log may see it: a user name and password, and the values of
    query keys that carry credentials (token, key, password …), replaced by ***. The source
    keeps the real URL: it is needed to fetch."""
    return redact_urls(url)


def redact_urls(text: str) -> str:
    """Every URL in `text` redacted as `redacted_url` does (for log lines and errors)."""
    if "://" not in text and "=" not in text:
        return text
    text = _CREDENTIALS.sub(rf"\1{HIDDEN}@", text)
    return _SECRET_PARAM.sub(rf"\1{HIDDEN}", text)
