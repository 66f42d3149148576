"""RRULE (RFC 5545 section 3.3.10) expanded inside a window, at a cost that does not depend on
DTSTART or on how often the rule repeats.

python-dateutil walks a rule from DTSTART and, when no more dates match, on to the year 9999
without yielding (``FREQ=SECONDLY;BYMONTH=2;BYMONTHDAY=30`` spins for seconds, a ``BYSETPOS``
that no period reaches for ever), so it cannot be bounded from outside. Here the walk is ours:

* it starts at the period that holds the window's start, computed arithmetically (for a
  ``COUNT`` rule only when every period holds exactly one occurrence, so that the occurrences
  skipped are known; otherwise from DTSTART);
* it stops at the window's end, at ``UNTIL``, after ``COUNT`` occurrences, after ``limit``
  occurrences in the window (``cut = "limit"``) or when ``max_work`` steps are spent
  (``cut = "work"``; a step is a period or a day looked at, or an occurrence made);
* sub-daily rules skip a day, hour or minute whose filters fail in one step.

Occurrences are local wall times (naive), as DTSTART was written. The candidate set of a
period is every day of the period (a year, month, week or day) that passes every ``BY`` filter
given, times the ``BYHOUR``/``BYMINUTE``/``BYSECOND`` expansion, then ``BYSETPOS``, as RFC 5545
and dateutil define it. Two differences to dateutil: a ``BYDAY`` list that mixes plain weekdays
and numbered ones (``MO,1TU``) means either, as the RFC says, not both; and ``BYWEEKNO`` matches
a day by its ISO 8601 week (week year and number, a negative number counted from that week
year's last week), where dateutil miscounts some years' weeks at year ends.
"""

from __future__ import annotations

import calendar
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from functools import lru_cache

from ris_connector.adapters.ics import values

FREQUENCIES = ("YEARLY", "MONTHLY", "WEEKLY", "DAILY", "HOURLY", "MINUTELY", "SECONDLY")
YEARLY, MONTHLY, WEEKLY, DAILY, HOURLY, MINUTELY, SECONDLY = range(7)
WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
_UNIT = {HOURLY: 3600, MINUTELY: 60, SECONDLY: 1}
_RANGES = {
    "BYSECOND": (0, 60, False),
    "BYMINUTE": (0, 59, False),
    "BYHOUR": (0, 23, False),
    "BYMONTHDAY": (1, 31, True),
    "BYYEARDAY": (1, 366, True),
    "BYWEEKNO": (1, 53, True),
    "BYMONTH": (1, 12, False),
    "BYSETPOS": (1, 366, True),
}
_MAX_INTERVAL = 1_000_000


@dataclass(frozen=True)
class Rule:
    """A parsed RRULE. ``until`` is naive (wall time, or UTC if ``until_utc``)."""

    freq: int
    interval: int = 1
    count: int | None = None
    until: datetime | None = None
    until_utc: bool = False
    bysecond: tuple[int, ...] = ()
    byminute: tuple[int, ...] = ()
    byhour: tuple[int, ...] = ()
    byday: tuple[tuple[int, int], ...] = ()
    bymonthday: tuple[int, ...] = ()
    byyearday: tuple[int, ...] = ()
    byweekno: tuple[int, ...] = ()
    bymonth: tuple[int, ...] = ()
    bysetpos: tuple[int, ...] = ()
    wkst: int = 0

    def with_until(self, until: datetime | None) -> Rule:
        """The same rule with ``until`` as local wall time."""
        return replace(self, until=until, until_utc=False)


def parse_rule(value: str) -> Rule:
    """A Rule from the value of an RRULE; ValueError for anything RFC 5545 does not allow."""
    parts: dict[str, str] = {}
    for item in value.strip().split(";"):
        if not item.strip():
            continue
        key, eq, text = item.partition("=")
        key = key.strip().upper()
        if not eq or key in parts:
            raise ValueError(f"RRULE part {item[:40]!r} is malformed or repeated")
        parts[key] = text.strip()
    freq_text = parts.pop("FREQ", "").upper()
    if freq_text not in FREQUENCIES:
        raise ValueError(f"RRULE FREQ {freq_text[:20]!r} is none of {', '.join(FREQUENCIES)}")
    fields: dict[str, object] = {"freq": FREQUENCIES.index(freq_text)}
    if "INTERVAL" in parts:
        fields["interval"] = _bounded(parts.pop("INTERVAL"), "INTERVAL", 1, _MAX_INTERVAL)
    if "COUNT" in parts:
        fields["count"] = _bounded(parts.pop("COUNT"), "COUNT", 1, 2**31 - 1)
    if "UNTIL" in parts:
        moment, utc, _ = values.date_or_datetime(parts.pop("UNTIL"), None)
        if not isinstance(moment, datetime):
            moment = datetime.combine(moment, time(23, 59, 59))
        fields["until"], fields["until_utc"] = moment, utc
    if "WKST" in parts:
        fields["wkst"] = _weekday(parts.pop("WKST"))
    if "BYDAY" in parts:
        fields["byday"] = tuple(_nth_weekday(v) for v in _items(parts.pop("BYDAY"), "BYDAY"))
    for key, (low, high, signed) in _RANGES.items():
        if key in parts:
            numbers = tuple(_by_number(v, key, low, high, signed) for v in _items(parts.pop(key), key))
            fields[key.lower()] = tuple(sorted(set(numbers)))
    if parts.get("RSCALE", "GREGORIAN").upper() == "GREGORIAN":
        parts.pop("RSCALE", None)
    unknown = [k for k in parts if not k.startswith("X-")]
    if unknown:
        raise ValueError(f"RRULE part {unknown[0][:20]!r} is not known")
    return Rule(**fields)  # type: ignore[arg-type]


