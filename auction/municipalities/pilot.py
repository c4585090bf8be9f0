"""The pilot municipalities named by the programme, with the regions they sit in (names ky / ru / en)."""

from __future__ import annotations

from auction.municipalities.models import MunicipalityLevel

# (code, level, parent code, Kyrgyz, Russian, English)
PILOT: tuple[tuple[str, MunicipalityLevel, str | None, str, str, str], ...] = (
    ("chui", MunicipalityLevel.REGION, None, "Чүй облусу", "Чуйская область", "Chui Region"),
    ("naryn-region", MunicipalityLevel.REGION, None, "Нарын облусу", "Нарынская область", "Naryn Region"),
    ("osh-region", MunicipalityLevel.REGION, None, "Ош облусу", "Ошская область", "Osh Region"),
    ("batken-region", MunicipalityLevel.REGION, None, "Баткен облусу", "Баткенская область", "Batken Region"),
    (
        "issyk-kul",
        MunicipalityLevel.REGION,
        None,
        "Ысык-Көл облусу",
        "Иссык-Кульская область",
        "Issyk-Kul Region",
    ),
    (
        "jalal-abad",
        MunicipalityLevel.REGION,
        None,
        "Жалал-Абад облусу",
        "Джалал-Абадская область",
        "Jalal-Abad Region",
    ),
    ("talas", MunicipalityLevel.REGION, None, "Талас облусу", "Таласская область", "Talas Region"),
    ("tokmok", MunicipalityLevel.CITY, "chui", "Токмок шаары", "город Токмок", "Tokmok City"),
    ("naryn", MunicipalityLevel.CITY, "naryn-region", "Нарын шаары", "город Нарын", "Naryn City"),
    (
        "nookat",
        MunicipalityLevel.DISTRICT,
        "osh-region",
        "Ноокат району",
        "Ноокатский район",
        "Nookat District",
    ),
    (
        "batken",
        MunicipalityLevel.DISTRICT,
        "batken-region",
        "Баткен району",
        "Баткенский район",
        "Batken District",
    ),
    ("tyup", MunicipalityLevel.DISTRICT, "issyk-kul", "Түп району", "Тюпский район", "Tyup District"),
    (
        "kara-too",
        MunicipalityLevel.AIYL_OKMOTU,
        "nookat",
        "Кара-Тоо айыл өкмөтү",
        "Кара-Тоо айыл окмоту",
        "Kara-Too Aiyl Okmotu",
    ),
    (
        "santash",
        MunicipalityLevel.AIYL_OKMOTU,
        "tyup",
        "Санташ айыл өкмөтү",
        "Санташ айыл окмоту",
        "Santash Aiyl Okmotu",
    ),
)

# The municipalities that run auctions in the pilot: the two regions themselves, two cities, three districts.
PILOT_OPERATORS: tuple[str, ...] = ("tokmok", "naryn", "nookat", "batken", "tyup", "jalal-abad", "talas")
