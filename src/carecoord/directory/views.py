"""Directory pages: the search (/directory/, results as you type) and one service (/directory/services/<id>/).

Any signed-in user may search: the directory holds no PHI. Opened for a person (``?patient=<id>``), the page fetches
the record through ``patients.access`` (audited; 403/404 when the user may not see it) to search near their home and
prefill their age, language and residency, and shows the refer action (``directory/_refer_action.html``).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import render
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.views.decorators.vary import vary_on_headers

from carecoord.common.errors import ValidationFailed
from carecoord.directory.forms import FIELDS, PAGE_SIZE, DirectorySearchForm
from carecoord.directory.geo import normalize_zip
from carecoord.directory.languages import language_name
from carecoord.directory.queries import get_service, places_of
from carecoord.directory.search import NEED_LABELS, SearchResults, age_words, local_moment, search_services
from carecoord.patients.access import access_patient
from carecoord.patients.models import Patient
from carecoord.web.decorators import is_htmx, page_fetch, staff_user
from carecoord.web.forms import add_domain_error, problems_of


def _person(request: HttpRequest) -> Patient | None:
    patient_id = request.GET.get("patient", "").strip()
    if not patient_id:
        return None
    return page_fetch(access_patient, staff_user(request), patient_id, detail={"purpose": "directory search"})


def _home_zip(patient: Patient) -> str:
    for address in patient.addresses.all():
        if address.end_date is None and normalize_zip(address.postal_code):
            return normalize_zip(address.postal_code)
    return ""


def _search_data(request: HttpRequest, patient: Patient | None) -> QueryDict:
    """The query string, with the person's ZIP, age and language filled in where the URL says nothing of them."""
    data = request.GET.copy()
    if patient is not None and not any(name in data for name in FIELDS):
        home = _home_zip(patient)
        defaults = {"zip": home, "radius": "10" if home else "", "residence": home, "age": str(patient.age())}
        if patient.preferred_language and patient.preferred_language.lower() not in ("en", "en-us"):
            defaults["language"] = language_name(patient.preferred_language.split("-")[0])
        for name, value in defaults.items():
            data[name] = value
    return data


def _page_links(form: DirectorySearchForm, results: SearchResults, patient: Patient | None) -> dict[str, str]:
    page = form.cleaned_data.get("page") or 1
    base = {name: form.data.get(name, "") for name in FIELDS if form.data.get(name)}
    if patient is not None:
        base["patient"] = str(patient.pk)
    links = {}
    if page > 1:
        links["previous"] = "?" + urlencode({**base, "page": page - 1})
    if page * PAGE_SIZE < results.total:
        links["next"] = "?" + urlencode({**base, "page": page + 1})
    return links


@login_required
@vary_on_headers("HX-Request")
def search(request: HttpRequest) -> HttpResponse:
    """The search page, or only its results for htmx (the same URL: the browser keeps the two apart by ``Vary``,
    and never stores the fragment, so that going back shows the whole page)."""
    patient = _person(request)
    form = DirectorySearchForm(_search_data(request, patient))
    results: SearchResults | None = None
    if form.is_valid() and form.has_criteria():
        try:
            results = search_services(form.to_query())
        except ValidationFailed as error:
            add_domain_error(form, error, field_map={"radius_km": "radius", "residence_zip": "residence"})
    context: dict[str, Any] = {
        "form": form,
        "results": results,
        "patient": patient,
        "problems": problems_of(form),
        "pages": _page_links(form, results, patient) if results is not None else {},
        "first": ((form.cleaned_data.get("page") or 1) - 1) * PAGE_SIZE + 1 if results is not None else 0,
        "need_labels": NEED_LABELS,
    }
    htmx = getattr(request, "htmx", None)
    if is_htmx(request) and not (htmx and htmx.history_restore_request):
        response = render(request, "directory/_results.html", context)
        add_never_cache_headers(response)
        return response
    return render(request, "directory/search.html", context, status=200 if form.is_valid() else 400)


@login_required
def service_detail(request: HttpRequest, service_id: int) -> HttpResponse:
    patient = _person(request)
    service = page_fetch(get_service, service_id)
    today = local_moment(timezone.now()).date()
    places, own_week = places_of(service, today)
    back = request.GET.get("back", "")
    return render(
        request,
        "directory/service.html",
        {
            "service": service,
            "patient": patient,
            "places": places,
            "own_week": own_week,
            "ages": age_words(service.minimum_age, service.maximum_age),
            "free": any(row.free for row in service.search_rows.all()),
            "needs": sorted({NEED_LABELS.get(t.need_category, "") for t in service.taxonomy_terms.all()} - {""}),
            "back": back if back.startswith("/directory/") else "",
        },
    )
