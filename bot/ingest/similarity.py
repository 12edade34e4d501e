"""Same story, different outlet: token sets of headlines and leads, and how much two overlap.

The caller keeps `index_tokens` of each recent story in an inverted index, looks candidate
stories up by the new entry's index tokens, then compares full token sets with
`story_similarity` against `Settings.story_similarity`.

Pure and deterministic; Arabic and English get their own normalisation, stop words and a
light stemmer, and any other language gets casefolding and the shared treatment.

Calibrated on tests/fixtures/story_pairs.jsonl (real cross-outlet pairs from feed snapshots
and BBC corpora, plus self-written Arabic agency rewordings): at 0.65 no different-story
pair merges and half the same-story pairs do; at 0.5 five of 44 hard different-story pairs
would merge. See tests/test_similarity.py.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from typing import Final

from bot.text.fold import normalize_arabic
from bot.text.stems import stem_arabic, stem_english

LEAD_TOKENS: Final = 12
"""At most this many lead tokens join the title's (first ones, stop words already gone).

Titles carry the story; the lead's opening names who, where and how many, which another
outlet may have put in its title. Later lead words wander into background, which adds
chance overlap rather than evidence (calibration: 12 and 24 scored alike, 8 lower).
"""

LEAD_MARK: Final = "~"
"""Prefix of lead tokens in a token set; the tokenizer never yields it, so no clash."""

INDEX_TOKENS: Final = 8
MIN_SHARED: Final = 2
"""Fewer shared tokens than this is never the same story, whatever the ratio."""

_PROCLITICS: Final = "بلكف"

_POSSESSIVE: Final = re.compile(r"(?<=\w)['’‘]s\b")
_APOSTROPHES: Final = re.compile(r"(?<=\w)['’‘](?=\w)")
_WORD: Final = re.compile(r"[^\W_]+")
_ARABIC_WORD: Final = re.compile(r"^[\u0621-\u064a]+$")
# "TEHRAN, Aug. 11 (MNA) –", "دمشق، سوريا (CNN) --": the agency in brackets opening a lead.
_DATELINE_AGENCY: Final = re.compile(r"^([^()\n]{0,60}?)\s*\([^()\n]{1,24}\)\s*[-–—:]+\s*")


_ENGLISH_STOP: Final = """
a about above after again against ago ahead all almost also am amid among an and another any
are around as at be became because been before being below between both but by can could did
do does doing done down during each either else even ever every few for from further get gets
had has have having he her here hers herself him himself his how however i if in into is it
its itself just last least less like made make makes many may me might more most much must my
near new news next no nor not now of off on once one only or other our ours out over own per
said say saying says see seen she should since so some still such than that the their theirs
them then there these they this those though through thus to too toward towards under until
up upon us very via was we were what when where whether which while who whom whose why will
with within without would yet you your yours
breaking exclusive explainer latest live opinion photo photos update updates video videos
watch analysis report reports reported told tells according
monday tuesday wednesday thursday friday saturday sunday mon tue wed thu fri sat sun
january february march april june july august september october november december
jan feb mar apr jun jul aug sep sept oct nov dec
"""
_ARABIC_STOP: Final = """
في من على الى إلى عن مع ان أن إن او أو ثم قد لا لم لن ما ماذا هذا هذه ذلك تلك هو هي هم هما
نحن انا أنا انت أنت التي الذي الذين اللذين اللتين اللواتي كان كانت يكون تكون كانوا بعد قبل بين
حول خلال عند منذ حتى كل بعض غير اي أي له لها لهم به بها بهم فيه فيها فيهم منه منها منهم عليه
عليها عليهم اليه إليه اليها إليها ضد عبر نحو دون لدى وسط اثر إثر جراء بسبب وفق وفقا حيث كما
لكن بل اذا إذا لو ايضا أيضا اليوم امس أمس غدا الان الآن عام يوم قال قالت يقول تقول اعلن أعلن
اعلنت أعلنت اكد أكد اكدت أكدت افاد أفاد افادت أفادت ذكر ذكرت اضاف أضاف اضافت أضافت وفقا
عاجل فيديو بالفيديو صور بالصور شاهد تقرير مباشر تحديث
السبت الاحد الأحد الاثنين الإثنين الثلاثاء الاربعاء الأربعاء الخميس الجمعة
يناير فبراير مارس ابريل أبريل مايو يونيو يوليو اغسطس أغسطس سبتمبر اكتوبر أكتوبر نوفمبر ديسمبر
كانون شباط آذار نيسان أيار حزيران تموز آب أيلول تشرين
"""


def _normalize(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).casefold()
    return normalize_arabic(text)


def _words(text: str) -> list[str]:
    text = _APOSTROPHES.sub("", _POSSESSIVE.sub("", _normalize(text)))
    return _WORD.findall(text)


def _stem(word: str) -> str:
    if _ARABIC_WORD.match(word):
        return stem_arabic(word)
    if word.isascii():
        return stem_english(word)
    return word


def _stop_set(words: str) -> frozenset[str]:
    normalized = {_normalize(word) for word in words.split()}
    return frozenset(
        normalized | {stem_arabic(w) if _ARABIC_WORD.match(w) else w for w in normalized}
    )


_STOP_WORDS: Final = _stop_set(_ENGLISH_STOP) | _stop_set(_ARABIC_STOP)


def _content_tokens(text: str) -> Iterable[str]:
    for word in _words(text):
        if word in _STOP_WORDS:
            continue
        stem = _stem(word)
        if len(stem) < 2 or stem in _STOP_WORDS:
            continue
        yield stem


def story_tokens(title: str, lead: str, language: str | None) -> frozenset[str]:
    """The normalised content tokens of a story: the title's, then the lead's first few.

    Casefolded; Arabic normalised (`normalize_arabic`); punctuation (Arabic's too) and
    English/Arabic stop words dropped; lightly stemmed (`stem_arabic`, `stem_english`); an
    agency dateline such as "(MNA) –" opening the lead skipped. The lead contributes at
    most LEAD_TOKENS tokens not in the title, each prefixed with LEAD_MARK, because
    `story_similarity` asks how much of each *title* the other version tells. A story
    without a title takes its tokens from the lead. `language` is not needed: each word is
    treated by its script, which also copes with mixed-script headlines.
    """
    del language
    title_tokens = dict.fromkeys(_content_tokens(title))
    lead_tokens: dict[str, None] = {}
    for token in _content_tokens(_DATELINE_AGENCY.sub(r"\1 ", lead, count=1)):
        if len(lead_tokens) >= LEAD_TOKENS:
            break
        if token not in title_tokens:
            lead_tokens[token] = None
    if not title_tokens:
        return frozenset(lead_tokens)
    return frozenset(title_tokens) | frozenset(LEAD_MARK + token for token in lead_tokens)


def _parts(tokens: frozenset[str]) -> tuple[set[str], set[str]]:
    """(title tokens, all tokens) with the lead mark taken off."""
    title = {token for token in tokens if not token.startswith(LEAD_MARK)}
    everything = {token.removeprefix(LEAD_MARK) for token in tokens}
    return (title or everything), everything


def _found(token: str, other: set[str]) -> bool:
    """In `other` as it is, or with/without one Arabic proclitic (ب ل ك ف) in front."""
    if token in other:
        return True
    if len(token) >= 4 and token[0] in _PROCLITICS and token[1:] in other:
        return True
    return any(proclitic + token in other for proclitic in _PROCLITICS)


def _coverage(title: set[str], other: set[str]) -> float:
    return sum(_found(token, other) for token in title) / len(title)


def story_similarity(a: frozenset[str], b: frozenset[str]) -> float:
    """How much of each version's title the other version tells, averaged over both.

    For each side, the share of its title tokens found among the other side's title and
    lead tokens; 0 when the two share fewer than MIN_SHARED tokens in all. Two outlets
    retitling one story keep its names and its event word in both titles or leads;
    different stories about the same people or places differ in the title's event words.
    Symmetric, in [0, 1].
    """
    if not a or not b:
        return 0.0
    title_a, all_a = _parts(a)
    title_b, all_b = _parts(b)
    if sum(_found(token, all_b) for token in all_a) < MIN_SHARED:
        return 0.0
    return (_coverage(title_a, all_b) + _coverage(title_b, all_a)) / 2


def index_tokens(tokens: frozenset[str]) -> list[str]:
    """At most INDEX_TOKENS tokens to find candidate versions of this story by.

    Title tokens first, then the lead's; within each, words before numbers, longer before
    shorter (a stand-in for rarity), then alphabetical, so the choice is deterministic.
    Returned without the lead mark, ready for an inverted index.
    """
    title, everything = _parts(tokens)
    ranked = sorted(everything, key=lambda t: (t not in title, t.isdigit(), -len(t), t))
    return ranked[:INDEX_TOKENS]
