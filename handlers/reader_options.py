"""/settings (a keyboard of the chat's options: silent posts, link previews, photos, machine
translation, the bot's language) and /translate on|off.

In groups only the group's admins change them: a member's press is answered with an alert
and changes nothing. The chat acted on is always the one the keyboard's message is in.
"""

from __future__ import annotations

import re
from typing import Final

from babel import Locale
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update

from bot.i18n import SUPPORTED_LANGUAGES, Html, t, t_html
from bot.services import chats as chat_service
from bot.services import reader_options as service
from bot.services.chats import ChatSettings
from bot.services.reader_options import ChatOptions, translation_available
from handlers.common import Context, chat_ref, is_private, reply, turn
from handlers.groups import AdminCheckFailed, allowed_to_change, may_change_settings
from handlers.quiet import OFF_WORDS as QUIET_OFF_WORDS

# Callback data: versioned, naming only the option (or the language) pressed.
OPTIONS_PREFIX: Final = "opt:v1:"
OPTIONS_DATA: Final = re.compile(r"opt:v1:(silent|link_preview|photos|translate|lang:(ar|en))")
ON_WORDS: Final = frozenset({"on", "تشغيل", "تفعيل"})
OFF_WORDS: Final = QUIET_OFF_WORDS | {"تعطيل"}
LANGUAGE_NAMES: Final = {"ar": "العربية", "en": "English"}  # each in its own language


def settings_keyboard(
    options: ChatOptions, language: str, *, translation: bool
) -> InlineKeyboardMarkup:
    """A row per option showing its state (pressing switches it), then the languages."""
    names = ["silent", "link_preview", "photos", *(["translate"] if translation else [])]
    rows = [
        [
            InlineKeyboardButton(
                t(f"button.settings_{name}_{'on' if getattr(options, name) else 'off'}", language),
                callback_data=f"{OPTIONS_PREFIX}{name}",
            )
        ]
        for name in names
    ]
    rows.append(
        [
            InlineKeyboardButton(
                t(
                    "button.settings_language_chosen"
                    if code == language
                    else "button.settings_language",
                    language,
                    name=LANGUAGE_NAMES[code],
                ),
                callback_data=f"{OPTIONS_PREFIX}lang:{code}",
            )
            for code in SUPPORTED_LANGUAGES
        ]
    )
    return InlineKeyboardMarkup(rows)


def _settings_text(language: str, private: bool) -> Html:
    text = t_html("settings.text", language)
    return text if private else Html(f"{text}\n{t_html('settings.groups', language)}")


async def settings_command(update: Update, context: Context) -> None:
    """Show the chat's options as a keyboard."""
    now = await turn(update, context)
    chat = update.effective_chat
    assert chat is not None
    options = now.chat.options if now.chat is not None else ChatOptions()
    keyboard = settings_keyboard(
        options, now.language, translation=translation_available(now.ctx.settings)
    )
    await reply(update, _settings_text(now.language, is_private(chat)), keyboard)


async def settings_button(update: Update, context: Context) -> None:
    """A press on the settings keyboard: switch the option (admins only in groups), say so,
    redraw the keyboard in place (and its text, when the language changed)."""
    query = update.callback_query
    if query is None:
        return
    now = await turn(update, context)
    match = OPTIONS_DATA.fullmatch(query.data or "")
    message = query.message
    if match is None or not isinstance(message, Message):
        await query.answer(t("alert.invalid", now.language), show_alert=True)
        return
    available = translation_available(now.ctx.settings)
    if match[1] == "translate" and not available:
        await query.answer(t("alert.settings_translate_unavailable", now.language), show_alert=True)
        return
    try:
        allowed = await may_change_settings(update, context)
        refusal = "alert.settings_admins_only"
    except AdminCheckFailed:
        allowed, refusal = False, "alert.admin_check_failed"
    if not allowed:
        await query.answer(t(refusal, now.language), show_alert=True)
        return
    ref = chat_ref(message.chat)
    async with now.ctx.sessions.begin() as session:
        if match[2] is not None:
            await chat_service.set_language(session, ref, match[2])
            alert = "alert.settings_language"
        else:
            value = await service.toggle(session, ref, match[1], now.language)
            alert = f"alert.settings_{match[1]}_{'on' if value else 'off'}"
    async with now.ctx.sessions() as session:
        stored = await chat_service.chat_settings(session, ref.telegram_id)
    language = match[2] or now.language
    await query.answer(t(alert, language))
    keyboard = settings_keyboard(_options(stored), language, translation=available)
    if match[2] is not None and match[2] != now.language:
        await query.edit_message_text(
            _settings_text(language, is_private(message.chat)),
            parse_mode="HTML",
            reply_markup=keyboard,
        )
    else:
        await query.edit_message_reply_markup(keyboard)


async def translate_command(update: Update, context: Context) -> None:
    """Machine translation of posts in other languages: /translate on|off, or the state."""
    now = await turn(update, context)
    language = now.language
    name = _language_name(language)
    usage = t_html("translate.usage", language, name=name)
    args = [a.casefold() for a in context.args or []]
    if len(args) != 1 or args[0] not in ON_WORDS | OFF_WORDS:
        if args:
            await reply(update, usage)
            return
        on = now.chat is not None and now.chat.options.translate
        state = t_html("translate.state_on" if on else "translate.state_off", language)
        await reply(update, Html(f"{state}\n\n{usage}"))
        return
    on = args[0] in ON_WORDS
    if on and not translation_available(now.ctx.settings):
        await reply(update, t_html("translate.unavailable", language))
        return
    if not await allowed_to_change(update, context):
        return
    chat = update.effective_chat
    assert chat is not None
    async with now.ctx.sessions.begin() as session:
        await service.set_translation(session, chat_ref(chat), on, language)
    if on:
        await reply(update, t_html("translate.on", language, name=name))
    else:
        await reply(update, t_html("translate.off", language))


def _options(stored: ChatSettings | None) -> ChatOptions:
    return stored.options if stored is not None else ChatOptions()


def _language_name(language: str) -> str:
    """The language's name in itself, as Babel (CLDR) writes it ("العربية", "English")."""
    name: str | None = Locale.parse(language).languages.get(language)
    return name or LANGUAGE_NAMES.get(language, language)
