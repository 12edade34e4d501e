"""default categories with Arabic and English names and aliases

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29
"""

import re
import unicodedata
from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

_ARABIC_MARKS = re.compile("[\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed\u0640]")
_ALEF_FORMS = str.maketrans({"أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا", "ى": "ي", "ة": "ه"})


def alias_key(text: str) -> str:
    """The alias key as this revision stored it (a frozen copy of bot.text.fold.alias_key)."""
    text = unicodedata.normalize("NFKC", text).strip().lstrip("#").casefold()
    text = _ARABIC_MARKS.sub("", text).translate(_ALEF_FORMS)
    return " ".join(text.replace("_", " ").split())


revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# slug, Arabic name, English name, further aliases in both languages
DEFAULTS: tuple[tuple[str, str, str, tuple[str, ...]], ...] = (
    ("politics", "سياسة", "Politics", ("political", "سياسي", "سياسية", "السياسة")),
    (
        "economy",
        "اقتصاد",
        "Economy",
        (
            "business",
            "finance",
            "markets",
            "اقتصادي",
            "الاقتصاد",
            "أعمال",
            "مال وأعمال",
            "اقتصاد وأعمال",
        ),
    ),
    (
        "world",
        "دولي",
        "World",
        ("international", "دولية", "عالمي", "العالم", "عربي ودولي", "عربي و دولي"),
    ),
    ("local", "محلي", "Local", ("محليات", "محلية", "أخبار محلية")),
    ("sports", "رياضة", "Sports", ("sport", "رياضي", "الرياضة")),
    (
        "technology",
        "تكنولوجيا",
        "Technology",
        ("tech", "تقنية", "التكنولوجيا", "علوم وتكنولوجيا", "science and technology"),
    ),
    ("health", "صحة", "Health", ("صحي", "الصحة", "طب")),
    ("culture", "ثقافة", "Culture", ("arts", "الثقافة", "ثقافة وفن", "فن", "فنون")),
    ("general", "منوعات", "General", ("misc", "miscellaneous", "عام", "متفرقات")),
)


def upgrade() -> None:
    categories = sa.table(
        "categories",
        sa.column("id", sa.Integer),
        sa.column("slug", sa.String),
        sa.column("names", sa.JSON),
        sa.column("position", sa.Integer),
        sa.column("created_at", sa.DateTime(timezone=True)),
    )
    aliases = sa.table(
        "category_aliases",
        sa.column("category_id", sa.Integer),
        sa.column("alias", sa.String),
    )
    connection = op.get_bind()
    now = datetime.now(UTC)
    if connection.dialect.name == "sqlite":
        now = now.replace(tzinfo=None)
    for position, (slug, name_ar, name_en, extra) in enumerate(DEFAULTS):
        category_id = connection.execute(
            sa.insert(categories)
            .values(
                slug=slug,
                names={"ar": name_ar, "en": name_en},
                position=position,
                created_at=now,
            )
            .returning(categories.c.id)
        ).scalar_one()
        keys = dict.fromkeys(alias_key(a) for a in (name_ar, name_en, *extra))
        keys.pop(slug, None)
        op.bulk_insert(aliases, [{"category_id": category_id, "alias": k} for k in keys])


def downgrade() -> None:
    slugs = [slug for slug, *_ in DEFAULTS]
    op.execute(
        sa.text("DELETE FROM categories WHERE slug IN :slugs").bindparams(
            sa.bindparam("slugs", slugs, expanding=True)
        )
    )
