"""The IANA time zones a called person may be in, from the number and the postal code.

Never a stored GMT offset: a zone name, so DST is always right. phonenumbers gives the
zones of the number's area; its data is coarse where an area code crosses a zone line
(it puts all of 219, northwest Indiana, in New York time), so SPLIT_AREA_CODES adds the
zones it leaves out. A postal code then narrows the candidates (US ZIP prefixes of the
split states, Australian postcodes). When the number and the postal code disagree (a
mobile kept after a move) both are checked; a mobile number outside North America says
nothing about place, so there the postal code decides. Whatever remains ambiguous is
returned whole: the calling rules require the window to hold in every candidate zone.

Arizona keeps standard time all year (America/Phoenix) but the Navajo Nation observes
DST (America/Denver); its ZIP codes straddle the reservation's edges, so they give both
zones, as does a 928 number without a postal code. The Hopi villages keep Phoenix time.
Sources: 15 U.S.C. 260a (DST opt-out), 49 CFR part 71 (US time zone boundaries),
https://www.ecfr.gov/current/title-49/subtitle-A/part-71.
"""

from dataclasses import dataclass
from functools import lru_cache

import phonenumbers
from phonenumbers import PhoneNumberType, geocoder, timezone

CHICAGO, NEW_YORK, DENVER = "America/Chicago", "America/New_York", "America/Denver"
PHOENIX, BOISE, LOS_ANGELES = "America/Phoenix", "America/Boise", "America/Los_Angeles"
INDIANA = "America/Indiana/Indianapolis"

# NANP area codes that cross a zone line: the zones phonenumbers leaves out (49 CFR 71).
SPLIT_AREA_CODES: dict[str, tuple[str, ...]] = {
    "219": (CHICAGO,),  # northwest Indiana: Lake, Porter, LaPorte, Jasper, Newton (Central)
    "574": (CHICAGO,),  # north Indiana: Starke County is Central
    "812": (CHICAGO,),  # southwest Indiana: Evansville area is Central
    "930": (CHICAGO,),  # overlay of 812
    "850": (CHICAGO,),  # Florida panhandle west of the Apalachicola River is Central
    "448": (CHICAGO,),  # overlay of 850
    "432": (DENVER,),  # west Texas: Culberson County is Mountain
    "423": (NEW_YORK,),  # east Tennessee (Chattanooga, Tri-Cities) is Eastern
    "270": (CHICAGO,),  # west Kentucky is Central
    "364": (CHICAGO,),  # overlay of 270
    "606": (CHICAGO,),  # east Kentucky: Clinton County is Central
    "906": (CHICAGO,),  # Michigan's Upper Peninsula: four counties on the Wisconsin line
    "308": (DENVER,),  # Nebraska panhandle is Mountain
    "785": (DENVER,),  # northwest Kansas: Sherman, Wallace
    "620": (DENVER,),  # southwest Kansas: Greeley, Hamilton
    "541": (BOISE,),  # east Oregon: most of Malheur County is Mountain
    "458": (BOISE,),  # overlay of 541
    "928": (DENVER,),  # north Arizona: the Navajo Nation observes DST
}

