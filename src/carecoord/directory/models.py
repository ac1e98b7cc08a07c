"""The community resource directory, shaped after Open Referral HSDS 3.0 (STANDARDS.md D.4).

Four records have an identity of their own and are keyed on (source, external_id) so that importing the same data
again changes nothing: organizations, locations, services and service-at-location rows (plus taxonomy terms). Their
details (addresses, phones, schedules, languages, ...) belong to one owner and are replaced as a whole when the
owner's content changes; ``content_hash`` says whether it did.
"""

from __future__ import annotations

from django.db import models


class SourcedRecord(models.Model):
    """Fields every keyed directory record carries: where it came from and when it was last seen or verified."""

    source = models.CharField(max_length=80)
    external_id = models.CharField(max_length=200)
    content_hash = models.CharField(max_length=64)
    imported_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class ResourceOrganization(SourcedRecord):
    """An organization listed in the directory (a food bank, a housing agency): not an accounts.Organization, which
    is a tenant of CareCoord."""

    name = models.CharField(max_length=300)
    alternate_name = models.CharField(max_length=300, blank=True)
    description = models.TextField(blank=True)
    email = models.CharField(max_length=254, blank=True)
    website = models.CharField(max_length=500, blank=True)
    tax_status = models.CharField(max_length=100, blank=True)
    tax_id = models.CharField(max_length=100, blank=True)
    year_incorporated = models.PositiveIntegerField(null=True, blank=True)
    legal_status = models.CharField(max_length=200, blank=True)
    uri = models.CharField(max_length=500, blank=True)
    parent_external_id = models.CharField(max_length=200, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["source", "external_id"], name="directory_org_source_id")]

    def __str__(self) -> str:
        return self.name


class LocationType(models.TextChoices):
    PHYSICAL = "physical", "Physical"
    POSTAL = "postal", "Postal"
    VIRTUAL = "virtual", "Virtual"


class Location(SourcedRecord):
    """A place where services are delivered (or a postal or virtual location)."""

    organization = models.ForeignKey(
        ResourceOrganization, null=True, blank=True, on_delete=models.SET_NULL, related_name="locations"
    )
    location_type = models.CharField(max_length=10, choices=LocationType.choices, default=LocationType.PHYSICAL)
    name = models.CharField(max_length=300, blank=True)
    alternate_name = models.CharField(max_length=300, blank=True)
    description = models.TextField(blank=True)
    transportation = models.TextField(blank=True)
    latitude = models.FloatField(null=True, blank=True)
    longitude = models.FloatField(null=True, blank=True)
    url = models.CharField(max_length=500, blank=True)
    email = models.CharField(max_length=254, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["source", "external_id"], name="directory_location_source_id")]

    def __str__(self) -> str:
        return self.name or self.external_id


class ServiceStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    INACTIVE = "inactive", "Inactive"
    DEFUNCT = "defunct", "Defunct"
    TEMPORARILY_CLOSED = "temporarily closed", "Temporarily closed"


class TaxonomyTerm(SourcedRecord):
    """A term of a service taxonomy (Open Eligibility, AIRS/211, ...), with the SDOH need category it meets, if any
    (``needs.py`` holds the mapping)."""

    code = models.CharField(max_length=100, blank=True)
    name = models.CharField(max_length=300)
    description = models.TextField(blank=True)
    parent_external_id = models.CharField(max_length=200, blank=True)
    taxonomy = models.CharField(max_length=200, blank=True)
    term_uri = models.CharField(max_length=500, blank=True)
    need_category = models.CharField(max_length=40, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["source", "external_id"], name="directory_term_source_id")]

    def __str__(self) -> str:
        return self.name


