"""Reading undeclared bytes (bot.ingest.charset) and telling mojibake (bot.text.mojibake),
on sentences written here in each language."""

from __future__ import annotations

import pytest

from bot.ingest.charset import detect, label, wide_unicode
from bot.text.mojibake import mojibake, reads_as_arabic

ARABIC = (
    "عاجل: الحكومة تقرر الانسحاب من المدينة بعد اشتباكات استمرت ثلاثة أيام، "
    "وقالت وزارة الصحة إن الانفجار أوقع عشرة جرحى نُقلوا إلى المستشفى الوطني."
)
WRITTEN = {
    "ar": ARABIC,
    "ar+en": "أعلنت شركة Apple عن هاتف iPhone جديد في مؤتمرها السنوي، وقالت إن سعره 999 دولاراً.",
    "ur": "حکومت نے معیشت کی مدد کے لیے نئے اقدامات کا اعلان کیا ہے جو اگلے مہینے سے نافذ ہوں گے۔",
    "fa": "وزارت بهداشت ایران اعلام کرد که شمار مبتلایان به آنفولانزا در هفته گذشته کاهش یافت.",
    "fr": "Élection présidentielle : le débat télévisé s’est tenu à Paris, déjà très suivi; "
    "l’économie a été élevée au rang de priorité, côté gouvernement.",
    "de": "Die Bundesregierung beschließt Maßnahmen für größere Städte; Müller äußert sich "
    "über die Straßenbahn in Köln und die Gebühren für Fußgängerzonen.",
    "es": "El Gobierno español anunció más ayudas; la economía crecerá según el Banco de "
    "España, y el año próximo habrá elecciones en Andalucía.",
    "pt": "O governo anunciou ações para a educação; não há previsão de greve, diz o "
    "ministério, e as eleições serão em outubro em São Paulo.",
    "is": "Ríkisstjórnin kynnti nýjar aðgerðir í húsnæðismálum í gær; þær taka gildi í "
    "næsta mánuði að sögn ráðherra.",
    "pl": "Rząd ogłosił nowe przepisy dotyczące ochrony środowiska; wejdą w życie w przyszłym "
    "miesiącu, poinformował minister.",
    "tr": "Hükümet yeni ekonomik önlemleri açıkladı; düzenleme gelecek ay yürürlüğe girecek, "
    "dedi bakan İstanbul'da.",
    "vi": "Chính phủ công bố các biện pháp kinh tế mới; quy định sẽ có hiệu lực vào tháng tới.",
    "ru": "Правительство объявило о новых мерах поддержки экономики; они вступят в силу в "
    "следующем месяце.",
    "el": "Η κυβέρνηση ανακοίνωσε νέα μέτρα για την οικονομία, που θα ισχύσουν από τον "
    "επόμενο μήνα.",
    "he": "הממשלה הודיעה על צעדים חדשים לתמיכה בכלכלה שייכנסו לתוקף בחודש הבא.",
    "zh": "政府宣布了新的经济支持措施，将于下个月生效，部长在新闻发布会上表示。",
    "ja": "政府は新たな経済対策を発表し、来月から施行すると大臣が記者会見で述べた。",
}


@pytest.mark.parametrize("language", sorted(WRITTEN))
def test_text_as_written_is_not_mojibake(language: str) -> None:
    assert mojibake(WRITTEN[language]) is None


@pytest.mark.parametrize(
    ("written", "encoded_as", "read_as", "reason"),
    [
        (ARABIC, "cp1256", "cp1252", "another script read as windows-1252"),
        (ARABIC, "cp1256", "latin-1", "another script read as windows-1252"),
        (ARABIC, "utf-8", "cp1252", "UTF-8 read as a Latin code page"),
        (WRITTEN["fr"], "utf-8", "cp1252", "UTF-8 read as a Latin code page"),
        (WRITTEN["ru"], "cp1251", "cp1252", "another script read as windows-1252"),
        (WRITTEN["el"], "cp1253", "latin-1", "another script read as windows-1252"),
        (ARABIC, "iso8859-6", "cp1256", "Arabic and Latin letters inside one word"),
        (WRITTEN["de"], "cp1252", "cp1256", "Arabic and Latin letters inside one word"),
        (WRITTEN["pl"], "cp1250", "cp1252", "Central European text read as windows-1252"),
    ],
)
def test_text_read_in_the_wrong_code_page_is_mojibake(
    written: str, encoded_as: str, read_as: str, reason: str
) -> None:
    garbled = written.encode(encoded_as).decode(read_as, errors="replace")
    found = mojibake(garbled)
    assert found is not None
    assert found.startswith(reason)
    assert "e.g. “" in found


