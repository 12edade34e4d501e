"""Words for the soak's generated news (self-written): each story is a random draw of them, so
two stories share almost no words and the story matcher never takes one for another, while
the outlets that tell the same story carry the same headline and lead."""

from __future__ import annotations

import random
from typing import Final


def _vocabulary(words: str) -> tuple[str, ...]:
    return tuple(dict.fromkeys(words.split()))


ARABIC: Final = _vocabulary(
    """
مجلس وزراء حكومة برلمان نواب قانون انتخابات موازنة ضرائب رواتب مدارس جامعات طلاب معلمين
مستشفى أطباء مرضى لقاح دواء صيدليات كهرباء مياه طاقة نفط غاز وقود محطة شبكة طرق جسور مطار
ميناء قطار حافلات سيارات مرور أسعار أسواق تجار مزارعين قمح زيتون حمضيات محاصيل أمطار ثلوج
عاصفة فيضان جفاف حرائق غابات زلزال بلدية محافظة قرية مدينة ريف ساحل جبال صحراء نهر بحيرة
سفينة صيادين سياحة فنادق آثار متحف مهرجان مسرح سينما كتاب معرض رواية شاعر موسيقى فرقة أغنية
منتخب مباراة دوري كأس لاعب مدرب ملعب بطولة هدف جمهور نادي سباق ميدالية أولمبياد شطرنج سباحة
مصرف عملة دولار ليرة ذهب تضخم قروض استثمار شركة مصنع عمال نقابة إضراب وظائف بطالة تصدير
استيراد جمارك حدود معبر لاجئين مخيم مساعدات إغاثة قافلة منظمة أمم سفير وزير رئيس وفد قمة
اتفاقية مفاوضات هدنة وساطة عقوبات تحقيق محكمة قاضي محامي سجن شرطة جمارك دفاع مدني إطفاء
إسعاف متطوعين جمعية خيرية تبرعات حملة توعية تلفزيون إذاعة صحيفة مراسل منصة إنترنت هواتف
اتصالات تطبيق برمجيات حاسوب روبوت ذكاء صناعي فضاء قمر صناعي تلسكوب مختبر باحثين دراسة
مؤتمر ندوة جائزة تكريم افتتاح تدشين توسعة ترميم صيانة إنشاء تمويل منحة قرض خطة برنامج مشروع
مبادرة تقرير إحصاء تعداد سكان أسر أطفال نساء شباب متقاعدين مسنين إعاقة رعاية حضانة تغذية
خبز طحين سكر أرز لحوم دواجن أسماك خضار فواكه حليب أجبان مطاعم مخابز أفران غلاء تخفيض دعم
قسائم بطاقات رواتب معاشات تأمين صندوق ودائع بورصة أسهم سندات عقارات إيجارات شقق أبنية سكن
بناء إسمنت حديد خشب زجاج نسيج ملابس أحذية حرفيين ورشة سوق بازار معارض تسوق عروض خصومات
شتاء صيف ربيع خريف حرارة برودة غبار رياح أمواج شاطئ منتزه حديقة أشجار زهور طيور حيوانات بيطري
"""
)

ENGLISH: Final = _vocabulary(
    """
council cabinet government parliament lawmakers budget taxes salaries schools universities
students teachers hospital doctors patients vaccine medicine pharmacies electricity water
energy oil gas fuel plant grid roads bridges airport port railway buses cars traffic prices
markets traders farmers wheat olives citrus harvest rain snow storm flood drought wildfire
forest earthquake municipality province village city countryside coast mountains desert river
lake ship fishermen tourism hotels ruins museum festival theatre cinema book exhibition novel
poet music band song squad match league cup player coach stadium championship goal fans club
race medal olympics chess swimming bank currency dollar gold inflation loans investment company
factory workers union strike jobs unemployment exports imports customs border crossing refugees
camp aid relief convoy agency ambassador minister president delegation summit agreement talks
truce mediation sanctions inquiry court judge lawyer prison police defence firefighters
ambulance volunteers charity donations campaign awareness television radio newspaper reporter
platform internet phones telecom app software computer robot intelligence space moon satellite
telescope laboratory researchers study conference seminar prize honour opening launch expansion
restoration maintenance construction funding grant loan plan programme project initiative census
population families children women youth pensioners elderly disability care nursery nutrition
bread flour sugar rice meat poultry fish vegetables fruit milk cheese restaurants bakeries ovens
subsidies vouchers cards pensions insurance fund deposits stocks bonds property rents flats
buildings housing cement steel timber glass textiles clothing shoes craftsmen workshop bazaar
fairs shopping discounts winter summer spring autumn heat cold dust wind waves beach park garden
trees flowers birds animals veterinary harbour tunnel pipeline reservoir dam canal orchard
"""
)

CONNECTORS: Final = {"ar": ("و", "في", "من", "على"), "en": ("and", "in", "of", "for")}


def _words(rng: random.Random, language: str, count: int) -> list[str]:
    vocabulary = ARABIC if language == "ar" else ENGLISH
    return rng.sample(vocabulary, count)


def _sentence(rng: random.Random, language: str) -> str:
    words = _words(rng, language, rng.randint(9, 15))
    for _ in range(2):
        words.insert(rng.randint(1, len(words) - 1), rng.choice(CONNECTORS[language]))
    text = " ".join(words)
    return (text[0].upper() + text[1:] if language == "en" else text) + "."


def headline(rng: random.Random, language: str) -> str:
    text = " ".join(_words(rng, language, rng.randint(7, 10)))
    return text[0].upper() + text[1:] if language == "en" else text


def paragraphs(rng: random.Random, language: str, count: int) -> list[str]:
    """`count` paragraphs of three to four sentences."""
    return [
        " ".join(_sentence(rng, language) for _ in range(rng.randint(3, 4))) for _ in range(count)
    ]
