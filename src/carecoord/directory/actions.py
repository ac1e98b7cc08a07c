"""Writes to the directory: importing a bundle read from HSDS or Ohana data (one transaction per import).

Policy (docs in README "Community resource directory"): valid records go in and invalid ones are rejected with
their reason; a record is written whole or not at all (its details with it), and a record whose parent was
rejected or is unknown is rejected too. ``all_or_nothing`` writes nothing at all when any record was rejected.
Each record is keyed on (source, external id); its ``content_hash`` makes a re-import of the same data
"unchanged" and writes nothing.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from django.db import models, transaction

from carecoord.audit.actions import record as audit
from carecoord.audit.models import AuditAction, Purpose
from carecoord.directory.imports.common import KINDS, Bundle, Record
from carecoord.directory.indexing import reindex_services, services_touched
from carecoord.directory.models import (
    Accessibility,
    Address,
    Contact,
    CostOption,
    Language,
    Location,
    Phone,
    ResourceOrganization,
    Schedule,
    Service,
    ServiceArea,
    ServiceAtLocation,
    SourcedRecord,
    TaxonomyTerm,
)
from carecoord.directory.needs import need_of

MODELS: dict[str, Any] = {
    "taxonomy_term": TaxonomyTerm,
    "organization": ResourceOrganization,
    "location": Location,
    "service": Service,
    "service_at_location": ServiceAtLocation,
}
DETAIL_MODELS: dict[str, type[models.Model]] = {
    "addresses": Address,
    "phones": Phone,
    "contacts": Contact,
    "schedules": Schedule,
    "languages": Language,
    "accessibility": Accessibility,
    "service_areas": ServiceArea,
    "cost_options": CostOption,
}
OWNER_FIELD = {"organization": "organization", "location": "location", "service": "service",
               "service_at_location": "service_at_location"}  # fmt: skip


class Outcome(StrEnum):
    ADDED = "added"
    UPDATED = "updated"
    UNCHANGED = "unchanged"
    REJECTED = "rejected"


@dataclass(frozen=True)
class RecordResult:
    kind: str
    external_id: str
    where: str
    outcome: Outcome
    message: str = ""


@dataclass
class DirectoryImportReport:
    source: str
    format: str
    dry_run: bool = False
    written: bool = True
    results: list[RecordResult] = field(default_factory=list)

    def count(self, outcome: Outcome, kind: str | None = None) -> int:
        return sum(1 for r in self.results if r.outcome == outcome and (kind is None or r.kind == kind))

    @property
    def imported(self) -> int:
        return sum(1 for r in self.results if r.outcome != Outcome.REJECTED)

    def summary(self) -> str:
        counts = ", ".join(f"{self.count(o)} {o.value}" for o in Outcome)
        note = " (dry run: nothing written)" if self.dry_run else "" if self.written else " (nothing written)"
        return f"{self.format} from source {self.source!r}: {len(self.results)} records: {counts}{note}"


class _RollBack(Exception):
    pass


def _fingerprint(record: Record, refs: dict[str, str]) -> str:
    payload = {"data": record.data, "refs": refs, "terms": sorted(record.taxonomy_terms)}
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()


def _field_names(model: type[models.Model]) -> set[str]:
    return {f.name for f in model._meta.concrete_fields if not f.is_relation}


def _write_details(kind: str, owner: models.Model, data: dict[str, Any], *, replace: bool) -> None:
    owner_field = OWNER_FIELD[kind]
    for key, model in DETAIL_MODELS.items():
        if owner_field not in {f.name for f in model._meta.fields}:
            continue
        if replace:
            model.objects.filter(**{owner_field: owner}).delete()  # type: ignore[attr-defined]
        for item in data.get(key, []):
            values = {k: v for k, v in item.items() if k in _field_names(model)}
            created = model.objects.create(**{owner_field: owner}, **values)  # type: ignore[attr-defined]
            if key == "contacts":
                for phone in item.get("phones", []):
                    Phone.objects.create(contact=created, **phone)


def _resolve(bundle: Bundle, source: str, report: DirectoryImportReport) -> list[tuple[Record, dict[str, str], str]]:
    """Records that can be written, in parent-first order, with the references they keep."""
    rejected = {(r.kind, r.external_id) for r in bundle.rejections}
    for problem in bundle.rejections:
        report.results.append(
            RecordResult(problem.kind, problem.external_id, problem.where(), Outcome.REJECTED, problem.reason)
        )
    existing = {
        kind: set(model.objects.filter(source=source).values_list("external_id", flat=True))
        for kind, model in MODELS.items()
        if kind in ("organization", "location", "service")
    }
    accepted: list[tuple[Record, dict[str, str], str]] = []
    ok: set[tuple[str, str]] = set()
    for kind in KINDS:
        for record in (r for r in bundle.records.values() if r.kind == kind):
            where = f"{record.file} row {record.row}" if record.row is not None else record.file
            refs: dict[str, str] = {}
            reason = note = ""
            for ref_kind, ref_id in record.refs.items():
                if (ref_kind, ref_id) in ok or (
                    (ref_kind, ref_id) not in rejected and ref_id in existing.get(ref_kind, set())
                ):
                    refs[ref_kind] = ref_id
                elif ref_kind in record.required_refs:
                    why = "was rejected" if (ref_kind, ref_id) in rejected else "is not in this data or the directory"
                    reason = f"{ref_kind}_id: {ref_kind} {ref_id!r} {why}"
                    break
                else:
                    note = f"{ref_kind}_id {ref_id!r} is not in this data or the directory: kept without it"
            for ref_kind in record.required_refs:
                if not reason and ref_kind not in record.refs:
                    reason = f"{ref_kind}_id: is required"
            if reason:
                rejected.add((kind, record.external_id))
                report.results.append(RecordResult(kind, record.external_id, where, Outcome.REJECTED, reason))
                continue
            ok.add((kind, record.external_id))
            accepted.append((record, refs, note))
    return accepted


def import_directory(
    *,
    bundle: Bundle,
    source: str,
    dry_run: bool = False,
    all_or_nothing: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> DirectoryImportReport:
    """Write ``bundle`` under ``source`` and say, per record, what happened."""
    report = DirectoryImportReport(source=source, format=bundle.format, dry_run=dry_run)
    try:
        with transaction.atomic():
            accepted = _resolve(bundle, source, report)
            terms = {t.external_id: t for t in TaxonomyTerm.objects.filter(source=source)}
            loaded: dict[tuple[str, str], SourcedRecord] = {}
            kinds = {record.kind for record, _, _ in accepted}
            existing = {
                (kind, instance.external_id): instance
                for kind in kinds
                for instance in MODELS[kind].objects.filter(source=source)
            }
            changed: dict[str, set[int]] = {kind: set() for kind in MODELS}
            for index, (record, refs, note) in enumerate(accepted, start=1):
                found = existing.get((record.kind, record.external_id))
                outcome = _write(record, refs, source, found, loaded, terms, bundle)
                if outcome in (Outcome.ADDED, Outcome.UPDATED):
                    changed[record.kind].add(loaded[(record.kind, record.external_id)].pk)
                where = f"{record.file} row {record.row}" if record.row is not None else record.file
                report.results.append(RecordResult(record.kind, record.external_id, where, outcome, note))
                if progress is not None:
                    progress(index, len(accepted))
            if all_or_nothing and report.count(Outcome.REJECTED):
                report.written = False
                raise _RollBack
            _reindex(changed)
            audit(
                by=None,
                username="directory-import",
                action=AuditAction.UPDATE,
                object_type="Directory",
                object_id=source,
                purpose=Purpose.OPERATIONS,
                detail={"format": bundle.format, **{o.value: report.count(o) for o in Outcome}},
            )
            if dry_run:
                report.written = False
                raise _RollBack
    except _RollBack:
        pass
    return report


def _reindex(changed: dict[str, set[int]]) -> None:
    """Rebuild the search rows of every service this import changed, directly or through a record it depends on."""
    touched = services_touched(
        services=changed["service"],
        service_at_locations=changed["service_at_location"],
        organizations=changed["organization"],
        locations=changed["location"],
        terms=changed["taxonomy_term"],
    )
    if touched:
        reindex_services(touched)


def _term_need(term_id: str, bundle: Bundle, terms: dict[str, TaxonomyTerm]) -> str:
    names: list[str] = []
    seen: set[str] = set()
    current = term_id
    while current and current not in seen:
        seen.add(current)
        record = bundle.get("taxonomy_term", current)
        if record is not None:
            names.append(record.data["name"])
            current = record.data.get("parent_external_id", "")
        elif current in terms:
            names.append(terms[current].name)
            current = terms[current].parent_external_id
        else:
            break
    return need_of(names)


def _write(
    record: Record,
    refs: dict[str, str],
    source: str,
    instance: Any,
    loaded: dict[tuple[str, str], SourcedRecord],
    terms: dict[str, TaxonomyTerm],
    bundle: Bundle,
) -> Outcome:
    model = MODELS[record.kind]
    fingerprint = _fingerprint(record, refs)
    if instance is not None and instance.content_hash == fingerprint:
        loaded[(record.kind, record.external_id)] = instance
        if record.kind == "taxonomy_term":
            terms[record.external_id] = instance
        return Outcome.UNCHANGED
    outcome = Outcome.ADDED if instance is None else Outcome.UPDATED
    if instance is None:
        instance = model(source=source, external_id=record.external_id)
    names = _field_names(model)
    for name, value in record.data.items():
        if name in names:
            setattr(instance, name, value)
    for ref_kind, ref_id in refs.items():
        parent = loaded.get((ref_kind, ref_id)) or MODELS[ref_kind].objects.get(source=source, external_id=ref_id)
        setattr(instance, ref_kind, parent)
    for ref_kind in ("organization",):
        if ref_kind in {f.name for f in model._meta.fields} and ref_kind not in refs:
            setattr(instance, ref_kind, None)
    if record.kind == "taxonomy_term":
        instance.need_category = _term_need(record.external_id, bundle, terms)
    instance.content_hash = fingerprint
    instance.save()
    loaded[(record.kind, record.external_id)] = instance
    if record.kind == "taxonomy_term":
        terms[record.external_id] = instance
    if record.kind in OWNER_FIELD:
        _write_details(record.kind, instance, record.data, replace=outcome == Outcome.UPDATED)
    if record.kind == "service":
        instance.taxonomy_terms.set([terms[t] for t in record.taxonomy_terms if t in terms])
    return outcome
