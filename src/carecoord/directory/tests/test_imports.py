"""Directory import and export through the command line, on the HSDS and Ohana data in ../shared/data/hsds."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from carecoord.directory.models import (
    Address,
    Language,
    Location,
    Phone,
    ResourceOrganization,
    Schedule,
    Service,
    ServiceAtLocation,
    TaxonomyTerm,
)
from carecoord.testing.cli import run_carecoord

HSDS = Path(__file__).resolve().parents[4].parent / "shared" / "data" / "hsds"
OHANA = HSDS / "ohana-api-smc" / "sample-csv"
FIXTURES = HSDS / "ohana-api-smc" / "import-fixtures-incl-invalid"
SERVICE_FULL = HSDS / "hsds3-spec-examples" / "service_full.json"

pytestmark = [pytest.mark.django_db, pytest.mark.skipif(not HSDS.is_dir(), reason="../shared/data is not present")]


def counts() -> dict[str, int]:
    return {
        model.__name__: model.objects.count()
        for model in (ResourceOrganization, Location, Service, ServiceAtLocation, Address, Phone, Schedule, Language)
    }


def test_ohana_sample_imports_cleanly_and_again_unchanged(capsys, monkeypatch):
    status, out, _ = run_carecoord(capsys, monkeypatch, "directory-import", str(OHANA))
    assert status == 0, out
    assert ResourceOrganization.objects.count() == 8
    assert Location.objects.count() == 22
    assert Service.objects.count() == 23
    assert "0 rejected" in out.splitlines()[-1]
    fair_oaks = Location.objects.get(source="sample-csv", external_id="1")
    assert fair_oaks.organization.name == "Peninsula Family Service"
    assert fair_oaks.addresses.get(address_type="physical").city == "Redwood City"
    assert sorted(lang.name for lang in fair_oaks.languages.all()) == ["Spanish", "Tagalog"]
    weekly = Schedule.objects.filter(location__external_id="22", freq="WEEKLY").order_by("id")
    assert [(s.byday, s.opens_at.isoformat(), s.closes_at.isoformat()) for s in weekly][:1] == [
        ("MO", "08:00:00", "17:00:00")
    ]
    afternoon = Schedule.objects.get(service__external_id="22", external_id="9")
    assert afternoon.closes_at.isoformat() == "16:00:00"  # "4:00 PM"
    service = Service.objects.filter(taxonomy_terms__isnull=False, source="sample-csv").distinct().get()
    needs = {term.code: term.need_category for term in service.taxonomy_terms.all()}
    assert needs["105"] == "transportation-insecurity"
    assert TaxonomyTerm.objects.get(code="102").need_category == "food-insecurity"
    assert TaxonomyTerm.objects.get(code="110").need_category == "employment-status"
    before = counts()

    status, out, _ = run_carecoord(capsys, monkeypatch, "directory-import", str(OHANA))
    assert status == 0
    assert out.splitlines()[-1].endswith("0 added, 0 updated, 366 unchanged, 0 rejected")
    assert counts() == before


def ohana_set(folder: Path, **files: str) -> Path:
    """A folder of Ohana CSV files, each copied from one of Ohana's importer fixtures."""
    folder.mkdir()
    for target, fixture in files.items():
        shutil.copy(FIXTURES / fixture, folder / f"{target}.csv")
    return folder