# US ZIP code prefixes (first three digits) of the split states -> zones (49 CFR 71).
ZIP3_ZONES: dict[str, tuple[str, ...]] = {
    **{str(prefix): (PHOENIX,) for prefix in range(850, 866)},  # Arizona
    **{str(prefix): (INDIANA,) for prefix in (*range(460, 463), *range(466, 475), 478)},
    "463": (CHICAGO,),  # Gary, Hammond, Valparaiso, La Porte
    "464": (CHICAGO,),
    "465": (INDIANA, CHICAGO),  # South Bend area with Starke County
    "475": (INDIANA, CHICAGO),  # Jasper (Eastern) with Tell City (Central)
    "476": (CHICAGO,),  # Evansville area
    "477": (CHICAGO,),
    "479": (INDIANA, CHICAGO),  # Lafayette with Jasper and Newton counties
    "323": (NEW_YORK,),  # Tallahassee, Apalachicola
    "324": (CHICAGO,),  # Panama City area
    "325": (CHICAGO,),  # Pensacola, Fort Walton Beach
    "798": (CHICAGO, DENVER),  # Alpine and Marfa (Central) with El Paso County (Mountain)
    "799": (DENVER,),  # El Paso
    "885": (DENVER,),  # El Paso
    **{str(prefix): (CHICAGO,) for prefix in (370, 371, 372, 375, 380, 381, 382, 383, 384, 385)},
    "373": (NEW_YORK, CHICAGO),  # Chattanooga area with Marion and Grundy counties
    **{str(prefix): (NEW_YORK,) for prefix in (374, 376, 377, 378, 379)},
    **{str(prefix): (NEW_YORK,) for prefix in (400, *range(402, 419))},
    "401": (NEW_YORK, CHICAGO),  # Louisville area with Breckinridge County
    **{str(prefix): (CHICAGO,) for prefix in range(420, 425)},  # west Kentucky
    **{str(prefix): (NEW_YORK, CHICAGO) for prefix in (425, 426, 427)},
    "498": (NEW_YORK, CHICAGO),  # Upper Peninsula: Dickinson, Menominee with Delta, Marquette
    "499": (NEW_YORK, CHICAGO),  # Gogebic, Iron with Houghton
    **{str(prefix): (CHICAGO,) for prefix in (580, 581, 582, 583, 584, 587)},
    **{str(prefix): (CHICAGO, DENVER) for prefix in (585, 586, 588)},  # southwest North Dakota
    **{str(prefix): (CHICAGO,) for prefix in range(570, 575)},
    "575": (CHICAGO, DENVER),  # Pierre area
    "576": (CHICAGO, DENVER),  # Mobridge area
    "577": (DENVER,),  # Rapid City
    **{str(prefix): (CHICAGO,) for prefix in range(680, 690)},
    **{str(prefix): (CHICAGO, DENVER) for prefix in (690, 691, 692)},
    "693": (DENVER,),  # Scottsbluff, Alliance
    "677": (CHICAGO, DENVER),  # Goodland area (Sherman, Wallace)
    "678": (CHICAGO, DENVER),  # Garden City area (Greeley, Hamilton)
    **{str(prefix): (BOISE,) for prefix in (832, 833, 834, 836, 837)},
    "835": (LOS_ANGELES, BOISE),  # Lewiston (Pacific) with Riggins (Mountain)
    "838": (LOS_ANGELES,),  # Idaho panhandle
    "979": (LOS_ANGELES, BOISE),  # Ontario area: Malheur County with Baker County
}


def _codes(text: str) -> tuple[str, ...]:
    return tuple(text.split())


NAVAJO_NATION_ZIPS = frozenset(
    _codes(
        "86020 86031 86033 86035 86044 86045 86053 86054 86502 86503 86504 86505 86506 "
        "86507 86508 86510 86511 86512 86514 86515 86535 86538 86544 86545 86547 86549 86556"
    )
)
# El Paso and Hudspeth counties, and Van Horn (Culberson County), keep Mountain time.
WEST_TEXAS_ZIPS = _codes("79821 79835 79836 79837 79838 79847 79849 79851 79853 79855")

ZIP5_ZONES: dict[str, tuple[str, ...]] = {
    **dict.fromkeys(NAVAJO_NATION_ZIPS, (PHOENIX, DENVER)),
    "32456": (NEW_YORK, CHICAGO),  # Port St. Joe: Gulf County is split
    "32457": (NEW_YORK, CHICAGO),
    **dict.fromkeys(WEST_TEXAS_ZIPS, (DENVER,)),
}

# Australian postcodes: the first digit names the state (Australia Post), with the
# exceptions that keep another state's time.
AU_POSTCODE_EXCEPTIONS: dict[str, tuple[str, ...]] = {
    "2880": ("Australia/Broken_Hill",),
    "2898": ("Australia/Lord_Howe",),
    "6443": ("Australia/Eucla", "Australia/Perth"),
    "6798": ("Indian/Christmas",),
    "6799": ("Indian/Cocos",),
}
AU_POSTCODE_STATES: dict[str, tuple[str, ...]] = {
    "02": ("Australia/Sydney",),  # ACT
    "08": ("Australia/Darwin",),
    "09": ("Australia/Darwin",),
    "2": ("Australia/Sydney",),
    "3": ("Australia/Melbourne",),
    "4": ("Australia/Brisbane",),
    "5": ("Australia/Adelaide",),
    "6": ("Australia/Perth",),
    "7": ("Australia/Hobart",),
}

# When phonenumbers knows no zone for a valid number (such as ranges kept for fiction).
COUNTRY_ZONES: dict[str, tuple[str, ...]] = {
    "GB": ("Europe/London",),
    "AU": (
        "Australia/Adelaide",
        "Australia/Brisbane",
        "Australia/Darwin",
        "Australia/Eucla",
        "Australia/Lord_Howe",
        "Australia/Perth",
        "Australia/Sydney",
    ),
    "US": (
        NEW_YORK,
        CHICAGO,
        DENVER,
        PHOENIX,
        LOS_ANGELES,
        "America/Anchorage",
        "America/Adak",
        "Pacific/Honolulu",
    ),
}

