"""Directory search (search.search_services) over records imported through the import action."""

from __future__ import annotations

import datetime
import math
from pathlib import Path

import pytest

from carecoord.common.errors import ValidationFailed
from carecoord.directory.geo import zip_point
from carecoord.directory.hours import is_open
from carecoord.directory.models import SearchHours, Service, ServiceSearchRow
from carecoord.directory.search import ServiceQuery, search_services
from carecoord.directory.tests.builders import WEEKDAYS_9_TO_5, import_services, location, service
from carecoord.testing.cli import run_carecoord

pytestmark = pytest.mark.django_db

HSDS = Path(__file__).resolve().parents[4].parent / "shared" / "data" / "hsds"
MONDAY = datetime.date(2026, 11, 30)  # a Monday
NOW = datetime.datetime(2026, 11, 30, 10, 0)  # local time, Monday 10 am


def names(query: ServiceQuery, **kwargs) -> list[str]:
    return [hit.service.name for hit in search_services(query, **kwargs).hits]


def test_free_text_matches_words_and_word_starts_in_names_descriptions_and_terms(tmp_path):
    import_services(
        tmp_path,
        service("Harlem Food Pantry", locations=[location("10027")]),
        service(
            "Groceries for Seniors", description="Weekly grocery bags for older adults", locations=[location("10026")]
        ),
        service("Tenant Help", terms=["Housing Counseling"], locations=[location("10029")]),
    )
    assert names(ServiceQuery(text="pantry")) == ["Harlem Food Pantry"]
    assert names(ServiceQuery(text="PANT")) == ["Harlem Food Pantry"]
    assert names(ServiceQuery(text="grocery bags")) == ["Groceries for Seniors"]
    assert names(ServiceQuery(text="counseling")) == ["Tenant Help"]
    assert names(ServiceQuery(text="food pantry near me")) == ["Harlem Food Pantry"]
    assert names(ServiceQuery(text="pantry housing")) == []
    assert sorted(names(ServiceQuery(text="harlem"))) == ["Groceries for Seniors", "Harlem Food Pantry", "Tenant Help"]


def test_need_and_taxonomy_term_filters(tmp_path):
    import_services(
        tmp_path,
        service("Pantry", terms=["Food Pantry"], locations=[location("10027")]),
        service("Shelter", terms=["Emergency Shelter"], locations=[location("10027")]),
        service("Legal aid", locations=[location("10027")]),
    )
    assert names(ServiceQuery(needs=("food-insecurity",))) == ["Pantry"]
    assert sorted(names(ServiceQuery(needs=("food-insecurity", "housing-instability")))) == ["Pantry", "Shelter"]
    assert names(ServiceQuery(taxonomy_terms=("Emergency Shelter",))) == []  # codes have no spaces in the index
    import_services(tmp_path, service("Meals", terms=["BD-1800"], locations=[location("10027")]))
    assert names(ServiceQuery(taxonomy_terms=("BD-1800",))) == ["Meals"]
    hit = search_services(ServiceQuery(needs=("food-insecurity",))).hits[0]
    assert "meets food insecurity" in hit.reasons


def _law_of_cosines_km(a, b):
    """Great-circle distance by the spherical law of cosines (an independent formula from geo's haversine)."""
    p1, p2, dl = math.radians(a.lat), math.radians(b.lat), math.radians(b.lon - a.lon)
    return 6371.0088 * math.acos(math.sin(p1) * math.sin(p2) + math.cos(p1) * math.cos(p2) * math.cos(dl))


def test_distance_from_a_zip_is_exact_and_filters_by_radius(tmp_path):
    import_services(
        tmp_path,
        service("Near", locations=[location("10026")]),
        service("Across town", locations=[location("11201")]),
        service("Upstate", locations=[location("14850")]),
        service("Mapped", locations=[location("10027", latitude=40.8116, longitude=-73.955)]),
    )
    harlem = zip_point("10027")
    results = search_services(ServiceQuery(near=harlem, radius_km=5))
    assert [hit.service.name for hit in results.hits] == ["Mapped", "Near"]
    assert results.hits[0].distance_km == pytest.approx(0.0, abs=1e-6)
    expected = _law_of_cosines_km(harlem, zip_point("10026"))
    assert results.hits[1].distance_km == pytest.approx(expected, abs=0.01)
    assert f"{expected:.1f} km away" in results.hits[1].reasons
    wide = search_services(ServiceQuery(near=harlem, radius_km=20))
    assert [hit.service.name for hit in wide.hits] == ["Mapped", "Near", "Across town"]
    far = search_services(ServiceQuery(near=harlem))  # no radius: everything, nearest first
    assert [hit.service.name for hit in far.hits][-1] == "Upstate"
    assert far.hits[-1].distance_km == pytest.approx(_law_of_cosines_km(harlem, zip_point("14850")), abs=0.05)


