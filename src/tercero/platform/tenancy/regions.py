"""Delivery regions, used to tell nearshore from offshore.

Maintained here as data. The four regions follow how BPO contracts usually group
locations: the Americas, Europe, Asia-Pacific, and the Middle East and Africa.
Countries are ISO 3166-1 alpha-2 codes.
"""

import functools
import zoneinfo

AMERICAS = "americas"
EUROPE = "europe"
ASIA_PACIFIC = "asia_pacific"
MIDDLE_EAST_AFRICA = "middle_east_africa"

REGION_NAMES = {
    AMERICAS: "Americas",
    EUROPE: "Europe",
    ASIA_PACIFIC: "Asia-Pacific",
    MIDDLE_EAST_AFRICA: "Middle East and Africa",
}

_MEMBERS = {
    AMERICAS: (
        "AG AI AR AW BB BL BM BO BQ BR BS BZ CA CL CO CR CU CW DM DO EC FK GD GF GL GP GT GY HN "
        "HT JM KN KY LC MF MQ MS MX NI PA PE PM PR PY SR SV SX TC TT US UY VC VE VG VI"
    ),
    EUROPE: (
        "AD AL AT AX BA BE BG BY CH CY CZ DE DK EE ES FI FO FR GB GG GI GR HR HU IE IM IS IT JE "
        "LI LT LU LV MC MD ME MK MT NL NO PL PT RO RS RU SE SI SJ SK SM UA VA XK"
    ),
    ASIA_PACIFIC: (
        "AS AU BD BN BT CC CK CN CX FJ FM GU HK ID IN IO JP KG KH KI KP KR KZ LA LK MH MM MN MO "
        "MP MV MY NC NF NP NR NU NZ PF PG PH PK PN PW SB SG TH TJ TK TL TM TO TV TW UM UZ VN VU "
        "WF WS AF"
    ),
    MIDDLE_EAST_AFRICA: (
        "AE AM AO AZ BF BH BI BJ BW CD CF CG CI CM CV DJ DZ EG EH ER ET GA GE GH GM GN GQ GW IL "
        "IQ IR JO KE KM KW LB LR LS LY MA MG ML MR MU MW MZ NA NE NG OM PS QA RE RW SA SC SD SH "
        "SL SN SO SS ST SY SZ TD TG TN TR TZ UG YE YT ZA ZM ZW"
    ),
}

COUNTRY_REGION: dict[str, str] = {
    code: region for region, members in _MEMBERS.items() for code in members.split()
}


def region_of(country: str) -> str:
    """The delivery region of an ISO alpha-2 country code; KeyError for unknown codes."""
    return COUNTRY_REGION[country.upper()]


@functools.cache
def time_zones() -> frozenset[str]:
    """The IANA time zones installed, read once per process: listing them walks the whole
    tz database on disk (a tenth of a second a call), and a new tz database takes a
    restart anyway."""
    return frozenset(zoneinfo.available_timezones())


@functools.cache
def time_zone_choices() -> tuple[tuple[str, str], ...]:
    """(zone, label) for every installed zone, sorted, for a form's choices."""
    return tuple((zone, zone.replace("_", " ")) for zone in sorted(time_zones()))