def test_invalid_ohana_rows_are_rejected_with_reasons_and_nothing_of_them_written(capsys, monkeypatch, tmp_path):
    folder = ohana_set(
        tmp_path / "harvest",
        organizations="invalid_org.csv",
        locations="invalid_location.csv",
        addresses="invalid_address.csv",
        phones="invalid_phone.csv",
        contacts="invalid_contact.csv",
        regular_schedules="invalid_regular_schedule.csv",
        holiday_schedules="invalid_holiday_schedule.csv",
        taxonomy="invalid_parent_category.csv",
    )
    status, out, _ = run_carecoord(capsys, monkeypatch, "directory-import", str(folder))
    lines = out.splitlines()
    assert "organizations.csv row 2: rejected organization 1: name: is required" in lines
    assert (
        "taxonomy.csv row 2: rejected taxonomy_term 101-01: parent_id: category '0' is not earlier in taxonomy.csv"
        in lines
    )
    assert any(line.startswith("locations.csv row 2: rejected location 1: organization_id:") for line in lines)
    assert any(line.startswith("locations.csv row 3: rejected location 3: organization_id:") for line in lines)
    assert any(line.startswith("phones.csv row 2: rejected phone 1: number_type: is required") for line in lines)
    assert any(
        line.startswith("regular_schedules.csv row 2: rejected schedule 1: closes_at: is required") for line in lines
    )
    assert any(
        line.startswith("holiday_schedules.csv row 2: rejected schedule 1: closed: is required") for line in lines
    )
    assert "organizations.csv row 3: added organization 2" in lines
    assert status == 0  # organization 2 is valid and went in
    assert list(ResourceOrganization.objects.values_list("external_id", flat=True)) == ["2"]
    assert Location.objects.count() == 0 and Address.objects.count() == 0 and Phone.objects.count() == 0


def test_all_or_nothing_writes_nothing_when_a_row_is_bad(capsys, monkeypatch, tmp_path):
    folder = ohana_set(tmp_path / "harvest", organizations="invalid_org.csv")
    status, out, _ = run_carecoord(capsys, monkeypatch, "directory-import", "--all-or-nothing", str(folder))
    assert status == 1
    assert "(nothing written)" in out.splitlines()[-1]
    assert ResourceOrganization.objects.count() == 0


def test_dates_ohana_accepts_and_the_one_it_does_not(capsys, monkeypatch, tmp_path):
    for name in ("org_with_2_digit_year", "org_with_spelled_out_date", "org_with_invalid_date"):
        folder = ohana_set(tmp_path / name, organizations=f"{name}.csv")
        status, out, _ = run_carecoord(capsys, monkeypatch, "directory-import", "--dry-run", str(folder))
        if name == "org_with_invalid_date":
            assert status == 1
            assert "date_incorporated: '24/2/70' is not a valid date" in out
        else:
            assert status == 0, out
    assert ResourceOrganization.objects.count() == 0  # dry runs write nothing


def test_hsds3_json_fields_and_export_round_trip(capsys, monkeypatch, tmp_path):
    status, out, _ = run_carecoord(capsys, monkeypatch, "directory-import", str(SERVICE_FULL), "--source", "example")
    assert status == 0, out
    service = Service.objects.get(source="example")
    assert service.organization.name == "Example Organization Inc."
    assert (service.minimum_age, service.maximum_age) == (12, 100)
    assert service.assured_date.isoformat() == "2005-01-01"
    hours = service.schedules.get()
    assert (hours.freq, hours.byday, hours.opens_at.isoformat()) == ("WEEKLY", "TH,FR", "10:00:00")
    assert [(lang.name, lang.code) for lang in service.languages.all()] == [("Urdu", "ur")]
    assert service.cost_options.get().amount is not None
    at = ServiceAtLocation.objects.get(source="example")
    assert at.location.addresses.exists()
    assert at.location.accessibility.exists()
    before = counts()

    exported = tmp_path / "export.json"
    status, _, _ = run_carecoord(capsys, monkeypatch, "directory-export", "--source", "example", "--out", str(exported))
    assert status == 0
    page = json.loads(exported.read_text())
    assert page["total_items"] == 1 and page["contents"][0]["id"] == service.external_id
    status, out, _ = run_carecoord(capsys, monkeypatch, "directory-import", str(exported), "--source", "example")
    assert status == 0
    assert out.splitlines()[-1].endswith("0 added, 0 updated, 5 unchanged, 0 rejected")
    assert counts() == before