class Service(SourcedRecord):
    """A service an organization offers: what it is, who may use it (eligibility, ages), what it costs, and when
    its details were last verified (``assured_date``)."""

    organization = models.ForeignKey(
        ResourceOrganization, null=True, blank=True, on_delete=models.SET_NULL, related_name="services"
    )
    name = models.CharField(max_length=300)
    alternate_name = models.CharField(max_length=300, blank=True)
    description = models.TextField(blank=True)
    url = models.CharField(max_length=500, blank=True)
    email = models.CharField(max_length=254, blank=True)
    status = models.CharField(max_length=20, choices=ServiceStatus.choices, default=ServiceStatus.ACTIVE)
    interpretation_services = models.TextField(blank=True)
    application_process = models.TextField(blank=True)
    fees_description = models.TextField(blank=True)
    wait_time = models.TextField(blank=True)
    accreditations = models.TextField(blank=True)
    licenses = models.TextField(blank=True)
    eligibility_description = models.TextField(blank=True)
    minimum_age = models.PositiveSmallIntegerField(null=True, blank=True)
    maximum_age = models.PositiveSmallIntegerField(null=True, blank=True)
    keywords = models.TextField(blank=True)
    alert = models.TextField(blank=True)
    assured_date = models.DateField(null=True, blank=True, help_text="When the details were last verified")
    assurer_email = models.CharField(max_length=254, blank=True)
    last_modified = models.DateTimeField(null=True, blank=True)
    taxonomy_terms = models.ManyToManyField(TaxonomyTerm, blank=True, related_name="services")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["source", "external_id"], name="directory_service_source_id")]

    def __str__(self) -> str:
        return self.name


class ServiceAtLocation(SourcedRecord):  # noqa: DJ008
    """A service as delivered at one location (its own phones, hours and contacts may differ)."""

    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="at_locations")
    location = models.ForeignKey(Location, on_delete=models.CASCADE, related_name="service_rows")
    description = models.TextField(blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["source", "external_id"], name="directory_sal_source_id")]


class Detail(models.Model):
    """Fields of a detail row: its id in the source (not unique: details are replaced with their owner)."""

    external_id = models.CharField(max_length=200, blank=True)

    class Meta:
        abstract = True


class Address(Detail):  # noqa: DJ008
    """A physical or postal address of a location."""

    location = models.ForeignKey(Location, on_delete=models.CASCADE, related_name="addresses")
    address_type = models.CharField(max_length=10, choices=LocationType.choices, default=LocationType.PHYSICAL)
    attention = models.CharField(max_length=300, blank=True)
    address_1 = models.CharField(max_length=300)
    address_2 = models.CharField(max_length=300, blank=True)
    city = models.CharField(max_length=200)
    region = models.CharField(max_length=200, blank=True)
    state_province = models.CharField(max_length=100)
    postal_code = models.CharField(max_length=20)
    country = models.CharField(max_length=2)


class Contact(Detail):  # noqa: DJ008
    """A named person (or role) to contact about an organization, service, location or service at a location."""

    organization = models.ForeignKey(ResourceOrganization, null=True, on_delete=models.CASCADE, related_name="contacts")
    service = models.ForeignKey(Service, null=True, on_delete=models.CASCADE, related_name="contacts")
    location = models.ForeignKey(Location, null=True, on_delete=models.CASCADE, related_name="contacts")
    service_at_location = models.ForeignKey(
        ServiceAtLocation, null=True, on_delete=models.CASCADE, related_name="contacts"
    )
    name = models.CharField(max_length=300, blank=True)
    title = models.CharField(max_length=300, blank=True)
    department = models.CharField(max_length=300, blank=True)
    email = models.CharField(max_length=254, blank=True)


