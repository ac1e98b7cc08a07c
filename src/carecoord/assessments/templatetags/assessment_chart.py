"""The chart's screening panel and safety banner, rendered in place from the chart template, and the score
history drawn as server-side SVG (no script).

The chart view has already let the user in; the panel reads through ``access_screening_summary`` (audited
once per page: the banner and the panel share one read, kept on the request).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from django import template
from django.http import HttpRequest
from django.utils import timezone

from carecoord.accounts.models import User
from carecoord.accounts.permissions import has_current_license
from carecoord.assessments import instruments
from carecoord.assessments.access import ScreeningPanel, access_questionnaires, access_screening_summary
from carecoord.assessments.forms import ResolveFlagForm
from carecoord.assessments.models import QuestionnaireDefinition, SafetyFlag
from carecoord.assessments.queries import ScorePoint
from carecoord.assessments.scoring.screens import GAD7_BANDS, PHQ9_BANDS, PHQ9_ITEM9
from carecoord.assessments.views import answer_to, may_give
from carecoord.common.errors import AccessDenied
from carecoord.patients.models import Patient
from carecoord.web.decorators import staff_user
from carecoord.web.templatetags.carecoord import day

register = template.Library()

# url -> (short name, scale maximum, bands (low, high, code, label))
SCALES: dict[str, tuple[str, int, tuple[tuple[int, int, str, str], ...]]] = {
    instruments.PHQ9_URL: ("PHQ-9", 27, PHQ9_BANDS),
    instruments.GAD7_URL: ("GAD-7", 21, GAD7_BANDS),
    instruments.PHQ2_URL: ("PHQ-2", 6, ()),
    instruments.GAD2_URL: ("GAD-2", 6, ()),
    instruments.AUDIT_C_URL: ("AUDIT-C", 12, ()),
    instruments.DAST10_URL: ("DAST-10", 10, ()),
}
# Band code -> (badge class, icon). The icon and the label carry the meaning; colour only reinforces it.
BAND_LOOK: dict[str, tuple[str, str]] = {
    "minimal": ("ok", "●"),
    "none": ("ok", "●"),
    "low": ("ok", "●"),
    "mild": ("", "◐"),
    "moderate": ("warn", "▲"),
    "moderately-severe": ("danger", "▲"),
    "substantial": ("danger", "▲"),
    "severe": ("danger", "⚠"),
}


def band_look(code: str, positive: bool | None = None) -> tuple[str, str]:
    if code in BAND_LOOK:
        return BAND_LOOK[code]
    if positive is True:
        return ("warn", "▲")
    if positive is False:
        return ("ok", "●")
    return ("", "")


@register.filter
def band_class(code: str) -> str:
    return band_look(code)[0]


@register.filter
def band_icon(code: str) -> str:
    return band_look(code)[1]


# --- the score history chart -------------------------------------------------------------------------------------

WIDTH, HEIGHT = 640, 236
LEFT, RIGHT_PLOT, TOP, BOTTOM_PLOT = 34, 468, 12, 196
LABEL_X = RIGHT_PLOT + 10


@dataclass(frozen=True)
class BandRect:
    y: float
    height: float
    css: str
    label: str
    label_y: float
    range: str


@dataclass(frozen=True)
class ChartPoint:
    x: float
    y: float
    total: int
    label_y: float
    band: str
    band_code: str
    when: str
    date_label: str
    show_date: bool
    response_id: Any


@dataclass(frozen=True)
class ScoreChart:
    """A score history as geometry for ``_score_chart.html``."""

    slug: str
    name: str
    maximum: int
    bands: list[BandRect]
    ticks: list[tuple[float, int]]
    points: list[ChartPoint]
    line: str
    summary: str
    width: int = WIDTH
    height: int = HEIGHT
    left: int = LEFT
    right: int = RIGHT_PLOT
    top: int = TOP
    bottom: int = BOTTOM_PLOT
    date_y: int = BOTTOM_PLOT + 20
    plot_width: int = RIGHT_PLOT - LEFT
    label_x: int = LABEL_X
    tick_x: int = LEFT - 6


def _y(value: float, maximum: int) -> float:
    return round(BOTTOM_PLOT - (value / maximum) * (BOTTOM_PLOT - TOP), 1)


def _local(moment: datetime.datetime) -> datetime.date:
    return timezone.localtime(moment).date() if timezone.is_aware(moment) else moment.date()


def score_chart(url: str, points: list[ScorePoint]) -> ScoreChart | None:
    """The chart of one instrument's totals over time (None without a point)."""
    if not points or url not in SCALES:
        return None
    name, maximum, bands = SCALES[url]
    rects = []
    for low, high, code, label in bands:
        lower = 0 if low == 0 else low - 0.5
        upper = maximum if high >= maximum else high + 0.5
        top, bottom = _y(upper, maximum), _y(lower, maximum)
        rects.append(
            BandRect(
                y=top,
                height=round(bottom - top, 1),
                css=f"band-{code}",
                label=label,
                label_y=round((top + bottom) / 2 + 4, 1),
                range=f"{low}-{high}",
            )
        )
    ticks = sorted({0, maximum, *(low for low, *_ in bands)})
    dates = [_local(p.authored) for p in points]
    first, last = dates[0], dates[-1]
    span = (last - first).days
    inner_left, inner_right = LEFT + 24, RIGHT_PLOT - 24
    years = first.year != last.year or first.year != timezone.localdate().year
    every = max(1, (len(points) + 6) // 7)  # at most about seven date labels
    chart_points = []
    for n, (point, date) in enumerate(zip(points, dates, strict=True)):
        if span == 0:
            x = (
                (inner_left + inner_right) / 2
                if len(points) == 1
                else inner_left + n * ((inner_right - inner_left) / (len(points) - 1))
            )
        else:
            x = inner_left + (date - first).days / span * (inner_right - inner_left)
        y = _y(point.total, maximum)
        chart_points.append(
            ChartPoint(
                x=round(x, 1),
                y=y,
                total=point.total,
                label_y=round(y - 9 if y > TOP + 16 else y + 18, 1),
                band=point.band_label,
                band_code=point.band_code,
                when=day(date),
                date_label=date.strftime("%-d %b %Y" if years else "%-d %b"),
                show_date=n % every == 0 or n == len(points) - 1,
                response_id=point.response_id,
            )
        )
    latest = points[-1]
    if len(points) == 1:
        summary = f"{name} score: one score, {latest.total} of {maximum} ({latest.band_label}) on {day(last)}."
    else:
        totals = [p.total for p in points]
        summary = (
            f"{name} scores over time: {len(points)} scores from {day(first)} to {day(last)}. "
            f"Latest {latest.total} of {maximum} ({latest.band_label}); lowest {min(totals)}, highest {max(totals)}."
        )
    return ScoreChart(
        slug=name.lower().replace("-", ""),
        name=name,
        maximum=maximum,
        bands=rects,
        ticks=[(_y(t, maximum), t) for t in ticks],
        points=chart_points,
        line=" ".join(f"{p.x},{p.y}" for p in chart_points),
        summary=summary,
    )


# --- the panel and the banner ------------------------------------------------------------------------------------


def _panel(request: HttpRequest, user: User, patient: Patient) -> ScreeningPanel | None:
    """The screening panel for this page, read once (None when the user may not read it)."""
    cache: dict[Any, ScreeningPanel | None] = request.__dict__.setdefault("_screening_panels", {})
    if patient.pk not in cache:
        try:
            cache[patient.pk] = access_screening_summary(user, patient.pk)
        except AccessDenied:
            cache[patient.pk] = None
    return cache[patient.pk]


def _startable(user: User) -> dict[str, QuestionnaireDefinition]:
    found: dict[str, QuestionnaireDefinition] = {}
    for definition in access_questionnaires(user):
        if definition.builtin and may_give(user, definition):
            found.setdefault(definition.url, definition)
    return found


@dataclass(frozen=True)
class LatestRow:
    title: str
    short: str
    total: int | None
    maximum: int | None
    band_label: str
    band_code: str
    badge: str
    icon: str
    positive: bool | None
    domains: list[str]
    when: datetime.datetime
    response_id: Any


@register.inclusion_tag("assessments/_panel.html", takes_context=True)
def screening_panel(context: template.Context, patient: Patient) -> dict[str, Any]:
    request = context["request"]
    user = staff_user(request)
    panel = _panel(request, user, patient)
    if panel is None:
        return {"patient": patient, "withheld": True}
    startable = _startable(user)
    latest = []
    for score in panel.latest:
        short, maximum, _ = SCALES.get(score.instrument_url, (score.title, None, ()))
        badge, icon = band_look(score.band_code, score.positive)
        latest.append(
            LatestRow(
                title=score.title,
                short=short,
                total=score.total,
                maximum=maximum,
                band_label=score.band_label,
                band_code=score.band_code,
                badge=badge,
                icon=icon,
                positive=score.positive,
                domains=[d.replace("-", " ") for d in score.domains],
                when=score.authored,
                response_id=score.response_id,
            )
        )
    charts = [score_chart(url, points) for url, points in panel.history.items()]
    return {
        "patient": patient,
        "withheld": False,
        "latest": latest,
        "due": [(due, startable.get(due.instrument_url)) for due in panel.due],
        "charts": [chart for chart in charts if chart is not None],
        "startable": startable,
        "phq9": startable.get(instruments.PHQ9_URL),
        "gad7": startable.get(instruments.GAD7_URL),
        "request": request,
    }


@dataclass(frozen=True)
class BannerFlag:
    flag: SafetyFlag
    answer: str
    question: str


@register.inclusion_tag("assessments/_safety_banner.html", takes_context=True)
def safety_banner(context: template.Context, patient: Patient) -> dict[str, Any]:
    request = context["request"]
    user = staff_user(request)
    panel = _panel(request, user, patient)
    flags = []
    phq9 = instruments.by_url(instruments.PHQ9_URL)
    text = (phq9.item(PHQ9_ITEM9).text if phq9 else "") or ""
    for flag in panel.safety_flags if panel else []:
        flags.append(BannerFlag(flag, answer_to(flag.response.items, PHQ9_ITEM9), text))
    return {
        "flags": flags,
        "may_resolve": bool(flags) and has_current_license(user),
        "form": ResolveFlagForm(),
        "request": request,
    }
