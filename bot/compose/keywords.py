"""Keywords per default category, in Arabic and English, for `bot.compose.categorize`.

Each list is one string of terms separated by commas (Arabic "،" or Latin ","); a term may
be a phrase ("كرة القدم", "central bank"). Terms are written as they read: the categorizer
normalizes them like `alias_key` and stems them lightly, so "انتخابات" also finds
"الانتخابية" and "للانتخابات", and "market" finds "markets".

A term that begins with SURFACE_MARK matches only that written form (also after one
proclitic: و ف ب ل ك), for words whose stem is shared with a common word: "الرياضة" stems
like "الرياض", "بلدية" like "بلد" (country), "عملة" (currency) like "عمل" (work),
"بيانات" (data) like "بيان" (statement), "boxing" like "box".

Terms are the vocabulary of a beat: its institutions, roles, events and fixtures (leagues,
clubs, companies, bodies), not the names of people in the news. Words shared by several
beats are left out ("جائزة", "award", "win", "show", "إنتاج", "دولار").

PLACES are not a category's keywords: they tell that a story is set abroad, which makes
politics and local news world news (see `bot.compose.categorize`). They name the world's
countries, their people, capitals and regions, and the foreign seats of power ("البيت
الأبيض"); Syria is left out, as it is home to the deployments Nashra is written for.

A category that a deployment deleted loses its keywords; one an admin added is found by
its names and aliases alone.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Final

SURFACE_MARK: Final = "="


def _terms(*groups: str) -> tuple[str, ...]:
    return tuple(
        term.strip() for group in groups for term in re.split(r"[,،\n]", group) if term.strip()
    )


POLITICS: Final = _terms(
    # government and its offices
    """
    سياسة، سياسي، ساسة، حكومة، حكومي، رئيس الوزراء، رئيسة الوزراء، رئيس الحكومة، مجلس الوزراء،
    وزير، وزيرة، وزراء، رئاسة، رئاسي، الرئيس الأمريكي، البيت الأبيض، الكرملين، زعيم، زعماء،
    مرسوم، استقالة، ولاية ثانية، حاكم ولاية، المحكمة العليا، عفو، السلطة التنفيذية،
    politics, political, politician, politicians, government, minister, ministers,
    prime minister, cabinet, president, presidential, white house, kremlin, downing street,
    whitehall, home office, home secretary, chancellor, governor, supreme court, policy,
    spokesman, spokeswoman
    """,
    # legislatures, parties, elections
    """
    برلمان، مجلس النواب، مجلس الشعب، مجلس الشيوخ، مجلس العموم، الكونغرس، نائب، نواب، تشريع،
    انتخابات، ناخب، ناخبين، اقتراع، صناديق الاقتراع، استفتاء، مرشح، مرشحة، حزب، أحزاب، معارضة،
    معارض، ائتلاف، دستور، الديمقراطية، حملة انتخابية، اليمين المتطرف، اليسار، الجمهوريين،
    الديمقراطيين، المحافظين، حزب العمال، حزب المحافظين، ولاية رئاسية،
    parliament, parliamentary, mp, mps, lawmaker, lawmakers, legislation, bill, senate,
    senator, congress, congressional, house of commons, commons, house of lords, lords, peers,
    election, general election, electoral, vote, voters, voting, ballot, polls, referendum,
    campaign, candidate, party, opposition, coalition, labour, tory, tories, conservatives,
    liberal democrats, lib dems, lib dem, democrats, republicans, manifesto, constitution,
    impeachment, shadow, backbench, backbenchers
    """,
)

ECONOMY: Final = _terms(
    # markets, money and banks
    """
    اقتصاد، بورصة، أسهم، أسواق المال، سوق الأسهم، مستثمرين، مستثمر، استثمار، بنك، بنوك، مصرف،
    مصارف، البنك المركزي، المصرف المركزي، أسعار الفائدة، =عملة، =العملة، =عملات، =العملات،
    الليرة، =الدولار، اليورو، الجنيه الإسترليني، الريال، الدينار، سعر الصرف، تضخم، أسعار،
    ديون، قرض، قروض، صندوق النقد الدولي، البنك الدولي، إفلاس، رجال الأعمال، رجل أعمال،
    economy, economic, economist, market, stock, stock market, share price, shareholders,
    investor, investment, bank, banking, central bank, interest rate, interest rates,
    inflation, currency, dollar, euro, sterling, yen, exchange rate, prices, debt, loan, loans,
    imf, world bank, bankruptcy, ftse, dow jones, nasdaq, wall street, finance, financial
    """,
    # trade, energy, state finances
    """
    النفط، نفطي، برميل، خام برنت، أوبك، الغاز الطبيعي، الغاز المسال، تجارة، تجاري، الحرب التجارية،
    =صادرات، =الصادرات، =واردات، =الواردات، رسوم جمركية، جمارك، ضرائب، ضريبة، ميزانية، موازنة،
    عجز، الناتج المحلي، نمو اقتصادي، ركود، بطالة، وظائف، رواتب، أجور، إضراب،
    oil, oil price, oil prices, crude, barrel, opec, gas prices, trade, tariff, tariffs,
    exports, imports, tax, taxes, budget, deficit, gdp, growth, recession, unemployment,
    jobs, wages, pay rise, pension, pensions, strike, union, unions
    """,
    # companies and industries
    """
    شركة، شركات، أرباح، خسائر، إيرادات، مبيعات، استحواذ، صفقة، اندماج، الرئيس التنفيذي، صناعة،
    مصنع، مصانع، تصدير، استيراد، عقارات، سياحة، الخطوط الجوية، مستهلكين، قطاع، المستهلك،
    ملياردير، أثرياء، ثروة، علامة تجارية، الطاقة المتجددة،
    company, companies, firm, firms, profit, profits, revenue, revenues, sales, earnings,
    takeover, merger, acquisition, deal, chief executive, ceo, retail, retailer, consumer,
    consumers, industry, manufacturing, factory, output, airline, airlines, =housing,
    mortgage, mortgages, insurance, insurer, brand, customers, billionaire, wealth, fortune,
    trademark, renewable energy
    """,
)

WORLD: Final = _terms(
    # international bodies and diplomacy
    """
    دولي، =دولية، =الدولية، الأمم المتحدة، مجلس الأمن، الأمين العام، حلف الناتو، الناتو، الاتحاد
    الأوروبي، جامعة الدول العربية، الجامعة العربية، سفير، سفراء، سفارة، قنصلية، دبلوماسي،
    دبلوماسية، وزير الخارجية، وزارة الخارجية، قمة، مفاوضات، عقوبات، الحدود، أجنبي، مبعوث،
    international, united nations, un, security council, nato, european union, eu, foreign,
    foreign minister, foreign secretary, foreign ministry, ambassador, embassy, diplomat,
    diplomatic, summit, peace talks, sanctions, overseas, envoy
    """,
    # conflict, displacement, disasters
    """
    لاجئ، لاجئين، نازحين، مهاجرين، هجرة، حرب، غارة، غارات، قصف، هدنة، وقف إطلاق النار، صاروخ،
    صواريخ، جيش، عسكري، قوات، مسلح، مسلحين، تنظيم الدولة، داعش، متشددين، هجوم، تفجير، انفجار،
    مقتل، قتلى، زلزال، فيضانات، إعصار، كارثة، احتجاجات، متظاهرين، انقلاب، طائرة مسيرة، مسيرات،
    طائرات بدون طيار، إرهاب، إرهابي،
    refugees, migrants, asylum, war, airstrike, airstrikes, ceasefire, missile, missiles,
    troops, military, army, militants, rebels, islamic state, bombing, explosion, killed,
    earthquake, floods, hurricane, disaster, protesters, coup, hostage, drone, drones,
    terror, terrorism, terrorist
    """,
)

LOCAL: Final = _terms(
    # municipal services
    """
    =بلدية، =البلدية، =بلديات، =البلديات، مجلس محلي، المجلس المحلي، مجلس المدينة، أهالي،
    سكان الحي، ريف، قرية، قرى، مياه الشرب، انقطاع الكهرباء، الصرف الصحي، الدفاع المدني،
    city council, county council, local council, mayor, municipality, residents, neighbourhood,
    neighborhood, village, villagers, fire brigade, road closure, bin collection
    """,
    # crime, courts, accidents
    """
    الشرطة، جريمة، جرائم، اعتقال، القبض على، سجن، السجن، محكمة، محاكمة، قاض، تهمة، متهم، اغتصاب،
    سرقة، لص، حادث، حادث سير، حريق، غرق، انتحار، جثة، مخدرات، عصابة، تحرش،
    police, crime, murder, arrested, arrest, court, trial, judge, jury, jail, prison,
    sentenced, charged, rape, theft, robbery, crash, blaze, drowned, suicide, gang
    """,
)

SPORTS: Final = _terms(
    # games and competitions
    """
    =رياضة، =الرياضة، =رياضية، =الرياضية، =رياضي، =الرياضي، =رياضيين، =الرياضيين، كرة القدم،
    كرة السلة، كرة اليد، الكرة الطائرة، تنس، سباق، ماراثون، فورمولا، ملاكمة، ألعاب القوى، مباراة،
    مباريات، دوري، كأس، بطولة، بطولات، منتخب، الفيفا، الاتحاد الدولي لكرة القدم، الأولمبية،
    أولمبياد، كأس العالم، مونديال، دوري أبطال أوروبا، الدوري الإنجليزي، الدوري الإسباني، الدوري
    الممتاز، ميدالية، تعادل، انتقالات، ركلة جزاء، ضربة جزاء، الشوط الأول، الشوط الثاني، التأهل،
    نصف النهائي، ربع النهائي، =هدفا، =هدفين، =بهدفين، لقب الدوري، الموسم،
    sport, sports, football, footballer, soccer, basketball, tennis, cricket, rugby, golf,
    athletics, =boxing, formula one, grand prix, marathon, match, league, cup, championship,
    championships, tournament, fifa, uefa, premier league, premiership, champions league,
    world cup, fa cup, olympic, olympics, medal, penalty, transfer, grand slam, wimbledon,
    australian open, six nations, test match, semi final, quarter final, final whistle, season,
    world record, indoor, sprint, sprinter, hurdles, relay, doping, scored, wicket, innings
    """,
    # people and places of the game
    """
    لاعب، لاعبين، لاعبة، مدرب، هداف، حارس مرمى، مهاجم، ملعب، نادي، =أندية، =الأندية، جماهير،
    player, players, coach, striker, midfielder, defender, goalkeeper, goal, goals, stadium,
    squad, injury, fans, captain, referee, athlete, athletes, champion, batsman, bowler
    """,
    # clubs
    """
    ريال مدريد، برشلونة، ليفربول، مانشستر يونايتد، مانشستر سيتي، تشيلسي، أرسنال، توتنهام،
    يوفنتوس، بايرن ميونيخ، باريس سان جيرمان، الأهلي، الزمالك، الهلال، النصر،
    real madrid, barcelona, liverpool, manchester united, man utd, manchester city, chelsea,
    arsenal, tottenham, juventus, bayern munich, celtic, rangers
    """,
)

TECHNOLOGY: Final = _terms(
    # computing and the internet
    """
    تكنولوجيا، تقنية، تقني، تقنيات، الإنترنت، إنترنت، هاتف ذكي، الهواتف الذكية، هواتف، تطبيق،
    تطبيقات، برمجيات، حاسوب، كمبيوتر، الذكاء الاصطناعي، روبوت، روبوتات، رقمي، =بيانات،
    =البيانات، خوارزمية، شبكات التواصل الاجتماعي، مواقع التواصل الاجتماعي، وسائل التواصل
    الاجتماعي، منصة، إلكتروني، اختراق، قراصنة، قرصنة، سيبراني، مستخدمين، ألعاب الفيديو،
    technology, tech, internet, online, web, website, software, app, apps, smartphone,
    smartphones, mobile phone, mobile phones, iphone, android, computer, computers, computing,
    artificial intelligence, ai, robot, robots, chip, chips, processor, digital, data, network,
    broadband, cyber, hacker, hackers, hacking, gadget, device, devices, users, download,
    downloads, search engine, video game, video games, gaming, console, consoles, virus,
    spam, e mail, email, blog, blogs, file sharing, wi fi, high definition
    """,
    # companies and platforms
    """
    أبل، آبل، غوغل، جوجل، فيسبوك، مايكروسوفت، أمازون، تويتر، إنستغرام، يوتيوب، واتساب، سامسونغ،
    تليغرام، أوبر، نتفليكس،
    google, apple, microsoft, amazon, facebook, twitter, youtube, instagram, samsung, sony,
    nintendo, xbox, playstation, ibm, intel, yahoo, netflix
    """,
    # science and the environment
    """
    علماء، باحثين، باحثون، =دراسة، دراسة علمية، علمي، علوم، الفضاء، ناسا، كوكب، مجرة، فلكي،
    المناخ، تغير المناخ، الاحتباس الحراري، البيئة، الحياة البرية، انقراض، حفريات، ديناصور،
    science, scientist, scientists, researchers, research, study, space, nasa, planet,
    satellite, astronomers, climate, climate change, global warming, environment, wildlife,
    species, fossil, dinosaur, electric car
    """,
)

HEALTH: Final = _terms(
    """
    صحة، صحي، وزارة الصحة، منظمة الصحة العالمية، مستشفى، مستشفيات، طبيب، أطباء، طبي، مرض، أمراض،
    مريض، مرضى، علاج، دواء، =أدوية، =الأدوية، لقاح، لقاحات، فيروس، وباء، جائحة، عدوى، سرطان،
    السكري، أمراض القلب، جراحة، عملية جراحية، كوليرا، الإيدز، كورونا، كوفيد، تمريض، ممرضة،
    ممرضات، تغذية، سمنة، الصحة النفسية، أعراض، الرعاية الصحية، حوامل، الإجهاض، التدخين،
    health, healthcare, hospital, hospitals, doctor, doctors, gp, nurse, nurses, nhs, patient,
    patients, disease, diseases, illness, vaccine, vaccines, vaccination, pandemic, epidemic,
    outbreak, infection, cancer, diabetes, heart disease, surgery, medicine, medical,
    mental health, obesity, world health organization, drug, drugs, treatment, symptoms,
    clinic, pregnancy, pregnant, abortion, smoking
    """
)

CULTURE: Final = _terms(
    # arts, books, heritage
    """
    ثقافة، ثقافي، فن، فنان، فنانة، فنانين، فني، فنون، مسرح، مسرحية، موسيقى، موسيقي، أغنية،
    أغاني، غنائي، مغني، مغنية، مطرب، مطربة، ألبوم، حفل موسيقي، مهرجان، معرض، =رواية، =الرواية،
    =روايات، روائي، كاتب، كاتبة، شاعر، شاعرة، قصيدة، أدب، أدبي، متحف، أثري، أثرية، علماء الآثار،
    وزارة الآثار، تراث، الفراعنة، فرعوني، مقبرة أثرية، حضارة، رسام، لوحة، أزياء، مصمم أزياء،
    عارضة أزياء، =كتاب، =الكتاب،
    culture, cultural, art, arts, artist, artists, theatre, theater, music, musician,
    singer, song, songs, album, band, concert, festival, novel, novelist, author, book, books,
    poet, poetry, museum, exhibition, gallery, painting, fashion, designer, heritage
    """,
    # screen and celebrity
    """
    فيلم، أفلام، سينما، سينمائي، مسلسل، مسلسلات، دراما، =ممثلة، =الممثلة، =ممثلات، =الممثلات،
    ممثل سينمائي، مخرج، أوسكار، هوليوود، تلفزيون، تلفزيوني، إذاعة، إذاعي، مذيع، مذيعة، شباك التذاكر،
    مشاهير، برنامج تلفزيوني، نجم سينمائي، نجمة سينمائية،
    film, films, movie, cinema, actor, actress, director, tv, television, series, sitcom,
    comedy, comedian, drama, oscar, oscars, bafta, baftas, grammy, grammys, golden globe,
    hollywood, box office, rock, pop, chart, charts, musical, celebrity, celebrities, radio,
    dj, soap
    """,
)

PLACES: Final = _terms(
    # the Arab world but Syria, in Arabic
    """
    العراق، عراقي، بغداد، لبنان، لبناني، بيروت، الأردن، أردني، عمان، فلسطين، فلسطيني، غزة،
    الضفة الغربية، القدس، رام الله، مصر، مصري، القاهرة، السعودية، سعودي، الرياض، الإمارات،
    إماراتي، دبي، أبو ظبي، قطر، قطري، الدوحة، الكويت، كويتي، =البحرين، =البحريني، =البحرينية،
    سلطنة عمان، عماني، اليمن، يمني، صنعاء، عدن، ليبيا، ليبي، طرابلس، تونس، تونسي، الجزائر،
    جزائري، المغرب، مغربي، الرباط، موريتانيا، السودان، سوداني، الخرطوم، الصومال، صومالي، جيبوتي،
    الخليج، الخليجي،
    """,
    # the rest of the world, in Arabic
    """
    الولايات المتحدة، أمريكا، أمريكي، واشنطن، نيويورك، كندا، كندي، المكسيك، مكسيكي، البرازيل،
    برازيلي، الأرجنتين، أرجنتيني، فنزويلا، كولومبيا، كولومبي، تشيلي، بيرو، كوبا، أمريكا اللاتينية،
    بريطانيا، بريطاني، لندن، إنجلترا، اسكتلندا، أيرلندا، فرنسا، فرنسي، باريس، ألمانيا، ألماني،
    برلين، إيطاليا، إيطالي، روما، إسبانيا، أسبانيا، إسباني، مدريد، البرتغال، هولندا، هولندي،
    بلجيكا، بلجيكي، بروكسل، سويسرا، سويسري، النمسا، السويد، سويدي، النرويج، الدنمارك، فنلندا،
    بولندا، المجر، التشيك، رومانيا، بلغاريا، صربيا، كرواتيا، اليونان، يوناني، أوروبا، أوروبي،
    روسيا، روسي، روسية، موسكو، أوكرانيا، أوكراني، كييف، بيلاروسيا، جورجيا، أرمينيا، أذربيجان،
    تركيا، =تركية، =التركية، =التركي، =الأتراك، أنقرة، إسطنبول، إيران، إيراني، طهران، إسرائيل،
    إسرائيلي، تل أبيب، أفغانستان، أفغاني، كابل، باكستان، باكستاني، الهند، هندي، نيودلهي،
    بنغلاديش، سريلانكا، نيبال، الصين، صيني، بكين، هونغ كونغ، تايوان، اليابان، ياباني، طوكيو،
    كوريا الشمالية، كوريا الجنوبية، كوري، بيونغ يانغ، سيول، فيتنام، تايلاند، ميانمار، كمبوديا،
    ماليزيا، ماليزي، إندونيسيا، إندونيسي، الفلبين، سنغافورة، أستراليا، أسترالي، نيوزيلندا،
    آسيا، آسيوي، أفريقيا، أفريقي، نيجيريا، نيجيري، إثيوبيا، كينيا، جنوب أفريقيا، الكونغو، أوغندا،
    تنزانيا، زيمبابوي، رواندا، موزمبيق، غانا، السنغال، تشاد، النيجر، الكاميرون،
    البيت الأبيض، الكرملين، الكونغرس، داونينغ ستريت، الإليزيه،
    """,
    # the world but Syria, in English
    """
    united states, america, american, americans, washington, new york, canada, canadian,
    mexico, mexican, brazil, brazilian, argentina, venezuela, colombia, chile, peru, cuba,
    latin america, britain, british, uk, london, england, scotland, wales, ireland, irish,
    france, french, paris, germany, german, berlin, italy, italian, rome, spain, spanish,
    madrid, portugal, netherlands, dutch, belgium, brussels, switzerland, swiss, austria,
    sweden, swedish, norway, denmark, finland, poland, polish, hungary, czech, romania,
    bulgaria, serbia, croatia, greece, greek, europe, european, russia, russian, moscow,
    ukraine, ukrainian, kyiv, kiev, belarus, georgia, armenia, azerbaijan, turkey, turkish,
    ankara, istanbul, iran, iranian, tehran, israel, israeli, tel aviv, palestinian,
    palestinians, gaza, west bank, jerusalem, lebanon, lebanese, beirut, jordan, iraq, iraqi,
    baghdad, egypt, egyptian, cairo, saudi arabia, saudi, riyadh, gulf, qatar, kuwait,
    bahrain, yemen, libya, tunisia, algeria, morocco, sudan, somalia, afghanistan, afghan,
    kabul, pakistan, pakistani, india, indian, delhi, bangladesh, sri lanka, china, chinese,
    beijing, hong kong, taiwan, japan, japanese, tokyo, north korea, south korea, korean,
    vietnam, thailand, myanmar, cambodia, malaysia, indonesia, philippines, singapore,
    australia, australian, new zealand, asia, asian, africa, african, nigeria, ethiopia, kenya,
    south africa, congo, uganda, zimbabwe, middle east, white house, kremlin, congress,
    downing street, elysee
    """,
)

KEYWORDS: Final[Mapping[str, tuple[str, ...]]] = {
    "politics": POLITICS,
    "economy": ECONOMY,
    "world": WORLD,
    "local": LOCAL,
    "sports": SPORTS,
    "technology": TECHNOLOGY,
    "health": HEALTH,
    "culture": CULTURE,
}
"""Built-in keywords by category slug."""