# USPS codes by the state names phonenumbers' geocoder gives for US area codes.
STATE_CODES: dict[str, str] = {
    "Alabama": "AL",
    "Alaska": "AK",
    "Arizona": "AZ",
    "Arkansas": "AR",
    "California": "CA",
    "Colorado": "CO",
    "Connecticut": "CT",
    "Delaware": "DE",
    "Florida": "FL",
    "Georgia": "GA",
    "Hawaii": "HI",
    "Idaho": "ID",
    "Illinois": "IL",
    "Indiana": "IN",
    "Iowa": "IA",
    "Kansas": "KS",
    "Kentucky": "KY",
    "Louisiana": "LA",
    "Maine": "ME",
    "Maryland": "MD",
    "Massachusetts": "MA",
    "Michigan": "MI",
    "Minnesota": "MN",
    "Mississippi": "MS",
    "Missouri": "MO",
    "Montana": "MT",
    "Nebraska": "NE",
    "Nevada": "NV",
    "New Hampshire": "NH",
    "New Jersey": "NJ",
    "New Mexico": "NM",
    "New York": "NY",
    "North Carolina": "NC",
    "North Dakota": "ND",
    "Ohio": "OH",
    "Oklahoma": "OK",
    "Oregon": "OR",
    "Pennsylvania": "PA",
    "Rhode Island": "RI",
    "South Carolina": "SC",
    "South Dakota": "SD",
    "Tennessee": "TN",
    "Texas": "TX",
    "Utah": "UT",
    "Vermont": "VT",
    "Virginia": "VA",
    "Washington": "WA",
    "Washington State": "WA",
    "West Virginia": "WV",
    "Wisconsin": "WI",
    "Wyoming": "WY",
    "Washington D.C.": "DC",
}

# US ZIP prefixes (first three digits, inclusive ranges) by state, from the USPS.
ZIP3_STATES: tuple[tuple[int, int, str], ...] = (
    (10, 27, "MA"),
    (28, 29, "RI"),
    (30, 38, "NH"),
    (39, 49, "ME"),
    (50, 59, "VT"),
    (60, 69, "CT"),
    (70, 89, "NJ"),
    (100, 149, "NY"),
    (150, 196, "PA"),
    (197, 199, "DE"),
    (200, 200, "DC"),
    (201, 201, "VA"),
    (202, 205, "DC"),
    (206, 219, "MD"),
    (220, 246, "VA"),
    (247, 268, "WV"),
    (270, 289, "NC"),
    (290, 299, "SC"),
    (300, 319, "GA"),
    (320, 339, "FL"),
    (341, 349, "FL"),
    (350, 369, "AL"),
    (370, 385, "TN"),
    (386, 397, "MS"),
    (398, 399, "GA"),
    (400, 427, "KY"),
    (430, 459, "OH"),
    (460, 479, "IN"),
    (480, 499, "MI"),
    (500, 528, "IA"),
    (530, 549, "WI"),
    (550, 567, "MN"),
    (570, 577, "SD"),
    (580, 588, "ND"),
    (590, 599, "MT"),
    (600, 629, "IL"),
    (630, 658, "MO"),
    (660, 679, "KS"),
    (680, 693, "NE"),
    (700, 714, "LA"),
    (716, 729, "AR"),
    (730, 732, "OK"),
    (733, 733, "TX"),
    (734, 749, "OK"),
    (750, 799, "TX"),
    (800, 816, "CO"),
    (820, 831, "WY"),
    (832, 838, "ID"),
    (840, 847, "UT"),
    (850, 865, "AZ"),
    (870, 884, "NM"),
    (885, 885, "TX"),
    (889, 898, "NV"),
    (900, 961, "CA"),
    (967, 968, "HI"),
    (970, 979, "OR"),
    (980, 994, "WA"),
    (995, 999, "AK"),
)

# Zones that keep the same clock today, so a postal code's zone can narrow the number's.
SAME_CLOCK: dict[str, str] = {
    INDIANA: NEW_YORK,
    "America/Indiana/Knox": CHICAGO,
    "America/Indiana/Tell_City": CHICAGO,
    "America/North_Dakota/Center": CHICAGO,
    "Australia/Melbourne": "Australia/Sydney",
    "Australia/Hobart": "Australia/Sydney",
}

PLACE_FREE_TYPES = frozenset(
    {
        PhoneNumberType.MOBILE, PhoneNumberType.VOIP, PhoneNumberType.PERSONAL_NUMBER,
        PhoneNumberType.PAGER, PhoneNumberType.UAN,
    }
)  # fmt: skip