def _items(text: str, key: str) -> list[str]:
    items = [v.strip() for v in text.split(",")]
    if not items or any(not v for v in items) or len(items) > 400:
        raise ValueError(f"RRULE {key} {text[:40]!r} is no list of values")
    return items


def _bounded(text: str, key: str, low: int, high: int) -> int:
    if not text.isdigit() or len(text) > 12 or not low <= int(text) <= high:
        raise ValueError(f"RRULE {key}={text[:20]!r} is no number from {low} to {high}")
    return int(text)


def _by_number(text: str, key: str, low: int, high: int, signed: bool) -> int:
    sign = 1
    if text and text[0] in "+-":
        if text[0] == "-" and not signed:
            raise ValueError(f"RRULE {key} {text[:20]!r} may not be negative")
        sign = -1 if text[0] == "-" else 1
        text = text[1:]
    number = _bounded(text, key, low, high)
    return sign * (59 if key == "BYSECOND" and number == 60 else number)


def _weekday(text: str) -> int:
    name = text.strip().upper()
    if name not in WEEKDAYS:
        raise ValueError(f"{text[:10]!r} is no weekday")
    return WEEKDAYS.index(name)


def _nth_weekday(text: str) -> tuple[int, int]:
    weekday = _weekday(text[-2:])
    number = text[:-2]
    if not number:
        return 0, weekday
    sign = -1 if number[0] == "-" else 1
    return sign * _bounded(number[1:] if number[0] in "+-" else number, "BYDAY", 1, 53), weekday


class _OverBudget(Exception):
    """A period would make more candidates than the work left allows."""


@dataclass
class Expansion:
    """The occurrences found in the window, and why the walk stopped early, if it did."""

    starts: list[datetime] = field(default_factory=list)
    cut: str | None = None
    work: int = 0
    max_work: int = 0

    def charge(self, steps: int) -> None:
        """Count ``steps`` before making that many candidates; _OverBudget beyond the budget."""
        self.work += steps
        if self.work > self.max_work:
            raise _OverBudget


@dataclass(frozen=True)
class _Plan:
    """A rule with RFC 5545's defaults from DTSTART filled in."""

    rule: Rule
    dtstart: datetime
    bysecond: tuple[int, ...]
    byminute: tuple[int, ...]
    byhour: tuple[int, ...]
    byday_plain: frozenset[int]
    byday_nth: tuple[tuple[int, int], ...]
    bymonthday: tuple[int, ...]
    bymonth: tuple[int, ...]
    times: tuple[time, ...]
    one_per_period: bool


def _plan(rule: Rule, dtstart: datetime) -> _Plan:
    freq = rule.freq
    bymonth, bymonthday, byday = rule.bymonth, rule.bymonthday, rule.byday
    explicit = any(
        (rule.bysecond, rule.byminute, rule.byhour, byday, bymonthday, rule.byyearday, rule.byweekno, bymonth)
    )
    if not (rule.byweekno or rule.byyearday or bymonthday or byday):
        if freq == YEARLY:
            bymonth = bymonth or (dtstart.month,)
            bymonthday = (dtstart.day,)
        elif freq == MONTHLY:
            bymonthday = (dtstart.day,)
        elif freq == WEEKLY:
            byday = ((0, dtstart.weekday()),)
    bysecond = rule.bysecond or ((dtstart.second,) if freq < SECONDLY else ())
    byminute = rule.byminute or ((dtstart.minute,) if freq < MINUTELY else ())
    byhour = rule.byhour or ((dtstart.hour,) if freq < HOURLY else ())
    numbered = freq in (YEARLY, MONTHLY)
    plain = frozenset(d for n, d in byday if n == 0 or not numbered)
    nth = tuple((n, d) for n, d in byday if n != 0 and numbered)
    times: tuple[time, ...] = ()
    if freq <= DAILY:
        times = tuple(time(h, m, s) for h in byhour for m in byminute for s in bysecond)
    one = not explicit and not rule.bysetpos
    if freq == MONTHLY:
        one = one and dtstart.day <= 28
    elif freq == YEARLY:
        one = one and (dtstart.month, dtstart.day) != (2, 29)
    return _Plan(rule, dtstart, bysecond, byminute, byhour, plain, nth, bymonthday, bymonth, times, one)


