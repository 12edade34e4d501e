"""Settings: typed, validated in one line per variable, and the token kept secret."""

from __future__ import annotations

import logging
import re
from pathlib import Path

import pytest
from pydantic import ValidationError

from bot.logs import REDACTED, SecretFilter
from bot.settings import Settings, SettingsError, load_settings

TOKEN = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"


def test_the_token_is_hidden_in_repr_and_str() -> None:
    settings = Settings(telegram_bot_token=TOKEN)
    assert TOKEN not in repr(settings)
    assert TOKEN not in str(settings)
    assert settings.telegram_bot_token is not None
    assert settings.telegram_bot_token.get_secret_value() == TOKEN


def test_an_empty_token_means_no_bot() -> None:
    assert Settings(telegram_bot_token="").telegram_bot_token is None


def test_each_bad_variable_is_named_on_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("POLL_INTERVAL_SECONDS", "10")
    monkeypatch.setenv("DATABASE_URL", "mysql://x")
    with pytest.raises(SettingsError) as caught:
        load_settings()
    message = str(caught.value)
    assert "\n" not in message
    assert "setting POLL_INTERVAL_SECONDS: Input should be greater than or equal to 60" in message
    assert "setting DATABASE_URL" in message


def test_a_malformed_token_is_refused_without_showing_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "not-a-token-secret-value")
    with pytest.raises(SettingsError) as caught:
        load_settings()
    assert "TELEGRAM_BOT_TOKEN" in str(caught.value)
    assert "not-a-token-secret-value" not in str(caught.value)


def test_the_log_filter_blots_out_the_token_in_messages_and_tracebacks() -> None:
    records: list[str] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(self.format(record))

    handler = Keep()
    handler.addFilter(SecretFilter([TOKEN]))
    logger = logging.getLogger("tests.secret")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        logger.warning("calling https://api.telegram.org/bot%s/getMe", TOKEN)
        try:
            raise RuntimeError(f"failed at /bot{TOKEN}/sendMessage")
        except RuntimeError:
            logger.exception("send failed")
    finally:
        logger.removeHandler(handler)
    assert records
    assert all(TOKEN not in line for line in records)
    assert REDACTED in records[0]
    assert REDACTED in records[1]


def test_env_example_documents_every_setting_with_a_comment() -> None:
    from pathlib import Path

    lines = (Path(__file__).resolve().parents[1] / ".env.example").read_text().splitlines()
    documented = {}
    for number, line in enumerate(lines):
        if line and not line.startswith("#") and "=" in line:
            documented[line.split("=", 1)[0].lower()] = number
    assert set(documented) == set(Settings.model_fields)
    for name, number in documented.items():
        above = number - 1
        while above >= 0 and lines[above].split("=", 1)[0].lower() in documented:
            above -= 1  # settings of one group share the comment above them
        assert lines[above].startswith("#"), f"{name.upper()} has no comment above it"


def test_env_example_values_are_the_defaults() -> None:
    from pathlib import Path

    example = Settings(_env_file=Path(__file__).resolve().parents[1] / ".env.example")
    assert example == Settings()


def test_templates_are_capped_so_every_post_fits_a_message() -> None:
    with pytest.raises(SettingsError, match="setting DISCLAIMER_EN: Value error, at most 1000"):
        load_settings(disclaimer_en="x " * 600)
    with pytest.raises(SettingsError, match="ATTRIBUTION_AR"):
        load_settings(attribution_ar="{title} {unknown}")


def test_the_time_zone_must_exist() -> None:
    with pytest.raises(SettingsError, match="TIMEZONE"):
        load_settings(timezone="Mars/Olympus")


def test_the_token_examples_given_to_people_pass_the_token_check() -> None:
    """The refusal's own example, and .env.example's, are tokens the check accepts."""
    try:
        Settings(telegram_bot_token="123456:ABC-DEF")
    except ValidationError as exc:
        message = str(exc)
    else:
        raise AssertionError("a malformed token was accepted")
    env_example = (Path(__file__).resolve().parents[1] / ".env.example").read_text("utf-8")
    examples = re.findall(r"\b\d{3,}:[A-Za-z0-9_-]+", message) + re.findall(
        r"#.*?\b(\d{3,}:[A-Za-z0-9_-]{10,})", env_example
    )
    assert len(examples) >= 2
    for example in examples:
        assert Settings(telegram_bot_token=example).telegram_bot_token is not None


def test_admin_ids_written_in_arabic_indic_digits_are_read() -> None:
    assert Settings(admin_ids="١٢٣٤٥, 678").admin_ids == (12345, 678)