def test_open_now_weekly_hours(tmp_path):
    import_services(
        tmp_path,
        service("Weekdays", locations=[location("10027", schedules=WEEKDAYS_9_TO_5)]),
        service(
            "Saturdays",
            schedules=[{"id": "s", "freq": "WEEKLY", "byday": "SA", "opens_at": "10:00", "closes_at": "14:00"}],
        ),
        service("No hours", locations=[location("10027")]),
    )
    assert names(ServiceQuery(open_at=NOW)) == ["Weekdays"]
    assert names(ServiceQuery(open_at=NOW.replace(hour=8, minute=59))) == []
    assert names(ServiceQuery(open_at=NOW.replace(hour=17, minute=0))) == []  # closing minute excluded
    saturday = datetime.datetime(2026, 12, 5, 11, 30)
    assert names(ServiceQuery(open_at=saturday)) == ["Saturdays"]
    assert names(ServiceQuery(open_on=6)) == ["Saturdays"]
    assert names(ServiceQuery(open_on=3)) == ["Weekdays"]
    hit = search_services(ServiceQuery(open_at=NOW)).hits[0]
    assert hit.status.open and "open Mon 10 am until 5 pm" in hit.reasons
    aware = datetime.datetime(2026, 11, 30, 15, 0, tzinfo=datetime.UTC)  # 10 am in New York
    assert names(ServiceQuery(open_at=aware)) == ["Weekdays"]
    closed = search_services(ServiceQuery(text="weekdays"), now=saturday).hits[0]
    assert closed.status_text == "closed now, opens Mon 9 am"


def test_open_now_honours_a_holiday_closure_and_valid_dates(tmp_path):
    holiday = [
        *WEEKDAYS_9_TO_5,
        {"id": "xmas", "valid_from": "2026-12-25", "valid_to": "2026-12-25", "closed": True},
    ]
    summer = [
        {"id": "summer", "freq": "WEEKLY", "byday": "MO", "opens_at": "09:00", "closes_at": "12:00",
         "valid_from": "2026-06-01", "valid_to": "2026-09-01"},
    ]  # fmt: skip
    short_day = [
        *WEEKDAYS_9_TO_5,
        {"id": "eve", "valid_from": "2026-12-24", "valid_to": "2026-12-24", "opens_at": "09:00", "closes_at": "12:00"},
    ]
    import_services(
        tmp_path,
        service("Closes for Christmas", locations=[location("10027", schedules=holiday)]),
        service("Summer Mondays", schedules=summer),
        service("Short Christmas Eve", locations=[location("10026", schedules=short_day)]),
    )
    christmas = datetime.datetime(2026, 12, 25, 10, 0)  # a Friday
    assert names(ServiceQuery(open_at=christmas)) == ["Short Christmas Eve"]
    assert sorted(names(ServiceQuery(open_at=christmas - datetime.timedelta(days=7)))) == [
        "Closes for Christmas",
        "Short Christmas Eve",
    ]
    eve_afternoon = datetime.datetime(2026, 12, 24, 14, 0)
    assert names(ServiceQuery(open_at=eve_afternoon)) == ["Closes for Christmas"]
    assert sorted(names(ServiceQuery(open_at=eve_afternoon.replace(hour=11)))) == [
        "Closes for Christmas",
        "Short Christmas Eve",
    ]
    assert sorted(names(ServiceQuery(open_at=datetime.datetime(2026, 7, 6, 10, 0)))) == [
        "Closes for Christmas",
        "Short Christmas Eve",
        "Summer Mondays",
    ]
    assert "Summer Mondays" not in names(ServiceQuery(open_at=datetime.datetime(2026, 9, 7, 10, 0)))
    assert "Summer Mondays" not in names(ServiceQuery(open_on=1))  # its dates are past on 30 Nov 2026
    winter = search_services(ServiceQuery(text="christmas"), now=christmas).hits
    assert {hit.service.name: hit.hours_today for hit in winter} == {
        "Closes for Christmas": "closed",
        "Short Christmas Eve": "9 am to 5 pm",
    }


