"""Neighbourhoods of New York City and a few upstate cities: real street names with their ZIP codes.

House and apartment numbers are invented when a person is generated. Area codes are those of the place
(mobile numbers in the city are often 917, 347 or 929). Every phone number the demo makes is in the
555-0100 to 555-0199 range, which is reserved for fiction.
"""

from __future__ import annotations

from dataclasses import dataclass

NYC_MOBILE = ("917", "347", "929", "646")


@dataclass(frozen=True)
class Neighbourhood:
    city: str
    county: str
    area_codes: tuple[str, ...]
    streets: tuple[tuple[str, str], ...]  # (street, ZIP)
    # "bronx_manhattan", "brooklyn_queens_si" or "upstate": which agency usually serves the place.
    region: str

    @property
    def hyphenated_numbers(self) -> bool:
        """Queens numbers houses by cross street: 37-15 82nd St."""
        return self.county == "Queens"

    @property
    def apartments(self) -> bool:
        return self.region != "upstate"


def _manhattan(*streets: tuple[str, str]) -> Neighbourhood:
    return Neighbourhood("New York", "New York", ("212", "646", "917", "332"), streets, "bronx_manhattan")


def _bronx(*streets: tuple[str, str]) -> Neighbourhood:
    return Neighbourhood("Bronx", "Bronx", ("718", "347", "929"), streets, "bronx_manhattan")


def _brooklyn(*streets: tuple[str, str]) -> Neighbourhood:
    return Neighbourhood("Brooklyn", "Kings", ("718", "347", "929"), streets, "brooklyn_queens_si")


def _queens(city: str, *streets: tuple[str, str]) -> Neighbourhood:
    return Neighbourhood(city, "Queens", ("718", "347", "929"), streets, "brooklyn_queens_si")


def _staten_island(*streets: tuple[str, str]) -> Neighbourhood:
    return Neighbourhood("Staten Island", "Richmond", ("718", "347"), streets, "brooklyn_queens_si")