def expand(
    rule: Rule,
    dtstart: datetime,
    lower: datetime,
    upper: datetime,
    *,
    limit: int,
    max_work: int,
    accept: Callable[[datetime], bool] | None = None,
) -> Expansion:
    """The occurrences of ``rule`` from ``dtstart`` that lie in ``[lower, upper]`` (see module).

    ``accept`` (if given) decides which of them count: the caller's window in instants, when
    ``lower``/``upper`` are wall times with a margin around it.
    """
    plan = _plan(rule, dtstart)
    walker = _SubDaily(plan) if rule.freq in _UNIT else _Daily(plan)
    out = Expansion(max_work=max_work)
    remaining = rule.count
    period = 0
    if lower > dtstart:
        jump = walker.index_of(lower)
        if remaining is None or plan.one_per_period:
            period = max(0, jump)
            if remaining is not None:
                remaining -= period
                if remaining <= 0:
                    return out
    until = rule.until
    while True:
        out.work += 1
        if out.work > max_work:
            out.cut = "work"
            return out
        try:
            found, following, start = walker.period(period, out)
        except _OverBudget:
            out.cut = "work"
            return out
        except (OverflowError, ValueError):  # past the year 9999
            return out
        if start > upper or (until is not None and start > until):
            return out
        if rule.bysetpos and found:
            found = _set_positions(found, rule.bysetpos)
        for moment in found:
            if moment < dtstart:
                continue
            if (until is not None and moment > until) or moment > upper:
                return out
            if remaining is not None:
                remaining -= 1
                if remaining < 0:
                    return out
            if moment >= lower and (accept is None or accept(moment)):
                if len(out.starts) >= limit:
                    out.cut = "limit"
                    return out
                out.starts.append(moment)
        period = following


def _set_positions(found: list[datetime], positions: tuple[int, ...]) -> list[datetime]:
    picked = {found[p - 1 if p > 0 else p] for p in positions if -len(found) <= p <= len(found) and p != 0}
    return sorted(picked)


class _Daily:
    """Periods of whole days (YEARLY, MONTHLY, WEEKLY, DAILY)."""

    def __init__(self, plan: _Plan) -> None:
        self.plan = plan
        self.rule = plan.rule
        start = plan.dtstart.date()
        self.week0 = start - timedelta(days=(start.weekday() - self.rule.wkst) % 7)

    def index_of(self, moment: datetime) -> int:
        """The number of the period that holds ``moment``."""
        rule, start = self.rule, self.plan.dtstart
        if rule.freq == YEARLY:
            steps = moment.year - start.year
        elif rule.freq == MONTHLY:
            steps = (moment.year - start.year) * 12 + moment.month - start.month
        elif rule.freq == WEEKLY:
            steps = (moment.date() - self.week0).days // 7
        else:
            steps = (moment.date() - start.date()).days
        return steps // rule.interval

    def period(self, index: int, out: Expansion) -> tuple[list[datetime], int, datetime]:
        """The candidates of period ``index`` (sorted), the next period, the period start."""
        rule, plan = self.rule, self.plan
        step = index * rule.interval
        start = plan.dtstart
        if rule.freq == YEARLY:
            first = date(start.year + step, 1, 1)
            days = _year_days(first.year, plan.bymonth)
        elif rule.freq == MONTHLY:
            year, month = divmod(start.year * 12 + start.month - 1 + step, 12)
            first = date(year, month + 1, 1)
            days = [first + timedelta(days=i) for i in range(calendar.monthrange(year, month + 1)[1])]
        elif rule.freq == WEEKLY:
            first = self.week0 + timedelta(days=7 * step)
            days = [first + timedelta(days=i) for i in range(7)]
        else:
            first = start.date() + timedelta(days=step)
            days = [first]
        out.work += len(days)
        matching = [d for d in days if _day_matches(plan, d)]
        out.charge(len(matching) * len(plan.times))
        found = [datetime.combine(d, t) for d in matching for t in plan.times]
        return found, index + 1, datetime.combine(first, time())