def test_the_issues_example_is_mojibake_and_names_it() -> None:
    found = mojibake("ÚÇÌá: ÇáÍßæãÉ ÊÞÑÑ ÇáÇäÓÍÇÈ ãä ÇáãÏíäÉ")
    assert found == (
        "another script read as windows-1252 or Latin-1 (e.g. “ÚÇÌá”, “ÇáÍßæãÉ”, “ÊÞÑÑ”)"
    )


def test_text_mostly_undecodable_is_refused_but_a_few_bad_bytes_are_not() -> None:
    assert mojibake("\ufffd" * 40 + " abc") == "40 characters could not be decoded (U+FFFD)"
    assert mojibake("A fine day\ufffds " * 9) is None


def test_too_little_text_is_not_judged() -> None:
    assert mojibake("Ãé café") is None
    assert mojibake("") is None


def test_reads_as_arabic_tells_the_right_arabic_code_page() -> None:
    for codec in ("cp1256", "iso8859-6"):
        assert reads_as_arabic(ARABIC.encode(codec).decode(codec))
    assert not reads_as_arabic(ARABIC.encode("iso8859-6").decode("cp1256"))
    assert not reads_as_arabic(WRITTEN["de"].encode("cp1252").decode("cp1256"))
    assert not reads_as_arabic(WRITTEN["he"])


# --- detect ----------------------------------------------------------------------------------

DOCUMENT = "<rss><channel><title>{}</title></channel></rss>"


@pytest.mark.parametrize(
    ("language", "codec", "expected"),
    [
        ("ar", "cp1256", "windows-1256"),
        ("ar", "iso8859-6", "iso-8859-6"),
        ("pl", "cp1250", "windows-1250"),
        ("he", "cp1255", "windows-1255"),
        ("el", "cp1253", "windows-1253"),
        ("ja", "shift_jis", "cp932"),  # its superset
        ("ru", "cp1251", "windows-1251"),
        ("es", "latin-1", "windows-1252"),  # charset-normalizer alone says windows-1250: espańol
        ("fr", "cp1252", "windows-1252"),  # … and mac-latin2 here
        ("is", "latin-1", "windows-1252"),
        ("de", "cp1252", "windows-1252"),
        ("ar", "utf-16-le", "utf-16le"),
        ("ar", "utf-16-be", "utf-16be"),
        ("ar", "utf-32-le", "utf-32le"),
        ("ar", "utf-8", "utf-8"),
    ],
)
def test_detect_reads_undeclared_bytes(language: str, codec: str, expected: str) -> None:
    document = DOCUMENT.format(WRITTEN[language])
    found = detect(document.encode(codec))
    assert found is not None
    assert (found.text, found.encoding) == (document, expected)


def test_a_byte_order_mark_decides() -> None:
    found = detect("\ufeff".encode("utf-16-be") + "<p>نص</p>".encode("utf-16-be"))
    assert found is not None
    assert (found.text, found.encoding) == ("<p>نص</p>", "utf-16be")


def test_zero_bytes_tell_utf16_only_with_markup_enough() -> None:
    assert wide_unicode("<rss><title>".encode("utf-16-le")) == "utf-16-le"
    assert wide_unicode("<rss><title>".encode("utf-32-be")) == "utf-32-be"
    assert wide_unicode(b"<rss>abc") is None
    assert wide_unicode(b"\x00") is None
    assert wide_unicode("<rss>".encode("utf-16-le") + b"\x00") is None  # odd length


def test_labels_are_the_usual_names() -> None:
    assert [label(c) for c in ("cp1256", "iso8859_6", "UTF-16LE", "latin-1", "x-unknown")] == [
        "windows-1256",
        "iso-8859-6",
        "utf-16le",
        "iso-8859-1",
        "x-unknown",
    ]