@dataclass(frozen=True)
class NumberPlace:
    """What the number itself says about place, worked out once per number."""

    country: str  # ISO code of the numbering plan's region: "US", "GB", "AU"...
    kind: int  # phonenumbers.PhoneNumberType
    zones: frozenset[str]
    state: str | None  # US state of the area code


def parse(number_e164: str) -> phonenumbers.PhoneNumber:
    """The number, which must be a valid E.164 number; ValueError saying why not."""
    try:
        parsed = phonenumbers.parse(number_e164, None)
    except phonenumbers.NumberParseException as error:
        raise ValueError(
            f"{number_e164!r} is not a phone number in E.164 form (+ and digits)."
        ) from error
    if not phonenumbers.is_valid_number(parsed):
        raise ValueError(f"{number_e164!r} is not a valid phone number.")
    return parsed


@lru_cache(maxsize=65_536)
def place_of(number_e164: str) -> NumberPlace:
    """The number's country, kind, zones and area-code state (phonenumbers is slow)."""
    parsed = parse(number_e164)
    country = phonenumbers.region_code_for_number(parsed) or ""
    state = None
    if country == "US":
        state = STATE_CODES.get(geocoder.description_for_number(parsed, "en"))
    return NumberPlace(
        country=country,
        kind=phonenumbers.number_type(parsed),
        zones=frozenset(_number_zones(parsed, country)),
        state=state,
    )


def country_of(number_e164: str) -> str:
    """ISO country code of the number ("US", "GB", "AU"...)."""
    return place_of(number_e164).country


def is_mobile(number_e164: str) -> bool | None:
    """True for a mobile, False for a fixed line, None when the plan cannot tell (NANP)."""
    kind = place_of(number_e164).kind
    if kind == PhoneNumberType.MOBILE:
        return True
    if kind == PhoneNumberType.FIXED_LINE:
        return False
    return None


def zones_for(
    number_e164: str, postal_code: str | None = None, country: str | None = None
) -> tuple[str, ...]:
    """Every IANA zone the called person may be in, sorted; () when none is known."""
    place = place_of(number_e164)
    postal_zones = postal_zones_for(postal_code, country or place.country)
    if not postal_zones:
        return tuple(sorted(place.zones))
    if place.kind in PLACE_FREE_TYPES and place.country != "US":
        return tuple(sorted(postal_zones))
    number_clocks = {SAME_CLOCK.get(zone, zone) for zone in place.zones}
    narrowed = {zone for zone in postal_zones if SAME_CLOCK.get(zone, zone) in number_clocks}
    return tuple(sorted(narrowed or place.zones | postal_zones))


def postal_zones_for(postal_code: str | None, country: str | None) -> set[str]:
    """The zones a postal code lies in, where the tables know it; else empty."""
    code = (postal_code or "").strip().upper()
    if country == "US" and len(code) >= 5 and code[:5].isdigit():
        return set(ZIP5_ZONES.get(code[:5]) or ZIP3_ZONES.get(code[:3], ()))
    if country == "AU" and len(code) == 4 and code.isdigit():
        exception = AU_POSTCODE_EXCEPTIONS.get(code)
        state = AU_POSTCODE_STATES.get(code[:2]) or AU_POSTCODE_STATES.get(code[0], ())
        return set(exception or state)
    return set()


def regions_for(
    number_e164: str, postal_code: str | None = None, region: str | None = None
) -> tuple[str, ...]:
    """The US states whose rules may apply: the one given, the ZIP's and the area code's.

    Florida's and Oklahoma's acts presume that a number with the state's area code
    belongs to a resident, so a lead may fall under more than one state's rules.
    """
    found = {region.strip().upper()} if region and region.strip() else set()
    place = place_of(number_e164)
    if place.country != "US":
        return tuple(sorted(found))
    code = (postal_code or "").strip()
    if len(code) >= 5 and code[:3].isdigit():
        prefix = int(code[:3])
        found.update(state for low, high, state in ZIP3_STATES if low <= prefix <= high)
    if place.state:
        found.add(place.state)
    return tuple(sorted(found))


def _number_zones(parsed: phonenumbers.PhoneNumber, country: str) -> set[str]:
    zones = {zone for zone in timezone.time_zones_for_number(parsed) if zone != "Etc/Unknown"}
    if country == "US":
        area_code = str(parsed.national_number)[:3]
        zones.update(SPLIT_AREA_CODES.get(area_code, ()))
    return zones or set(COUNTRY_ZONES.get(country, ()))
