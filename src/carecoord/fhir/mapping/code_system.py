"""Our own code systems (PRODUCT.md, "Interfaces: a contract"), published as FHIR CodeSystems.

The codes are part of the public contract; the displays and definitions here are their published wording.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from carecoord.assessments.scoring.sdoh import DOMAINS
from carecoord.careteams.models import CareTeamMemberRole
from carecoord.contacts.models import Modality, Outcome
from carecoord.fhir.mapping.codes import base_url
from carecoord.referrals.models import ReferralOutcome
from carecoord.tasks.models import TaskKind
from carecoord.tasks.rules import RULES


@dataclass(frozen=True)
class OurCodeSystem:
    id: str
    name: str
    title: str
    description: str
    concepts: tuple[tuple[str, str], ...]  # (code, display)

    @property
    def url(self) -> str:
        return f"{base_url()}/CodeSystem/{self.id}"


def _task_reasons() -> Iterator[tuple[str, str]]:
    """Every rule's reason code; a rule named per social needs domain (``sdoh-<domain>``) gives one per domain."""
    for rule in RULES:
        if "<domain>" not in rule.reason:
            yield rule.reason, rule.name
            continue
        for domain in DOMAINS:
            yield rule.reason.replace("<domain>", domain.code), f"{rule.name}: {domain.display}"


CODE_SYSTEMS: tuple[OurCodeSystem, ...] = (
    OurCodeSystem(
        "program",
        "CareCoordProgram",
        "Care coordination programs",
        "Programs a person can be enrolled in; carried in EpisodeOfCare.type.",
        (
            ("ny-hh-adult", "NY Medicaid Health Home (adult)"),
            ("ny-hhsc", "NY Medicaid Health Home Serving Children"),
            ("ny-hh-plus-smi", "NY Health Home Plus (serious mental illness)"),
            ("ny-hh-plus-hiv", "NY Health Home Plus (HIV)"),
            ("medicare-ccm", "Medicare Chronic Care Management"),
            ("medicare-pcm", "Medicare Principal Care Management"),
            ("medicare-tcm", "Medicare Transitional Care Management"),
            ("complex-care", "Complex care management"),
            ("plan-cm", "Health plan care management"),
        ),
    ),
    OurCodeSystem(
        "consent-form",
        "CareCoordConsentForm",
        "Consent forms",
        "The signed or recorded form behind a consent; carried in Consent.category.",
        (
            ("DOH-5055", "Health Home Patient Information Sharing Consent (DOH-5055)"),
            ("DOH-5201", "Health Home Consent for children under 18 (DOH-5201)"),
            ("DOH-5058", "Health Home Withdrawal of Health Home Enrollment and Information Sharing Consent (DOH-5058)"),
            ("DOH-5059", "Health Home Opt-Out (DOH-5059)"),
            ("CCM-VERBAL", "Verbal consent to Medicare care management"),
            ("42-CFR-2", "Consent to disclose substance use disorder records (42 CFR Part 2)"),
            ("NY-HIV-RELEASE", "NY authorization to release confidential HIV information"),
        ),
    ),
    OurCodeSystem(
        "core-service",
        "CareCoordCoreService",
        "Health Home core services",
        "The six Health Home core services; carried in a contact's Encounter.type.",
        (
            ("care-management", "Comprehensive care management"),
            ("care-coordination", "Care coordination and health promotion"),
            ("transitional-care", "Comprehensive transitional care"),
            ("patient-family-support", "Patient and family support"),
            ("community-referral", "Referral to community and social support services"),
            ("hit-linkage", "Use of health information technology to link services"),
        ),
    ),
    OurCodeSystem(
        "care-team-role",
        "CareCoordCareTeamRole",
        "Care team roles",
        "What a member does on a person's care team; carried in CareTeam.participant.role.",
        tuple((str(code), str(label)) for code, label in CareTeamMemberRole.choices),
    ),
    OurCodeSystem(
        "contact-modality",
        "CareCoordContactModality",
        "Contact modalities",
        "How a contact with or about a person took place; carried in a contact's Encounter.type.",
        tuple((str(code), str(label)) for code, label in Modality.choices),
    ),
    OurCodeSystem(
        "contact-outcome",
        "CareCoordContactOutcome",
        "Contact outcomes",
        "What came of a contact (reached, left a message, no answer ...); carried in a contact Encounter's "
        "contact-outcome extension.",
        tuple((str(code), str(label)) for code, label in Outcome.choices),
    ),
    OurCodeSystem(
        "task-kind",
        "CareCoordTaskKind",
        "Kinds of task",
        "What kind of work a task is; carried in Task.code.",
        tuple((str(code), str(label)) for code, label in TaskKind.choices),
    ),
    OurCodeSystem(
        "task-reason",
        "CareCoordTaskReason",
        "Why a task exists",
        "The rule that made a task (the rules job's and the hooks other actions run; `carecoord rules` lists them); "
        "carried in Task.reasonCode.",
        tuple(_task_reasons()),
    ),
    OurCodeSystem(
        "goal-category",
        "CareCoordGoalCategory",
        "Goal categories",
        "Whether a care plan goal is clinical (set by a licensed user, or measured by a LOINC code); carried in "
        "Goal.category.",
        (("clinical", "Clinical goal"), ("non-clinical", "Goal that is not clinical")),
    ),
    OurCodeSystem(
        "organization-listing",
        "CareCoordOrganizationListing",
        "Where an organization comes from",
        "Marks an Organization listed in the community resource directory (ids dir-<id>), as opposed to an "
        "organization of the network; carried in Organization.type.",
        (("directory", "Listed in the community resource directory"),),
    ),
    OurCodeSystem(
        "referral-outcome",
        "CareCoordReferralOutcome",
        "How a community referral ended",
        "How a closed community referral ended for the person, as the organization that did the work reports it; "
        "carried in the referral Task's businessStatus.",
        tuple((str(code), str(label)) for code, label in ReferralOutcome.choices),
    ),
)


def code_system_resource(system: OurCodeSystem) -> dict[str, Any]:
    return {
        "resourceType": "CodeSystem",
        "id": system.id,
        "meta": {"versionId": "1"},
        "url": system.url,
        "version": "1",
        "name": system.name,
        "title": system.title,
        "status": "active",
        "experimental": False,
        "publisher": "CareCoord",
        "description": system.description,
        "caseSensitive": True,
        "content": "complete",
        "count": len(system.concepts),
        "concept": [{"code": code, "display": display} for code, display in system.concepts],
    }