class Phone(Detail):  # noqa: DJ008
    """A telephone number of one owner (organization, service, location, service at a location or contact)."""

    organization = models.ForeignKey(ResourceOrganization, null=True, on_delete=models.CASCADE, related_name="phones")
    service = models.ForeignKey(Service, null=True, on_delete=models.CASCADE, related_name="phones")
    location = models.ForeignKey(Location, null=True, on_delete=models.CASCADE, related_name="phones")
    service_at_location = models.ForeignKey(
        ServiceAtLocation, null=True, on_delete=models.CASCADE, related_name="phones"
    )
    contact = models.ForeignKey(Contact, null=True, on_delete=models.CASCADE, related_name="phones")
    number = models.CharField(max_length=100)
    extension = models.CharField(max_length=20, blank=True)
    type = models.CharField(max_length=20, blank=True)
    description = models.TextField(blank=True)
    languages = models.CharField(max_length=300, blank=True, help_text="Language names, comma separated")


class Schedule(Detail):  # noqa: DJ008
    """Opening hours after HSDS 3.0 (RFC 5545 recurrence fields), for a service, location or service at a location.

    A weekly row has ``freq`` WEEKLY and ``byday`` (MO..SU) with ``opens_at``/``closes_at``; a closure or holiday
    has ``valid_from``/``valid_to`` and ``closed``."""

    service = models.ForeignKey(Service, null=True, on_delete=models.CASCADE, related_name="schedules")
    location = models.ForeignKey(Location, null=True, on_delete=models.CASCADE, related_name="schedules")
    service_at_location = models.ForeignKey(
        ServiceAtLocation, null=True, on_delete=models.CASCADE, related_name="schedules"
    )
    valid_from = models.DateField(null=True, blank=True)
    valid_to = models.DateField(null=True, blank=True)
    dtstart = models.DateField(null=True, blank=True)
    until = models.DateField(null=True, blank=True)
    count = models.PositiveIntegerField(null=True, blank=True)
    timezone = models.CharField(max_length=40, blank=True)
    wkst = models.CharField(max_length=2, blank=True)
    freq = models.CharField(max_length=10, blank=True)
    interval = models.PositiveIntegerField(null=True, blank=True)
    byday = models.CharField(max_length=100, blank=True)
    byweekno = models.CharField(max_length=100, blank=True)
    bymonthday = models.CharField(max_length=100, blank=True)
    byyearday = models.CharField(max_length=100, blank=True)
    opens_at = models.TimeField(null=True, blank=True)
    closes_at = models.TimeField(null=True, blank=True)
    closed = models.BooleanField(default=False)
    description = models.TextField(blank=True)
    schedule_link = models.CharField(max_length=500, blank=True)
    attending_type = models.CharField(max_length=300, blank=True)
    notes = models.TextField(blank=True)


class ServiceArea(Detail):  # noqa: DJ008
    """Where a service is available (a county, a set of postal codes, a GeoJSON extent)."""

    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="service_areas")
    name = models.TextField(blank=True)
    description = models.TextField(blank=True)
    extent = models.TextField(blank=True)
    extent_type = models.CharField(max_length=20, blank=True)
    uri = models.CharField(max_length=500, blank=True)


class Language(Detail):  # noqa: DJ008
    """A language a service or location works in."""

    service = models.ForeignKey(Service, null=True, on_delete=models.CASCADE, related_name="languages")
    location = models.ForeignKey(Location, null=True, on_delete=models.CASCADE, related_name="languages")
    name = models.CharField(max_length=100, blank=True)
    code = models.CharField(max_length=20, blank=True)
    note = models.TextField(blank=True)


class Accessibility(Detail):  # noqa: DJ008
    """An accessibility provision of a location (wheelchair access, hearing loop, ...)."""

    location = models.ForeignKey(Location, on_delete=models.CASCADE, related_name="accessibility")
    description = models.TextField(blank=True)
    details = models.TextField(blank=True)
    url = models.CharField(max_length=500, blank=True)


class CostOption(Detail):  # noqa: DJ008
    """A fee of a service: an option (who pays it), an amount and currency, for a period."""

    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="cost_options")
    option = models.TextField(blank=True)
    amount = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    currency = models.CharField(max_length=3, blank=True)
    amount_description = models.TextField(blank=True)
    valid_from = models.DateField(null=True, blank=True)
    valid_to = models.DateField(null=True, blank=True)


