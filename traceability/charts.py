"""The charts of the coverage dashboard and the outcome page, laid out for server-rendered SVG:
plain data in, coordinates and labels out (the templates draw them)."""

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.utils import timezone

from goals.models import CheckIn, Outcome

from .selectors import Headline

TREND_WEEKS = 12

# The coverage trend ----------------------------------------------------------------------------


CHART_WIDTH, CHART_HEIGHT = 640, 200
PLOT_LEFT, PLOT_RIGHT, PLOT_TOP, PLOT_BOTTOM = 44, 16, 12, 28
GAP_SERIES = [
    ("orphaned", "Orphaned"),
    ("stranded", "Stranded"),
    ("suspect", "Suspect"),
    ("starved", "Starved"),
]


@dataclass(frozen=True)
class TrendPoint:
    day: date
    linked_percent: int | None
    orphaned: int
    stranded: int
    suspect: int
    starved: int
    kept: int = 0  # stranded work kept on purpose: shown beside the stranded count
    live: bool = False  # today's figures, computed now rather than snapshotted


@dataclass(frozen=True)
class Tick:
    at: float
    label: str


@dataclass(frozen=True)
class Series:
    name: str
    label: str
    points: str  # SVG polyline points
    last: tuple[float, float] | None
    latest: str


@dataclass(frozen=True)
class Chart:
    id: str
    title: str
    description: str
    series: list[Series]
    y_ticks: list[Tick]
    x_ticks: list[Tick]
    width: int = CHART_WIDTH
    height: int = CHART_HEIGHT
    plot_left: int = PLOT_LEFT
    plot_right: int = CHART_WIDTH - PLOT_RIGHT
    plot_bottom: int = CHART_HEIGHT - PLOT_BOTTOM


def trend_points(snapshots: list[Any], headline: Headline, today: date) -> list[TrendPoint]:
    """The snapshots before today, then today's live figures (so the trend ends where the
    headline stands, whether or not today's snapshot was taken yet)."""
    points = [
        TrendPoint(
            day=s.date,
            linked_percent=None if s.linked_ratio is None else round(100 * s.linked_ratio),
            orphaned=s.orphaned,
            stranded=s.stranded,
            suspect=s.suspect,
            starved=s.starved,
            kept=s.kept,
        )
        for s in snapshots
        if s.date < today
    ]
    points.append(
        TrendPoint(
            day=today,
            linked_percent=headline.linked_percent,
            orphaned=headline.orphaned,
            stranded=headline.stranded,
            suspect=headline.suspect,
            starved=headline.starved,
            kept=headline.kept,
            live=True,
        )
    )
    return points


