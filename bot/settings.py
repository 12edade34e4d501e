"""One typed Settings object, read from the environment and `.env`, built once and passed in."""

from __future__ import annotations

import re
from collections.abc import Iterable
from ipaddress import IPv4Network, IPv6Network, ip_network
from pathlib import Path
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from bot import __version__

MAX_TEMPLATE_CHARS = 1000
TOKEN_PATTERN = re.compile(r"^\d{3,}:[A-Za-z0-9_-]{30,}$")
# /whoami writes ids in the chat's digits; an Arabic-Indic id pasted into ADMIN_IDS is read too.
_ASCII_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹", "0123456789" * 2)
WEBHOOK_SECRET_PATTERN = re.compile(r"[A-Za-z0-9_-]{1,256}")

PositiveFloat = Annotated[float, Field(gt=0)]
PositiveInt = Annotated[int, Field(gt=0)]
NonNegativeInt = Annotated[int, Field(ge=0)]
IPNetwork = IPv4Network | IPv6Network


class Settings(BaseSettings):
    """Every setting of a deployment; `.env.example` documents each one."""

    model_config = SettingsConfigDict(
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        case_sensitive=False,
        hide_input_in_errors=True,
    )

    # Telegram
    telegram_bot_token: SecretStr | None = None
    telegram_api_base_url: str = "https://api.telegram.org/bot"

    # Admins: these Telegram user ids, and those an admin adds
    admin_ids: Annotated[tuple[int, ...], NoDecode] = ()

    # Webhook (unset WEBHOOK_URL: long polling)
    webhook_url: str | None = None
    webhook_path: str = "/telegram/webhook"
    webhook_secret: SecretStr | None = None
    webhook_listen: str = "127.0.0.1"
    webhook_port: Annotated[int, Field(ge=0, le=65535)] = 8080

    # Delivery: Telegram's limits, planned around (paid broadcast lifts the overall one)
    send_per_second: PositiveFloat = 30.0
    send_private_per_second: PositiveFloat = 1.0
    send_group_per_minute: PositiveFloat = 20.0
    paid_broadcast: bool = False
    paid_broadcast_per_second: Annotated[float, Field(gt=0, le=1000)] = 1000.0
    send_max_in_flight: Annotated[int, Field(ge=1, le=10_000)] = 100
    send_lease_seconds: Annotated[float, Field(ge=5)] = 60.0
    send_max_attempts: PositiveInt = 8
    send_retry_base_seconds: PositiveFloat = 5.0
    send_retry_max_seconds: PositiveFloat = 900.0
    digest_threshold: NonNegativeInt = 5
    digest_max_items: Annotated[int, Field(ge=2, le=50)] = 20

    # Storage
    database_url: str = "sqlite+aiosqlite:///data/nashra.db"
    database_echo: bool = False

    # Logging
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    log_format: Literal["text", "json"] = "text"

    # Health and metrics (/healthz, /metrics; 0: only with a webhook, on its server)
    health_listen: str = "127.0.0.1"
    health_port: Annotated[int, Field(ge=0, le=65535)] = 0

    # Polling schedule
    poll_tick_seconds: PositiveFloat = 30.0
    poll_interval_seconds: Annotated[int, Field(ge=60)] = 900
    poll_batch_size: PositiveInt = 200
    backoff_max_seconds: PositiveInt = 86_400
    backfill_count: NonNegativeInt = 0

    # Fetching
    fetch_concurrency: PositiveInt = 32
    fetch_per_host: PositiveInt = 2
    fetch_per_address: PositiveInt = 4
    fetch_connect_timeout: PositiveFloat = 10.0
    fetch_read_timeout: PositiveFloat = 20.0
    fetch_total_timeout: PositiveFloat = 60.0
    fetch_max_bytes: PositiveInt = 10 * 1024 * 1024
    fetch_max_redirects: Annotated[int, Field(ge=0, le=5)] = 5
    fetch_allow_networks: Annotated[tuple[IPNetwork, ...], NoDecode] = ()
    user_agent: str = (
        f"Nashra/{__version__} (Telegram news bot; +https://github.com/nashra-bot/nashra)"
    )

    # Public Telegram channels as sources: where their web preview pages (BASE/s/NAME) are
    # read. A mirror, or a local server in tests; sources keep their https://t.me/NAME links.
    telegram_web_base_url: str = "https://t.me"

    # Entries
    max_entries_per_poll: PositiveInt = 200
    max_article_chars: PositiveInt = 100_000
    fulltext_min_chars: NonNegativeInt = 400
    fulltext_concurrency: PositiveInt = 16
    fulltext_per_poll: PositiveInt = 4
    fulltext_max_pages: PositiveInt = 40
    # A poll holds its source's lease (at least 600 s) while it fetches pages.
    fulltext_deadline_seconds: Annotated[float, Field(gt=0, le=300)] = 90.0
    story_window_hours: PositiveInt = 48
    story_similarity: Annotated[float, Field(gt=0, le=1)] = 0.65
    default_language: Literal["ar", "en"] = "ar"

    # Posts
    summarizer: Literal["extractive", "llm"] = "extractive"
    summary_sentences: PositiveInt = 3
    summary_max_chars: Annotated[int, Field(ge=100, le=3000)] = 600
    llm_base_url: str | None = None
    llm_model: str | None = None
    llm_api_key: SecretStr | None = None
    llm_timeout_seconds: PositiveFloat = 30.0
    llm_concurrency: PositiveInt = 2
    post_photos: bool = True
    timezone: str = "Asia/Damascus"
    attribution_ar: str = (
        'هذا الخبر بعنوان "{title}" نشر أولاً على موقع {site} '
        "وتم جلبه من مصدره الأصلي بتاريخ {date}."
    )
    disclaimer_ar: str = (
        "لا يتحمل موقعنا مضمونه بأي شكل من الأشكال. "
        "بإمكانكم الإطلاع على تفاصيل هذا الخبر من خلال مصدره الأصلي."
    )
    attribution_en: str = (
        'This story, titled "{title}", was first published on {site} '
        "and was fetched from its original source on {date}."
    )
    # For a story without a title: the same sentences with no {title} in them.
    attribution_untitled_ar: str = (
        "هذا الخبر نشر أولاً على موقع {site} وتم جلبه من مصدره الأصلي بتاريخ {date}."
    )
    attribution_untitled_en: str = (
        "This story was first published on {site} "
        "and was fetched from its original source on {date}."
    )
    disclaimer_en: str = (
        "We take no responsibility for its content in any way. "
        "You can read the details of this story at its original source."
    )

    @field_validator(
        "telegram_bot_token",
        "llm_base_url",
        "llm_model",
        "llm_api_key",
        "webhook_url",
        "webhook_secret",
        mode="before",
    )
    @classmethod
    def _blank_is_unset(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("telegram_bot_token")
    @classmethod
    def _token_shape(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None:
            return None
        if not TOKEN_PATTERN.match(value.get_secret_value()):
            raise ValueError(
                "the token @BotFather gave you: digits, a colon, then 30 or more letters, digits,"
                " - or _, like 110201543:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"
            )
        return value

    @field_validator("webhook_url")
    @classmethod
    def _webhook_url_shape(cls, value: str | None) -> str | None:
        if value is None:
            return None
        if not value.startswith("https://") or len(value) <= len("https://"):
            raise ValueError("the public HTTPS base URL, like https://bot.example.com")
        return value.rstrip("/")

    @field_validator("telegram_web_base_url")
    @classmethod
    def _telegram_web_base_url_shape(cls, value: str) -> str:
        if not value.startswith(("https://", "http://")) or not value.split("://", 1)[1].strip("/"):
            raise ValueError("an http(s) base URL such as https://t.me")
        return value.rstrip("/")

    @field_validator("webhook_path")
    @classmethod
    def _webhook_path_shape(cls, value: str) -> str:
        if not value.startswith("/") or any(c.isspace() or c in "?#" for c in value):
            raise ValueError("a URL path starting with /, like /telegram/webhook")
        return value

    @field_validator("webhook_secret")
    @classmethod
    def _webhook_secret_shape(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not WEBHOOK_SECRET_PATTERN.fullmatch(value.get_secret_value()):
            raise ValueError("1 to 256 characters, each one of A-Z a-z 0-9 _ -")
        return value

    @model_validator(mode="after")
    def _webhook_complete(self) -> Settings:
        if self.webhook_url is not None and self.webhook_secret is None:
            raise ValueError("WEBHOOK_URL needs WEBHOOK_SECRET")
        return self

    @field_validator(
        "attribution_ar",
        "attribution_en",
        "attribution_untitled_ar",
        "attribution_untitled_en",
        "disclaimer_ar",
        "disclaimer_en",
    )
    @classmethod
    def _template_length(cls, value: str) -> str:
        if len(value) > MAX_TEMPLATE_CHARS:
            raise ValueError(f"at most {MAX_TEMPLATE_CHARS} characters")
        return value

    @field_validator("attribution_ar", "attribution_en")
    @classmethod
    def _attribution_fields(cls, value: str) -> str:
        try:
            value.format(title="", site="", date="")
        except (KeyError, IndexError, ValueError):
            raise ValueError("a template using only {title}, {site} and {date}") from None
        return value

    @field_validator("attribution_untitled_ar", "attribution_untitled_en")
    @classmethod
    def _untitled_attribution_fields(cls, value: str) -> str:
        try:
            value.format(site="", date="")
        except (KeyError, IndexError, ValueError):
            raise ValueError(
                "a template using only {site} and {date}: the story has no title"
            ) from None
        return value

    @model_validator(mode="after")
    def _llm_complete(self) -> Settings:
        if self.summarizer == "llm" and not (self.llm_base_url and self.llm_model):
            raise ValueError("SUMMARIZER=llm needs LLM_BASE_URL and LLM_MODEL")
        return self

    @field_validator("admin_ids", mode="before")
    @classmethod
    def _user_ids(cls, value: object) -> object:
        if isinstance(value, str):
            value = value.replace(",", " ").split()
        if not isinstance(value, Iterable):
            return value
        ids: list[int] = []
        for item in value:
            text = str(item).strip().translate(_ASCII_DIGITS)
            if not text.isdecimal() or int(text) <= 0:
                raise ValueError("comma-separated Telegram user ids like 123456789,987654321")
            ids.append(int(text))
        return tuple(ids)

    @field_validator("fetch_allow_networks", mode="before")
    @classmethod
    def _networks(cls, value: object) -> object:
        if isinstance(value, str):
            value = value.replace(",", " ").split()
        if not isinstance(value, Iterable):
            return value
        networks: list[IPNetwork] = []
        for item in value:
            if isinstance(item, IPv4Network | IPv6Network):
                networks.append(item)
                continue
            try:
                networks.append(ip_network(str(item).strip()))
            except ValueError as exc:
                raise ValueError(
                    f"comma-separated IP addresses or networks like 127.0.0.1,10.0.0.0/8 ({exc})"
                ) from None
        return tuple(networks)

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError("an IANA time zone such as Asia/Damascus or UTC") from None
        return value

    @field_validator("database_url")
    @classmethod
    def _database_url_driver(cls, value: str) -> str:
        if not value.startswith(("sqlite+aiosqlite://", "postgresql+asyncpg://")):
            raise ValueError("sqlite+aiosqlite:///path.db or postgresql+asyncpg://user@host/db")
        return value

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    def sqlite_path(self) -> Path | None:
        """The database file for a SQLite URL (None for memory or other databases)."""
        if not self.is_sqlite:
            return None
        path = self.database_url.split("///", 1)[1] if "///" in self.database_url else ""
        return Path(path) if path and path != ":memory:" else None


class SettingsError(Exception):
    """A setting is missing or malformed; the message is one line naming the variable."""


def load_settings(**overrides: object) -> Settings:
    """Build Settings, turning a validation error into one line per bad variable."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        lines = []
        for error in exc.errors():
            name = "_".join(str(part) for part in error["loc"]).upper()
            lines.append(f"setting {name}: {error['msg']}" if name else f"settings: {error['msg']}")
        raise SettingsError("; ".join(lines)) from None