def test_unreadable_paths_exit_1(capsys, monkeypatch, tmp_path):
    status, _, err = run_carecoord(capsys, monkeypatch, "directory-import", str(tmp_path / "missing"))
    assert status == 1 and "No such file" in err
    (tmp_path / "empty").mkdir()
    status, _, err = run_carecoord(capsys, monkeypatch, "directory-import", str(tmp_path / "empty"))
    assert status == 1 and "Ohana" in err
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    status, out, _ = run_carecoord(capsys, monkeypatch, "directory-import", str(broken))
    assert status == 1 and "not JSON" in out


HSDS3_CSV = HSDS / "hsds3-spec-examples" / "csv"
HSDS1 = HSDS / "hsds1.1-sample-data" / "all_resources"


def test_hsds3_data_package_imports_the_example_and_again_unchanged(capsys, monkeypatch):
    status, out, _ = run_carecoord(capsys, monkeypatch, "directory-import", str(HSDS3_CSV), "--source", "tabular")
    assert status == 0, out
    assert out.splitlines()[-1].endswith("5 added, 0 updated, 0 unchanged, 0 rejected")
    assert "organization_id '985e4a42-bd9f-4edc-911d-0243a4640aca' is not in this data" in out
    service = Service.objects.get(source="tabular")
    assert service.status == "active" and service.minimum_age == 12
    hours = service.schedules.get()
    assert (hours.byday, hours.opens_at.isoformat(), hours.closes_at.isoformat()) == ("TH,FR", "10:00:00", "18:00:00")
    assert [(lang.name, lang.code) for lang in service.languages.all()] == [("Urdu", "ur")]
    assert service.phones.get().languages == "Urdu"
    assert service.contacts.get().phones.get().number == '"+44 1234 234567"'
    cost = service.cost_options.get()
    assert (str(cost.amount), cost.currency) == ("35.00", "GBP")
    location = Location.objects.get(source="tabular")
    assert location.organization is None
    assert location.addresses.get().address_type == "postal"
    before = counts()
    status, out, _ = run_carecoord(capsys, monkeypatch, "directory-import", str(HSDS3_CSV), "--source", "tabular")
    assert status == 0 and out.splitlines()[-1].endswith("0 added, 0 updated, 5 unchanged, 0 rejected")
    assert counts() == before


def test_hsds3_rejected_service_takes_its_service_at_location_with_it(capsys, monkeypatch, tmp_path):
    folder = tmp_path / "broken"
    shutil.copytree(HSDS3_CSV, folder)
    services = (folder / "services.csv").read_text(encoding="utf-8")
    (folder / "services.csv").write_text(services.replace(",active,", ",open,", 1), encoding="utf-8")
    status, out, _ = run_carecoord(capsys, monkeypatch, "directory-import", str(folder))
    lines = out.splitlines()
    assert (
        "services.csv row 2: rejected service ac148810-d857-441c-9679-408f346de14b: status: 'open' is not one of "
        "active, inactive, defunct, temporarily closed" in lines
    )
    assert (
        "service_at_location.csv row 2: rejected service_at_location e94c9f38-1e8f-4564-91d4-d53501ab1765: "
        "service_id: service 'ac148810-d857-441c-9679-408f346de14b' was rejected" in lines
    )
    assert status == 0  # the organization, location and term are fine
    assert Service.objects.count() == 0 and ServiceAtLocation.objects.count() == 0
    assert Schedule.objects.filter(service__isnull=False).count() == 0
    assert Location.objects.get().schedules.count() == 1


def test_hsds1_sample_package(capsys, monkeypatch):
    status, out, _ = run_carecoord(capsys, monkeypatch, "directory-import", str(HSDS1 / "datapackage.json"))
    assert status == 0, out
    assert out.splitlines()[-1].startswith("HSDS 1.x tabular data package from source 'all_resources'")
    assert "0 rejected" in out.splitlines()[-1]
    assert (ResourceOrganization.objects.count(), Location.objects.count()) == (10, 10)
    assert (Service.objects.count(), ServiceAtLocation.objects.count()) == (13, 13)
    helpline = Service.objects.get(name="Never Homeless Helpline")
    assert helpline.eligibility_description == "adult"
    assert sorted(helpline.languages.values_list("name", flat=True)) == ["English", "Spanish"]
    weekly = helpline.schedules.filter(freq="WEEKLY").order_by("byday")
    assert [(s.byday, s.opens_at.isoformat()) for s in weekly] == [("MO", "09:00:00"), ("TU", "09:00:00"),
                                                                   ("WE", "09:00:00")]  # fmt: skip
    closure = helpline.schedules.get(closed=True)
    assert (closure.valid_from.isoformat(), closure.valid_to.isoformat()) == ("2019-12-24", "2019-12-26")