def test_sql_open_filter_agrees_with_the_hours_reference_over_a_week(tmp_path):
    """Every hour of a week with a holiday: the SQL filter and hours.is_open name the same rows."""
    overnight = [{"id": "late", "freq": "WEEKLY", "byday": "FR", "opens_at": "20:00", "closes_at": "02:00"}]
    daily = [{"id": "d", "freq": "DAILY", "opens_at": "07:00", "closes_at": "00:00"}]
    yearly = [*WEEKDAYS_9_TO_5, {"id": "ny", "freq": "YEARLY", "valid_from": "0001-12-28", "valid_to": "0001-01-02",
                                 "closed": True}]  # fmt: skip
    import_services(
        tmp_path,
        service("Overnight", schedules=overnight),
        service("Daily", schedules=daily),
        service("New Year break", schedules=yearly),
        service("Weekdays", schedules=WEEKDAYS_9_TO_5),
    )
    rows = {row.service.name: list(row.hours.all()) for row in ServiceSearchRow.objects.select_related("service")}
    start = datetime.datetime(2026, 12, 28, 0, 30)
    for hour in range(0, 24 * 8, 1):
        moment = start + datetime.timedelta(hours=hour)
        expected = sorted(name for name, hours in rows.items() if is_open(hours, moment))
        assert sorted(names(ServiceQuery(open_at=moment))) == expected, moment
    assert "New Year break" not in names(ServiceQuery(open_at=datetime.datetime(2027, 1, 1, 10, 0)))
    assert "New Year break" in names(ServiceQuery(open_at=datetime.datetime(2027, 1, 4, 10, 0)))
    assert names(ServiceQuery(open_at=datetime.datetime(2027, 1, 2, 1, 0))) == ["Overnight"]  # Friday night on
    assert sorted(names(ServiceQuery(open_at=datetime.datetime(2027, 1, 2, 23, 0)))) == ["Daily"]


def test_language_by_name_and_by_code(tmp_path):
    import_services(
        tmp_path,
        service("Spanish by name", languages=[{"id": "l1", "name": "Spanish"}], locations=[location("10027")]),
        service("Spanish by code", languages=[{"id": "l2", "code": "es"}]),
        service(
            "Mandarin at the site",
            locations=[location("10027", languages=[{"id": "l3", "name": "Chinese (Mandarin)"}])],
        ),
        service("English", languages=[{"id": "l4", "name": "English", "code": "en"}]),
    )
    spanish = ["Spanish by code", "Spanish by name"]
    assert sorted(names(ServiceQuery(language="Spanish"))) == spanish
    assert sorted(names(ServiceQuery(language="es"))) == spanish
    assert sorted(names(ServiceQuery(language="spa"))) == spanish
    assert sorted(names(ServiceQuery(language="español"))) == spanish
    assert names(ServiceQuery(language="Mandarin")) == ["Mandarin at the site"]
    assert names(ServiceQuery(language="Chinese")) == ["Mandarin at the site"]
    assert names(ServiceQuery(language="Klingon")) == []
    hit = search_services(ServiceQuery(language="es", text="name")).hits[0]
    assert "speaks Spanish" in hit.reasons


def test_age_and_residency_eligibility(tmp_path):
    import_services(
        tmp_path,
        service("Seniors", minimum_age=60, locations=[location("10027")]),
        service("Youth", minimum_age=14, maximum_age=24, locations=[location("10027")]),
        service("Anyone", locations=[location("10027")]),
        service("Manhattan only", service_areas=[{"id": "a1", "name": "New York County"}]),
        service("Tompkins only", service_areas=[{"id": "a2", "name": "Tompkins County, Cortland County"}]),
        service(
            "Listed ZIPs",
            service_areas=[
                {"id": "a3", "name": "Upper Manhattan", "extent": "10026, 10027", "extent_type": "postal_code"}
            ],
        ),
        service("New York State", service_areas=[{"id": "a4", "name": "New York State"}]),
    )
    assert names(ServiceQuery(age=70, text="seniors")) == ["Seniors"]
    assert names(ServiceQuery(age=59, text="seniors")) == []
    ages = {age: sorted(names(ServiceQuery(age=age, limit=50))) for age in (10, 20, 65)}
    assert "Seniors" not in ages[10] and "Youth" not in ages[10] and "Anyone" in ages[10]
    assert "Youth" in ages[20] and "Seniors" not in ages[20]
    assert "Seniors" in ages[65] and "Youth" not in ages[65]
    harlem = sorted(names(ServiceQuery(residence_zip="10027", limit=50)))
    assert "Manhattan only" in harlem and "Listed ZIPs" in harlem and "New York State" in harlem
    assert "Tompkins only" not in harlem and "Anyone" in harlem  # no area named: no residency rule
    ithaca = sorted(names(ServiceQuery(residence_zip="14850-1234", limit=50)))
    assert "Tompkins only" in ithaca and "Manhattan only" not in ithaca and "Listed ZIPs" not in ithaca
    brooklyn = names(ServiceQuery(residence_zip="11201", text="listed"))
    assert brooklyn == []
    hit = search_services(ServiceQuery(residence_zip="10027", text="manhattan only", age=30)).hits[0]
    assert "serves 10027" in hit.reasons


