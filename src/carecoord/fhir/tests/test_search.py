"""Patient search: the standard parameters, prefixes, paging, sorting, visibility and its audit."""

from __future__ import annotations

import datetime
from urllib.parse import parse_qs, urlsplit

import pytest

from carecoord.audit.models import AuditRecord
from carecoord.fhir.tests.conftest import outcome
from carecoord.testing.factories import make_patient


def ids(bundle):
    return [e["resource"]["id"] for e in bundle.get("entry", [])]


@pytest.fixture
def people(alice_rn, maria):
    """Maria plus three more of Alice's agency."""
    return {
        "maria": maria,
        "ann": make_patient(
            alice_rn,
            family_name="Ambrose",
            given_names="Ann Marie",
            sex="female",
            birth_date=datetime.date(1950, 6, 15),
            email="ann@example.org",
        ),
        "bo": make_patient(
            alice_rn, family_name="Bergstrom", given_names="Bo", sex="male", birth_date=datetime.date(1985, 1, 31)
        ),
        "cy": make_patient(
            alice_rn, family_name="Castillo", given_names="Cy Ann", sex="male", birth_date=datetime.date(1985, 12, 1)
        ),
    }


def test_search_returns_only_visible_people_and_is_audited(alice, eve, people, eve_outsider):
    make_patient(eve_outsider, family_name="Ambrose", given_names="Other")
    bundle = alice.get("Patient", {"family": "ambrose"}).resource
    assert bundle["type"] == "searchset" and bundle["total"] == 1
    assert ids(bundle) == [str(people["ann"].pk)]
    last = AuditRecord.objects.filter(action="search").last()
    assert (last.username, last.object_type, last.detail["results"]) == ("alice_rn", "Patient", ids(bundle))
    assert eve.get("Patient", {"family": "garcia"}).resource["total"] == 0


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"name": "ann"}, {"ann", "cy"}),
        ({"name": "maria garc"}, {"maria"}),
        ({"name": "majo"}, {"maria"}),
        ({"family": "berg"}, {"bo"}),
        ({"family:exact": "Bergstrom"}, {"bo"}),
        ({"family:exact": "bergstrom"}, set()),
        ({"family:contains": "still"}, {"cy"}),
        ({"given": "marie"}, {"ann"}),
        ({"given:exact": "Bo"}, {"bo"}),
        ({"gender": "male"}, {"bo", "cy"}),
        ({"birthdate": "1985"}, {"bo", "cy"}),
        ({"birthdate": "1985-01"}, {"bo"}),
        ({"birthdate": "1985-12-01"}, {"cy"}),
        ({"birthdate": "lt1960-01-01"}, {"ann"}),
        ({"birthdate": "ge1985-02"}, {"cy"}),
        ({"birthdate": "gt1985-01-31"}, {"cy"}),
        ({"birthdate": "le1985-01-31", "gender": "male"}, {"bo"}),
        ({"birthdate": "ne1985-01-31", "gender": "male"}, {"cy"}),
        ({"telecom": "ann@example.org"}, {"ann"}),
        ({"address-postalcode": "112"}, {"maria", "ann", "bo", "cy"}),
        ({"address-postalcode": "10001"}, set()),
        ({"family": "ambrose,castillo"}, {"ann", "cy"}),
    ],
)
def test_parameters(alice, people, params, expected):
    bundle = alice.get("Patient", params).resource
    assert set(ids(bundle)) == {str(people[k].pk) for k in expected}
    assert bundle["total"] == len(expected)


def test_identifier_telecom_and_id(alice, people):
    cin = people["bo"].identifiers.get()
    assert ids(alice.get("Patient", {"identifier": f"{cin.system}|{cin.value}"}).resource) == [str(people["bo"].pk)]
    assert ids(alice.get("Patient", {"identifier": cin.value}).resource) == [str(people["bo"].pk)]
    assert ids(alice.get("Patient", {"identifier": f"urn:other|{cin.value}"}).resource) == []
    phone = people["cy"].phones.get()
    assert ids(alice.get("Patient", {"telecom": phone.number}).resource) == [str(people["cy"].pk)]
    assert ids(alice.get("Patient", {"_id": str(people["ann"].pk)}).resource) == [str(people["ann"].pk)]
    assert ids(alice.get("Patient", {"_id": "nonsense"}).resource) == []


def test_last_updated(alice, people):
    today = datetime.date.today()
    assert alice.get("Patient", {"_lastUpdated": f"ge{today - datetime.timedelta(days=1)}"}).resource["total"] == 4
    assert alice.get("Patient", {"_lastUpdated": f"lt{today - datetime.timedelta(days=1)}"}).resource["total"] == 0
    assert alice.get("Patient", {"_lastUpdated": "gt2000-01-01T00:00:00Z"}).resource["total"] == 4


def test_paging_with_count_and_next_links(alice, people):
    first = alice.get("Patient", {"_count": "3", "gender": "male,female"}).resource
    assert first["total"] == 4 and len(first["entry"]) == 3
    links = {link["relation"]: link["url"] for link in first["link"]}
    assert "previous" not in links
    query = parse_qs(urlsplit(links["next"]).query)
    assert query == {"gender": ["male,female"], "_count": ["3"], "_offset": ["3"]}
    second = alice.get("Patient", {k: v[0] for k, v in query.items()}).resource
    assert len(second["entry"]) == 1 and "next" not in {link["relation"] for link in second["link"]}
    assert set(ids(first)) | set(ids(second)) == {str(p.pk) for p in people.values()}


def test_default_order_and_sort(alice, people):
    assert ids(alice.get("Patient").resource) == [str(people[k].pk) for k in ("ann", "bo", "cy", "maria")]
    by_birth = ids(alice.get("Patient", {"_sort": "-birthdate"}).resource)
    assert by_birth[0] == str(people["cy"].pk) and by_birth[-1] == str(people["ann"].pk)


def test_count_is_capped_and_zero_gives_only_total(alice, people):
    assert alice.get("Patient", {"_count": "500"}).resource["link"][0]["url"].count("_count=100") == 1
    bundle = alice.get("Patient", {"_count": "0"}).resource
    assert bundle["total"] == 4 and "entry" not in bundle


@pytest.mark.parametrize(
    "params",
    [
        {"shoe-size": "9"},
        {"name:fuzzy": "x"},
        {"birthdate": "last tuesday"},
        {"birthdate": "1985-02-30"},
        {"_count": "many"},
        {"_sort": "shoe-size"},
        {"gender": ""},
    ],
)
def test_bad_parameters_are_400(alice, people, params):
    body = outcome(alice.get("Patient", params), 400)
    assert body["issue"][0]["expression"]


def test_lenient_handling_ignores_unknown_parameters(alice, people):
    response = alice.get("Patient", {"shoe-size": "9", "family": "berg"}, Prefer="handling=lenient")
    assert ids(response.resource) == [str(people["bo"].pk)]