class ServiceSearchRow(models.Model):  # noqa: DJ008
    """The search index: one row per service at a location (or per service that has no location), denormalised
    from the records above by ``directory.indexing`` whenever an import changes them (``directory-reindex``
    rebuilds it whole). Text columns hold folded words between single spaces (" food pantry ") so that a word or
    word-prefix test is a plain ``LIKE``; location is a ZIP centroid or the location's own coordinates."""

    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="search_rows")
    service_at_location = models.ForeignKey(
        ServiceAtLocation, null=True, on_delete=models.CASCADE, related_name="search_rows"
    )
    location = models.ForeignKey(Location, null=True, on_delete=models.CASCADE, related_name="search_rows")
    organization = models.ForeignKey(
        ResourceOrganization, null=True, on_delete=models.CASCADE, related_name="search_rows"
    )
    active = models.BooleanField(default=True)
    latitude = models.FloatField(null=True)
    longitude = models.FloatField(null=True)
    postal_code = models.CharField(max_length=10, blank=True)
    name_words = models.TextField(help_text="Folded words of the service's and organization's names")
    words = models.TextField(help_text="Folded words of names, descriptions, keywords and taxonomy terms")
    needs = models.CharField(max_length=400, blank=True, help_text="SDOH need codes met, space separated")
    terms = models.TextField(blank=True, help_text="Taxonomy term codes, space separated")
    languages = models.TextField(blank=True, help_text="Language codes and folded names, space separated")
    minimum_age = models.PositiveSmallIntegerField(null=True)
    maximum_age = models.PositiveSmallIntegerField(null=True)
    free = models.BooleanField(default=False)
    area_words = models.TextField(blank=True, help_text="ZIPs and folded place names served; empty: anywhere")
    has_hours = models.BooleanField(default=False)
    has_exceptions = models.BooleanField(default=False, help_text="Closures or date-specific hours among the hours")
    assured_date = models.DateField(null=True)
    address = models.ForeignKey(Address, null=True, on_delete=models.SET_NULL, related_name="+")
    language_names = models.TextField(blank=True, help_text="The languages as shown, comma separated")
    area_names = models.TextField(blank=True, help_text="The service areas as shown, comma separated")
    hours_text = models.TextField(blank=True, help_text="The hours rows of this row, packed for display")

    class Meta:
        # The bounding box is a range on latitude; every filter and rank column but the text ones follows in the
        # same index (and the id, for PostgreSQL's index-only scans), so a search reads a table row only for
        # candidates that passed them (or for its text).
        indexes = [
            models.Index(
                fields=[
                    "latitude", "longitude", "active", "has_hours", "has_exceptions", "free", "minimum_age",
                    "maximum_age", "assured_date", "needs", "terms", "languages", "id",
                ],
                name="directory_search_geo_v3",
            ),
        ]  # fmt: skip


class SearchHours(models.Model):  # noqa: DJ008
    """Opening hours of a search row as the search understands them: a weekday with minutes since midnight (the
    closing minute excluded; 1440 is midnight), within optional dates; or a closure (``closed``) on the dates and
    weekday given (none: every day)."""

    row = models.ForeignKey(ServiceSearchRow, on_delete=models.CASCADE, related_name="hours")
    weekday = models.PositiveSmallIntegerField(null=True, help_text="ISO weekday 1 (Monday) to 7")
    opens = models.PositiveSmallIntegerField(default=0)
    closes = models.PositiveSmallIntegerField(default=1440)
    valid_from = models.DateField(null=True)
    valid_to = models.DateField(null=True)
    closed = models.BooleanField(default=False)
    yearly = models.BooleanField(default=False, help_text="The dates recur every year (stored in the year 2000)")

    class Meta:
        indexes = [
            models.Index(
                fields=["row", "weekday", "closed", "opens", "closes", "valid_from", "valid_to", "yearly"],
                name="directory_hours_row_day_times",
            )
        ]