def test_free_only(tmp_path):
    import_services(
        tmp_path,
        service("Free by text", fees_description="Free of charge.", locations=[location("10027")]),
        service("None", fees_description="None. Donations welcome."),
        service("Zero cost option", cost_options=[{"id": "c0", "amount": 0, "currency": "USD"}]),
        service("Sliding fee", fees_description="Sliding scale $5-$90"),
        service(
            "Priced", fees_description="Free first visit", cost_options=[{"id": "c1", "amount": 35, "currency": "USD"}]
        ),
        service("Unknown"),
    )
    assert sorted(names(ServiceQuery(free_only=True))) == ["Free by text", "None", "Zero cost option"]
    assert "free" in search_services(ServiceQuery(text="free by text")).hits[0].reasons


def test_inactive_and_defunct_hidden_unless_asked(tmp_path):
    import_services(
        tmp_path,
        service("Open pantry", locations=[location("10027")]),
        service("Closed pantry", status="defunct", locations=[location("10027")]),
    )
    assert names(ServiceQuery(text="pantry")) == ["Open pantry"]
    assert sorted(names(ServiceQuery(text="pantry", include_inactive=True))) == ["Closed pantry", "Open pantry"]


def test_rank_need_then_text_then_distance_then_verification_and_reasons(tmp_path):
    import_services(
        tmp_path,
        service("Far food pantry", terms=["Food Pantry"], locations=[location("11201")], assured_date="2026-10-01"),
        service("Near food pantry", terms=["Food Pantry"], locations=[location("10026")], assured_date="2020-01-01"),
        service(
            "Soup kitchen", description="a food pantry on Fridays", terms=["Free Meals"], locations=[location("10026")]
        ),
        service("Closest clinic", description="food pantry referrals", locations=[location("10027")]),
    )
    results = search_services(ServiceQuery(text="pantry", needs=("food-insecurity",), near=zip_point("10027")), now=NOW)
    assert [hit.service.name for hit in results.hits] == ["Near food pantry", "Far food pantry", "Soup kitchen"]
    top = results.hits[0]
    assert top.reasons[0] == "meets food insecurity"
    assert "name matches “pantry”" in top.reasons
    assert any(reason.endswith("km away") for reason in top.reasons)
    far = results.hits[1]
    assert "verified 2026-10-01" in far.reasons
    everything = search_services(ServiceQuery(text="pantry", near=zip_point("10027")), now=NOW)
    assert next(hit.service.name for hit in everything.hits) == "Near food pantry"
    assert everything.total == 4