class _SubDaily:
    """Periods of hours, minutes or seconds; days, hours and minutes that fail are skipped."""

    def __init__(self, plan: _Plan) -> None:
        self.plan = plan
        self.rule = plan.rule
        unit = _UNIT[self.rule.freq]
        start = plan.dtstart
        if unit == 3600:
            start = start.replace(minute=0, second=0)
        elif unit == 60:
            start = start.replace(second=0)
        self.base = start
        self.step = timedelta(seconds=unit * self.rule.interval)

    def index_of(self, moment: datetime) -> int:
        """The number of the period that holds ``moment``."""
        return (moment - self.base) // self.step

    def _first_from(self, moment: datetime) -> int:
        """The first period that starts at or after ``moment``."""
        return -((self.base - moment) // self.step)

    def period(self, index: int, out: Expansion) -> tuple[list[datetime], int, datetime]:
        """The candidates of period ``index``, the next period worth a look, the period start.

        A period whose day, hour or (below HOURLY) minute fails its filter has no candidates;
        the next period to look at is then the first of the next day, hour or minute.
        """
        plan, freq = self.plan, self.rule.freq
        moment = self.base + self.step * index
        skip_to: datetime | None = None
        if not _day_matches(plan, moment.date()):
            skip_to = datetime.combine(moment.date() + timedelta(days=1), time())
        elif plan.byhour and moment.hour not in plan.byhour:
            skip_to = moment.replace(minute=0, second=0) + timedelta(hours=1)
        elif freq != HOURLY and plan.byminute and moment.minute not in plan.byminute:
            skip_to = moment.replace(second=0) + timedelta(minutes=1)
        if skip_to is not None:
            return [], max(index + 1, self._first_from(skip_to)), moment
        if freq == HOURLY:
            out.charge(len(plan.byminute) * len(plan.bysecond))
            found = [moment.replace(minute=m, second=s) for m in plan.byminute for s in plan.bysecond]
        elif freq == MINUTELY:
            found = [moment.replace(second=s) for s in plan.bysecond]
        else:
            found = [moment] if not plan.bysecond or moment.second in plan.bysecond else []
        return found, index + 1, moment


def _day_matches(plan: _Plan, day: date) -> bool:
    """Whether ``day`` passes every day-level filter of the rule (the limits of RFC 5545)."""
    rule = plan.rule
    if plan.bymonth and day.month not in plan.bymonth:
        return False
    if plan.bymonthday:
        length = calendar.monthrange(day.year, day.month)[1]
        if day.day not in plan.bymonthday and day.day - length - 1 not in plan.bymonthday:
            return False
    if rule.byyearday:
        yday = day.timetuple().tm_yday
        length = 366 if calendar.isleap(day.year) else 365
        if yday not in rule.byyearday and yday - length - 1 not in rule.byyearday:
            return False
    if rule.byweekno and not _week_matches(day, rule.byweekno, rule.wkst):
        return False
    if plan.byday_plain or plan.byday_nth:
        weekday = day.weekday()
        if weekday not in plan.byday_plain and not _nth_matches(plan, day, weekday):
            return False
    return True


def _nth_matches(plan: _Plan, day: date, weekday: int) -> bool:
    """Whether ``day`` is the n-th (or n-th last) of its weekday in the month or the year."""
    if not plan.byday_nth:
        return False
    if plan.rule.freq == MONTHLY or plan.bymonth:
        first = day.replace(day=1)
        last = day.replace(day=calendar.monthrange(day.year, day.month)[1])
    else:
        first, last = date(day.year, 1, 1), date(day.year, 12, 31)
    forward = (day - first).days // 7 + 1
    backward = -((last - day).days // 7 + 1)
    return any(d == weekday and n in (forward, backward) for n, d in plan.byday_nth)


@lru_cache(maxsize=64)
def _week_one(year: int, wkst: int) -> date:
    """The first day of week 1 of ``year``: the week (from ``wkst``) that holds January 4."""
    jan4 = date(year, 1, 4)
    return jan4 - timedelta(days=(jan4.weekday() - wkst) % 7)


def _week_matches(day: date, weeks: tuple[int, ...], wkst: int) -> bool:
    start = day - timedelta(days=(day.weekday() - wkst) % 7)
    year = day.year
    if year < 9999 and start >= _week_one(year + 1, wkst):
        year += 1
    elif year > 1 and start < _week_one(year, wkst):
        year -= 1
    number = (start - _week_one(year, wkst)).days // 7 + 1
    count = (_week_one(year + 1, wkst) - _week_one(year, wkst)).days // 7 if year < 9999 else 52
    return number in weeks or number - count - 1 in weeks


def _year_days(year: int, months: tuple[int, ...]) -> list[date]:
    days: list[date] = []
    for month in months or range(1, 13):
        first = date(year, month, 1)
        days.extend(first + timedelta(days=i) for i in range(calendar.monthrange(year, month)[1]))
    return days