def chart(
    *,
    chart_id: str,
    title: str,
    points: list[TrendPoint],
    start: date,
    end: date,
    series: list[tuple[str, str]],
    percent: bool,
) -> Chart:
    plot_w = CHART_WIDTH - PLOT_LEFT - PLOT_RIGHT
    plot_h = CHART_HEIGHT - PLOT_TOP - PLOT_BOTTOM
    span = max(1, (end - start).days)
    values = [getattr(p, name) for p in points for name, _ in series]
    if percent:
        top = 100
    else:
        highest = max([v for v in values if v is not None] or [0])
        top = max(2, highest + highest % 2)  # even, so the middle tick is a whole number

    def x(day: date) -> float:
        return round(PLOT_LEFT + plot_w * (day - start).days / span, 1)

    def y(value: float) -> float:
        return round(PLOT_TOP + plot_h * (1 - value / top), 1)

    def fmt(value: int | None) -> str:
        if value is None:
            return "no live work"
        return f"{value}%" if percent else str(value)

    drawn = []
    for name, label in series:
        coords = [(x(p.day), y(v)) for p in points if (v := getattr(p, name)) is not None]
        drawn.append(
            Series(
                name=name,
                label=label,
                points=" ".join(f"{cx},{cy}" for cx, cy in coords),
                last=coords[-1] if coords else None,
                latest=fmt(getattr(points[-1], name)),
            )
        )
    first = points[0]
    changes = "; ".join(
        f"{label} {fmt(getattr(first, name))} on {first.day:%-d %b} and "
        f"{fmt(getattr(points[-1], name))} today"
        for name, label in series
    )
    since = "" if len(points) > 1 else " No snapshots yet: today's figures only."
    return Chart(
        id=chart_id,
        title=title,
        description=f"{changes}.{since}",
        series=drawn,
        y_ticks=[Tick(at=y(v), label=fmt(v) if percent else str(v)) for v in (0, top // 2, top)],
        x_ticks=[
            Tick(at=x(start), label=f"{start:%-d %b}"),
            Tick(at=x(start + timedelta(days=span // 2)), label=""),
            Tick(at=x(end), label="today"),
        ],
    )


def weekly(points: list[TrendPoint], today: date) -> list[TrendPoint]:
    """The latest point of each of the last weeks, newest first: the chart's figures as a
    table."""
    rows = []
    for week in range(TREND_WEEKS):
        end = today - timedelta(weeks=week)
        in_week = [p for p in points if end - timedelta(days=7) < p.day <= end]
        if in_week:
            rows.append(in_week[-1])
    return rows


@dataclass(frozen=True)
class Trend:
    linked: Chart
    gaps: Chart
    weekly: list[TrendPoint]
    from_snapshots: bool


def trend(snapshots: list[Any], headline: Headline, *, start: date, today: date) -> Trend:
    """The linked ratio and the gaps from `start` to today: the snapshots, then today's live
    figures; and the latest point of each week as a table."""
    points = trend_points(snapshots, headline, today)
    return Trend(
        linked=chart(
            chart_id="trend-linked",
            title="Linked ratio over the last 12 weeks",
            points=points,
            start=start,
            end=today,
            series=[("linked_percent", "Linked ratio")],
            percent=True,
        ),
        gaps=chart(
            chart_id="trend-gaps",
            title="Gaps over the last 12 weeks",
            points=points,
            start=start,
            end=today,
            series=GAP_SERIES,
            percent=False,
        ),
        weekly=weekly(points, today),
        from_snapshots=len(points) > 1,
    )


# An outcome's value over time ------------------------------------------------------------------


@dataclass(frozen=True)
class ChartPoint:
    x: float
    y: float
    value: Decimal
    day: date


@dataclass(frozen=True)
class ValueChart:
    """An outcome's value over time, laid out for a small inline SVG."""

    width: int
    height: int
    points: list[ChartPoint]
    target_y: float
    baseline_y: float
    y_ticks: list[tuple[float, Decimal]]
    first_day: date
    last_day: date

    @property
    def polyline(self) -> str:
        return " ".join(f"{p.x:.1f},{p.y:.1f}" for p in self.points)

    @property
    def last(self) -> ChartPoint:
        return self.points[-1]


VALUE_WIDTH, VALUE_HEIGHT = 640, 220
PAD_LEFT, PAD_RIGHT, PAD_TOP, PAD_BOTTOM = 56, 16, 14, 28


def value_chart(outcome: Outcome, check_ins: list[CheckIn], truncated: bool) -> ValueChart | None:
    """The outcome's value from before its first check-in shown to its latest; None without
    check-ins. Baseline and target are drawn as lines, so the scale always holds them."""
    if not check_ins:
        return None
    first = check_ins[0]
    start_day = first.checked_on
    if not truncated:  # the value before the first check-in held since the outcome was added
        start_day = min(start_day, timezone.localdate(outcome.created_at))
    series = [(start_day, first.previous_value)] + [(c.checked_on, c.value) for c in check_ins]
    values = [v for _, v in series] + [outcome.baseline, outcome.target]
    low, high = min(values), max(values)
    if low == high:
        low, high = low - 1, high + 1
    span_days = (series[-1][0] - series[0][0]).days
    inner_w = VALUE_WIDTH - PAD_LEFT - PAD_RIGHT
    inner_h = VALUE_HEIGHT - PAD_TOP - PAD_BOTTOM

    def y_of(value: Decimal) -> float:
        return PAD_TOP + float((high - value) / (high - low)) * inner_h

    points = []
    for i, (day, value) in enumerate(series):
        # Every value on one day: spread them out in order.
        share = (day - series[0][0]).days / span_days if span_days else i / (len(series) - 1)
        points.append(ChartPoint(x=PAD_LEFT + share * inner_w, y=y_of(value), value=value, day=day))
    ticks = [(y_of(v), v) for v in sorted({low, high, outcome.baseline, outcome.target})]
    return ValueChart(
        width=VALUE_WIDTH,
        height=VALUE_HEIGHT,
        points=points,
        target_y=y_of(outcome.target),
        baseline_y=y_of(outcome.baseline),
        y_ticks=_spaced(ticks),
        first_day=series[0][0],
        last_day=series[-1][0],
    )


def _spaced(ticks: list[tuple[float, Decimal]], gap: float = 14) -> list[tuple[float, Decimal]]:
    """Tick labels at least `gap` pixels apart (the later of two close ones is dropped)."""
    kept: list[tuple[float, Decimal]] = []
    for y, value in sorted(ticks, key=lambda t: t[0]):
        if all(abs(y - other) >= gap for other, _ in kept):
            kept.append((y, value))
    return kept