def test_filters_combined_and_paging(tmp_path):
    many = [
        service(f"Pantry {n:02d}", terms=["Food Pantry"], languages=[{"id": f"l{n}", "name": "Spanish"}],
                fees_description="Free", locations=[location("10026", schedules=WEEKDAYS_9_TO_5)])
        for n in range(30)
    ]  # fmt: skip
    import_services(
        tmp_path,
        *many,
        service(
            "English pantry",
            terms=["Food Pantry"],
            fees_description="Free",
            locations=[location("10026", schedules=WEEKDAYS_9_TO_5)],
        ),
        service(
            "Spanish but paid",
            terms=["Food Pantry"],
            languages=[{"id": "lx", "name": "Spanish"}],
            cost_options=[{"id": "c", "amount": 5}],
            locations=[location("10026", schedules=WEEKDAYS_9_TO_5)],
        ),
        service(
            "Spanish far",
            terms=["Food Pantry"],
            languages=[{"id": "ly", "name": "Spanish"}],
            fees_description="Free",
            locations=[location("14850", schedules=WEEKDAYS_9_TO_5)],
        ),
    )
    query = ServiceQuery(
        needs=("food-insecurity",), near=zip_point("10027"), radius_km=10, open_at=NOW, language="es",
        free_only=True, age=40, residence_zip="10027", limit=25,
    )  # fmt: skip
    first = search_services(query)
    assert first.total == 30 and len(first.hits) == 25
    second = search_services(ServiceQuery(**{**query.__dict__, "offset": 25}))
    assert len(second.hits) == 5
    assert {hit.service.name for hit in first.hits + second.hits} == {f"Pantry {n:02d}" for n in range(30)}
    one = search_services(ServiceQuery(text="pantry 07", one_per_service=True))
    assert one.total == 1


def test_bad_values_are_validation_errors():
    with pytest.raises(ValidationFailed) as caught:
        search_services(ServiceQuery(radius_km=-1, open_on=9, age=-2, residence_zip="abc", limit=1000, offset=-1))
    assert set(caught.value.errors) == {"radius_km", "open_on", "age", "residence_zip", "limit", "offset"}


def test_reimport_updates_the_index_and_reindex_rebuilds_it(tmp_path, capsys, monkeypatch):
    moving = location("10027", name="Moving site")
    import_services(tmp_path, service("Mover", locations=[moving]), source="moves")
    harlem = zip_point("10027")
    assert names(ServiceQuery(near=harlem, radius_km=2)) == ["Mover"]
    moving["addresses"][0]["postal_code"] = "14850"
    import_services(tmp_path, service("Mover", locations=[moving]), source="moves")  # a new service id, same place
    assert names(ServiceQuery(near=harlem, radius_km=2)) == []
    assert "Mover" in names(ServiceQuery(near=zip_point("14850"), radius_km=2))
    ServiceSearchRow.objects.all().delete()
    assert names(ServiceQuery(text="mover")) == []
    status, out, _ = run_carecoord(capsys, monkeypatch, "directory-reindex")
    assert status == 0 and f"{Service.objects.count()} rows" in out
    assert sorted(names(ServiceQuery(text="mover"))) == ["Mover", "Mover"]
    assert SearchHours.objects.count() == 0


@pytest.mark.skipif(not HSDS.is_dir(), reason="../shared/data is not present")
def test_ohana_and_hsds3_samples_imported_then_searched(capsys, monkeypatch):
    status, _, _ = run_carecoord(capsys, monkeypatch, "directory-import", str(HSDS / "ohana-api-smc" / "sample-csv"))
    assert status == 0
    example = HSDS / "hsds3-spec-examples" / "service_full.json"
    status, _, _ = run_carecoord(capsys, monkeypatch, "directory-import", str(example))
    assert status == 0
    redwood_city = zip_point("94063")
    food = search_services(ServiceQuery(text="food", near=redwood_city, radius_km=25), now=NOW)
    assert food.total >= 1
    assert all(hit.distance_km is not None and hit.distance_km <= 25 for hit in food.hits)
    assert all(hit.address is not None and hit.address.state_province == "CA" for hit in food.hits)
    transport = search_services(ServiceQuery(needs=("transportation-insecurity",)), now=NOW)
    assert transport.total >= 1 and all("meets transportation insecurity" in h.reasons for h in transport.hits)
    spanish = search_services(ServiceQuery(language="Spanish", near=redwood_city, radius_km=10), now=NOW)
    assert spanish.total >= 1 and all("speaks Spanish" in h.reasons for h in spanish.hits)
    county = search_services(ServiceQuery(residence_zip="94063", text="senior peer"), now=NOW)
    assert [hit.service.name for hit in county.hits] == ["Senior Peer Counseling"]
    assert search_services(ServiceQuery(residence_zip="10027", text="senior peer"), now=NOW).total == 0
    # Ohana location 22 is closed on 1 January every year (a holiday dated in year 1).
    new_year = datetime.datetime(2027, 1, 1, 10, 0)
    open_rows = ServiceSearchRow.objects.filter(location__external_id="22", location__source="sample-csv")
    assert open_rows.exists()
    assert all(row.service.name not in names(ServiceQuery(open_at=new_year, limit=100)) for row in open_rows)