NEIGHBOURHOODS: dict[str, Neighbourhood] = {
    # Manhattan
    "washington_heights": _manhattan(
        ("St Nicholas Ave", "10033"),
        ("Audubon Ave", "10032"),
        ("Amsterdam Ave", "10032"),
        ("W 181st St", "10033"),
        ("Fort Washington Ave", "10033"),
        ("Wadsworth Ave", "10033"),
        ("W 163rd St", "10032"),
        ("Broadway", "10040"),
    ),
    "inwood": _manhattan(
        ("Dyckman St", "10034"),
        ("Sherman Ave", "10034"),
        ("Broadway", "10034"),
        ("Post Ave", "10034"),
        ("Vermilyea Ave", "10034"),
    ),
    "harlem": _manhattan(
        ("Malcolm X Blvd", "10027"),
        ("Frederick Douglass Blvd", "10026"),
        ("W 116th St", "10026"),
        ("Adam Clayton Powell Jr Blvd", "10030"),
        ("W 135th St", "10030"),
        ("Lenox Ave", "10037"),
        ("Bradhurst Ave", "10039"),
    ),
    "east_harlem": _manhattan(
        ("E 116th St", "10029"),
        ("Lexington Ave", "10029"),
        ("Third Ave", "10029"),
        ("E 104th St", "10029"),
        ("Pleasant Ave", "10035"),
        ("First Ave", "10035"),
    ),
    "chinatown": _manhattan(
        ("Mott St", "10013"),
        ("Canal St", "10013"),
        ("Grand St", "10002"),
        ("East Broadway", "10002"),
        ("Henry St", "10002"),
        ("Eldridge St", "10002"),
    ),
    # The Bronx
    "south_bronx": _bronx(
        ("Willis Ave", "10454"),
        ("E 138th St", "10454"),
        ("Southern Blvd", "10459"),
        ("Westchester Ave", "10455"),
        ("E 149th St", "10455"),
        ("Prospect Ave", "10459"),
        ("Boston Rd", "10456"),
        ("E 163rd St", "10459"),
    ),
    "concourse": _bronx(
        ("Grand Concourse", "10451"),
        ("Grand Concourse", "10456"),
        ("E 167th St", "10452"),
        ("Walton Ave", "10452"),
        ("Gerard Ave", "10451"),
        ("Sheridan Ave", "10456"),
    ),
    "fordham": _bronx(
        ("E Fordham Rd", "10458"),
        ("Valentine Ave", "10458"),
        ("Webster Ave", "10457"),
        ("E Tremont Ave", "10457"),
        ("Creston Ave", "10468"),
        ("Jerome Ave", "10468"),
        ("Kingsbridge Rd", "10468"),
    ),
    "parkchester": _bronx(
        ("Metropolitan Ave", "10462"),
        ("Unionport Rd", "10462"),
        ("Castle Hill Ave", "10462"),
        ("White Plains Rd", "10472"),
        ("Starling Ave", "10462"),
        ("Westchester Ave", "10462"),
    ),
    "pelham_bay": _bronx(
        ("Buhre Ave", "10461"),
        ("Westchester Ave", "10461"),
        ("Crosby Ave", "10461"),
        ("Middletown Rd", "10461"),
    ),
    "wakefield": _bronx(
        ("White Plains Rd", "10466"),
        ("E 233rd St", "10466"),
        ("Bronxwood Ave", "10466"),
        ("Nereid Ave", "10466"),
    ),
    "woodlawn": _bronx(("Katonah Ave", "10470"), ("McLean Ave", "10470"), ("E 238th St", "10470")),
    # Brooklyn
    "bed_stuy": _brooklyn(
        ("Nostrand Ave", "11216"),
        ("Fulton St", "11216"),
        ("Halsey St", "11233"),
        ("Macon St", "11233"),
        ("Gates Ave", "11221"),
        ("Lewis Ave", "11221"),
        ("Tompkins Ave", "11216"),
    ),
    "bushwick": _brooklyn(
        ("Knickerbocker Ave", "11237"),
        ("Wyckoff Ave", "11237"),
        ("Myrtle Ave", "11221"),
        ("Central Ave", "11221"),
        ("Broadway", "11206"),
        ("Irving Ave", "11237"),
    ),
    "east_new_york": _brooklyn(
        ("Pennsylvania Ave", "11207"),
        ("Atlantic Ave", "11207"),
        ("Linden Blvd", "11207"),
        ("New Lots Ave", "11207"),
        ("Sutter Ave", "11208"),
        ("Fountain Ave", "11208"),
    ),
    "brownsville": _brooklyn(
        ("Rockaway Ave", "11212"),
        ("Pitkin Ave", "11212"),
        ("Livonia Ave", "11212"),
        ("Mother Gaston Blvd", "11212"),
        ("Sutter Ave", "11212"),
    ),
    "flatbush": _brooklyn(
        ("Flatbush Ave", "11226"),
        ("Church Ave", "11226"),
        ("Nostrand Ave", "11226"),
        ("Rogers Ave", "11226"),
        ("Bedford Ave", "11226"),
        ("Parkside Ave", "11226"),
        ("Linden Blvd", "11226"),
    ),
    "east_flatbush": _brooklyn(
        ("Utica Ave", "11203"),
        ("Church Ave", "11203"),
        ("Remsen Ave", "11203"),
        ("Clarkson Ave", "11203"),
        ("Rutland Rd", "11203"),
    ),
    "canarsie": _brooklyn(
        ("Rockaway Pkwy", "11236"),
        ("Flatlands Ave", "11236"),
        ("Remsen Ave", "11236"),
        ("Avenue L", "11236"),
        ("E 92nd St", "11236"),
    ),
    "crown_heights": _brooklyn(
        ("Eastern Pkwy", "11213"),
        ("Kingston Ave", "11213"),
        ("President St", "11213"),
        ("Crown St", "11225"),
        ("Montgomery St", "11225"),
        ("Albany Ave", "11213"),
    ),
    "williamsburg": _brooklyn(
        ("Lee Ave", "11211"),
        ("Bedford Ave", "11211"),
        ("Division Ave", "11211"),
        ("Wilson St", "11211"),
        ("Rodney St", "11211"),
        ("Marcy Ave", "11211"),
        ("Hewes St", "11211"),
    ),
    "borough_park": _brooklyn(
        ("13th Ave", "11219"),
        ("16th Ave", "11204"),
        ("New Utrecht Ave", "11219"),
        ("48th St", "11219"),
        ("50th St", "11219"),
    ),
    "sunset_park": _brooklyn(
        ("8th Ave", "11220"),
        ("5th Ave", "11220"),
        ("4th Ave", "11220"),
        ("53rd St", "11220"),
        ("60th St", "11220"),
        ("7th Ave", "11220"),
    ),
    "kensington": _brooklyn(
        ("Church Ave", "11218"),
        ("McDonald Ave", "11218"),
        ("Coney Island Ave", "11218"),
        ("Ocean Pkwy", "11218"),
        ("Beverley Rd", "11218"),
    ),
    "bay_ridge": _brooklyn(
        ("5th Ave", "11209"),
        ("3rd Ave", "11209"),
        ("86th St", "11209"),
        ("Shore Rd", "11209"),
        ("Ovington Ave", "11209"),
    ),
    "bensonhurst": _brooklyn(
        ("86th St", "11214"),
        ("18th Ave", "11214"),
        ("Bay Pkwy", "11214"),
        ("Bath Ave", "11214"),
        ("20th Ave", "11214"),
        ("Benson Ave", "11214"),
    ),
    "brighton_beach": _brooklyn(
        ("Brighton Beach Ave", "11235"),
        ("Brighton 6th St", "11235"),
        ("Coney Island Ave", "11235"),
        ("Ocean Pkwy", "11235"),
        ("Neptune Ave", "11235"),
    ),
    "sheepshead_bay": _brooklyn(
        ("Emmons Ave", "11235"),
        ("Avenue U", "11229"),
        ("Kings Hwy", "11229"),
        ("Nostrand Ave", "11229"),
        ("Ocean Ave", "11229"),
    ),
    "greenpoint": _brooklyn(
        ("Manhattan Ave", "11222"),
        ("Nassau Ave", "11222"),
        ("Driggs Ave", "11222"),
        ("Norman Ave", "11222"),
        ("Java St", "11222"),
    ),
    # Queens
    "flushing": _queens(
        "Flushing",
        ("Main St", "11354"),
        ("Roosevelt Ave", "11354"),
        ("Kissena Blvd", "11355"),
        ("Sanford Ave", "11355"),
        ("41st Ave", "11355"),
        ("Union St", "11354"),
        ("Bowne St", "11354"),
    ),
    "bayside": _queens("Bayside", ("Bell Blvd", "11361"), ("Northern Blvd", "11361"), ("212th St", "11361")),
    "elmhurst": _queens(
        "Elmhurst",
        ("Broadway", "11373"),
        ("Whitney Ave", "11373"),
        ("Justice Ave", "11373"),
        ("Queens Blvd", "11373"),
        ("Elmhurst Ave", "11373"),
        ("Corona Ave", "11373"),
    ),
    "corona": _queens(
        "Corona",
        ("Roosevelt Ave", "11368"),
        ("Junction Blvd", "11368"),
        ("National St", "11368"),
        ("104th St", "11368"),
        ("37th Ave", "11368"),
    ),
    "jackson_heights": _queens(
        "Jackson Heights",
        ("37th Ave", "11372"),
        ("Roosevelt Ave", "11372"),
        ("82nd St", "11372"),
        ("74th St", "11372"),
        ("35th Ave", "11372"),
        ("Northern Blvd", "11372"),
    ),
    "jamaica": _queens(
        "Jamaica",
        ("Jamaica Ave", "11432"),
        ("Hillside Ave", "11432"),
        ("Parsons Blvd", "11432"),
        ("Sutphin Blvd", "11435"),
        ("Merrick Blvd", "11433"),
        ("Guy R Brewer Blvd", "11434"),
        ("Farmers Blvd", "11434"),
        ("168th St", "11432"),
    ),
    "richmond_hill": _queens(
        "South Richmond Hill",
        ("Liberty Ave", "11419"),
        ("Lefferts Blvd", "11419"),
        ("101st Ave", "11419"),
        ("125th St", "11419"),
    ),
    "cambria_heights": _queens(
        "Cambria Heights",
        ("Linden Blvd", "11411"),
        ("Francis Lewis Blvd", "11411"),
        ("222nd St", "11411"),
    ),
    "far_rockaway": _queens(
        "Far Rockaway",
        ("Beach 20th St", "11691"),
        ("Mott Ave", "11691"),
        ("Cornaga Ave", "11691"),
        ("Seagirt Blvd", "11691"),
        ("Beach Channel Dr", "11691"),
    ),
    "rockaway_park": _queens(
        "Rockaway Park",
        ("Beach 116th St", "11694"),
        ("Rockaway Beach Blvd", "11694"),
        ("Newport Ave", "11694"),
    ),
    "astoria": _queens(
        "Astoria",
        ("Steinway St", "11103"),
        ("31st St", "11105"),
        ("Ditmars Blvd", "11105"),
        ("30th Ave", "11102"),
        ("Broadway", "11106"),
        ("21st St", "11105"),
    ),
    "rego_park": _queens(
        "Rego Park",
        ("63rd Dr", "11374"),
        ("Queens Blvd", "11374"),
        ("Woodhaven Blvd", "11374"),
        ("99th St", "11374"),
    ),
    "ridgewood": _queens(
        "Ridgewood",
        ("Myrtle Ave", "11385"),
        ("Fresh Pond Rd", "11385"),
        ("Forest Ave", "11385"),
        ("Seneca Ave", "11385"),
        ("Onderdonk Ave", "11385"),
    ),
    # Staten Island
    "stapleton": _staten_island(
        ("Bay St", "10304"),
        ("Targee St", "10304"),
        ("Victory Blvd", "10301"),
        ("Richmond Terrace", "10301"),
        ("Port Richmond Ave", "10302"),
        ("Forest Ave", "10310"),
        ("Castleton Ave", "10310"),
    ),
    "great_kills": _staten_island(
        ("Hylan Blvd", "10308"),
        ("Amboy Rd", "10308"),
        ("Giffords Ln", "10308"),
        ("Richmond Ave", "10314"),
        ("Arthur Kill Rd", "10312"),
    ),
    # Near the city
    "yonkers": Neighbourhood(
        "Yonkers",
        "Westchester",
        ("914",),
        (
            ("S Broadway", "10701"),
            ("Riverdale Ave", "10701"),
            ("Nepperhan Ave", "10701"),
            ("Palisade Ave", "10703"),
            ("McLean Ave", "10705"),
        ),
        "bronx_manhattan",
    ),
    "monsey": Neighbourhood(
        "Monsey",
        "Rockland",
        ("845",),
        (("Route 59", "10952"), ("Maple Ave", "10952"), ("Saddle River Rd", "10952"), ("Carlton Rd", "10952")),
        "brooklyn_queens_si",
    ),
    # Upstate
    "poughkeepsie": Neighbourhood(
        "Poughkeepsie",
        "Dutchess",
        ("845",),
        (("Main St", "12601"), ("Mansion St", "12601"), ("Church St", "12601"), ("N Hamilton St", "12601")),
        "upstate",
    ),
    "albany": Neighbourhood(
        "Albany",
        "Albany",
        ("518",),
        (
            ("Central Ave", "12206"),
            ("Lark St", "12210"),
            ("Delaware Ave", "12209"),
            ("Clinton Ave", "12210"),
            ("Western Ave", "12203"),
            ("S Pearl St", "12202"),
        ),
        "upstate",
    ),
    "syracuse": Neighbourhood(
        "Syracuse",
        "Onondaga",
        ("315",),
        (
            ("S Salina St", "13205"),
            ("Butternut St", "13208"),
            ("James St", "13203"),
            ("S Geddes St", "13204"),
            ("E Genesee St", "13210"),
        ),
        "upstate",
    ),
    "rochester": Neighbourhood(
        "Rochester",
        "Monroe",
        ("585",),
        (
            ("Lyell Ave", "14606"),
            ("N Clinton Ave", "14621"),
            ("Monroe Ave", "14607"),
            ("Joseph Ave", "14605"),
            ("Dewey Ave", "14613"),
        ),
        "upstate",
    ),
    "buffalo": Neighbourhood(
        "Buffalo",
        "Erie",
        ("716",),
        (
            ("Bailey Ave", "14211"),
            ("Grant St", "14213"),
            ("Niagara St", "14213"),
            ("Broadway", "14212"),
            ("Jefferson Ave", "14208"),
            ("Fillmore Ave", "14211"),
            ("Sycamore St", "14212"),
        ),
        "upstate",
    ),
}