def test_rows_without_parents_are_rejected_and_nothing_imported_exits_1(capsys, monkeypatch, tmp_path):
    folder = ohana_set(
        tmp_path / "orphans",
        services="invalid_service_location.csv",
        contacts="contact_with_no_parent.csv",
        phones="phone_with_no_parent.csv",
        regular_schedules="regular_schedule_with_no_parent.csv",
        holiday_schedules="holiday_schedule_with_no_parent.csv",
        mail_addresses="invalid_mail_address_location.csv",
    )
    status, out, _ = run_carecoord(capsys, monkeypatch, "directory-import", str(folder))
    lines = out.splitlines()
    assert status == 1
    assert lines[-1].endswith("6 records: 0 added, 0 updated, 0 unchanged, 6 rejected")
    assert (
        "services.csv row 2: rejected service 1: location_id: location '100' is not in this data (or was rejected)"
        in lines
    )
    assert (
        "contacts.csv row 2: rejected contact 1: location_id / organization_id / service_id: the row belongs to nothing"
        in (lines)
    )
    assert counts() == dict.fromkeys(counts(), 0)


def test_import_is_audited_on_the_cli_channel(capsys, monkeypatch):
    from carecoord.audit.models import AuditRecord

    status, _, _ = run_carecoord(capsys, monkeypatch, "directory-import", str(SERVICE_FULL), "--source", "example")
    assert status == 0
    entry = AuditRecord.objects.get(object_type="Directory")
    assert (entry.object_id, entry.channel, entry.action) == ("example", "cli", "update")
    assert entry.detail["added"] == 5


def test_changed_record_is_updated_and_its_details_replaced(capsys, monkeypatch, tmp_path):
    folder = tmp_path / "ohana"
    shutil.copytree(OHANA, folder)
    status, _, _ = run_carecoord(capsys, monkeypatch, "directory-import", str(folder), "--source", "smc")
    assert status == 0
    before = counts()
    phones = (folder / "phones.csv").read_text(encoding="utf-8")
    (folder / "phones.csv").write_text(phones.replace("650 780-7525", "650 780-7000", 1), encoding="utf-8")
    status, out, _ = run_carecoord(capsys, monkeypatch, "directory-import", str(folder), "--source", "smc")
    assert status == 0
    assert "locations.csv row 2: updated location 1" in out.splitlines()
    assert out.splitlines()[-1].endswith("0 added, 1 updated, 365 unchanged, 0 rejected")
    assert counts() == before
    numbers = set(Location.objects.get(source="smc", external_id="1").phones.values_list("number", flat=True))
    assert "650 780-7000" in numbers and "650 780-7525" not in numbers


def test_hsds3_json_detail_without_a_required_field_is_rejected_by_its_path(capsys, monkeypatch, tmp_path):
    document = json.loads(SERVICE_FULL.read_text(encoding="utf-8"))
    for location in (document["organization"]["locations"][0], document["service_at_locations"][0]["location"]):
        location["addresses"][0]["city"] = ""
    broken = tmp_path / "service.json"
    broken.write_text(json.dumps(document), encoding="utf-8")
    status, out, _ = run_carecoord(capsys, monkeypatch, "directory-import", str(broken))
    assert status == 0
    address_id = document["organization"]["locations"][0]["addresses"][0]["id"]
    assert (
        f"service.json: rejected address {address_id}: service.organization.locations[0].addresses[0].city: is required"
        in (out.splitlines())
    )
    assert Location.objects.get().addresses.count() == 0
