"""Record validation that costs a bad value, not the record.

pydantic refuses a whole record when one field is invalid. Sources send unreadable values in
optional fields all the time (a date that is no date, an object where a URL belongs), and one
such value must not quarantine a meeting. :func:`validate_record` validates, and where fields
fail it drops those values (or, in a list, only the failing elements) and validates again. The
record is refused only when a field it cannot exist without fails: its identity (``id``,
``type``), a field the model requires, or a field the caller names as required.

Adapters (built-in and plugins) use :func:`record_items`, which turns every dropped value into
a counted :class:`~ris_connector.adapters.base.Notice` and a refused record into a
:class:`~ris_connector.adapters.base.Rejected` with the reason.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import date
from functools import cache
from typing import Any, ForwardRef, Literal, TypeVar, get_args, get_origin

from pydantic import (
    AwareDatetime,
    FutureDate,
    FutureDatetime,
    NaiveDatetime,
    PastDate,
    PastDatetime,
    ValidationError,
)

from ris_connector.items import Item, Notice, Rejected
from ris_connector.models import Record
from ris_connector.normalize.times import PLAUSIBLE_YEARS, plausible_year
from ris_connector.notices.values import INVALID_VALUE

R = TypeVar("R", bound=Record)

#: Fields no record exists without, whatever the caller says.
IDENTITY = frozenset({"id", "type"})


@dataclass(frozen=True)
class DroppedValue:
    """A field value (or list element) the model refused and that was left out."""

    field: str
    """The field's name as the data gave it (snake_case or JSON name)."""
    problem: str
    """pydantic's message and (the start of) the value."""

    def __str__(self) -> str:
        return f"{self.field}: {self.problem}; dropped"


def validate_record(
    cls: type[R],
    data: Mapping[str, Any],
    *,
    required: Collection[str] = (),
    by_name: bool = False,
) -> tuple[R, list[DroppedValue]]:
    """``cls`` validated from ``data``; values of optional fields that fail are dropped.

    Returns the record and what was dropped. Raises :class:`pydantic.ValidationError` when a
    field in :data:`IDENTITY`, a field the model requires, or one of ``required`` fails (or
    when the errors cannot be attributed to fields). ``by_name`` validates by field name only
    (pydantic's ``by_name=True, by_alias=False``), as the OParl mapper does.
    """
    kwargs: dict[str, Any] = {"by_alias": False, "by_name": True} if by_name else {}
    try:
        record = cls.model_validate(data, **kwargs)
    except ValidationError as first:
        error = first
    else:
        return record, _implausible_dates(record)
    names = _field_names(cls)
    must = IDENTITY | set(required) | {n for n, f in cls.model_fields.items() if f.is_required()}
    work = dict(data)
    dropped: list[DroppedValue] = []
    for _ in range(len(work) + 1):  # every round drops at least one value, so this ends
        whole: set[str] = set()
        elements: dict[str, set[int]] = {}
        for err in error.errors():
            loc = err.get("loc") or ()
            key = loc[0] if loc else None
            if not isinstance(key, str) or key not in work or names.get(key, key) in must:
                raise error
            index = loc[1] if len(loc) > 1 and isinstance(loc[1], int) else None
            if index is not None and isinstance(work[key], list):
                elements.setdefault(key, set()).add(index)
                key_shown = f"{key}[{index}]"
            else:
                whole.add(key)
                key_shown = key
            dropped.append(DroppedValue(key_shown, f"{err['msg']} (got {_show(err.get('input'))})"))
        for key in whole:
            del work[key]
            elements.pop(key, None)
        for key, indexes in elements.items():
            work[key] = [v for i, v in enumerate(work[key]) if i not in indexes]
        try:
            record = cls.model_validate(work, **kwargs)
        except ValidationError as again:
            error = again
        else:
            return record, dropped + _implausible_dates(record)
    raise error  # pragma: no cover - unreachable: each round removes a key or list elements


def record_items(
    cls: type[R],
    data: Mapping[str, Any],
    *,
    raw: Any = None,
    required: Collection[str] = (),
    by_name: bool = False,
    code: str = INVALID_VALUE,
) -> list[Item]:
    """The items for one record: a notice per dropped value, then the record; or one rejection.

    ``raw`` is what the quarantine keeps if the record is refused (default: ``data``). Notices
    and the rejection name the record's type and id.
    """
    type_name = cls.TYPE
    rid = data.get("id")
    ref = rid if isinstance(rid, str) else None
    try:
        record, dropped = validate_record(cls, data, required=required, by_name=by_name)
    except ValidationError as exc:
        return [Rejected(validation_reason(exc), data if raw is None else raw, type_name, ref)]
    items: list[Item] = [Notice(code, f"{type_name} {ref or ''}: {d}") for d in dropped]
    items.append(record)
    return items


def validation_reason(exc: ValidationError) -> str:
    """A quarantine reason naming each invalid field, its problem and (the start of) its value."""
    return "; ".join(
        f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']} (got {_show(e.get('input'))})" for e in exc.errors()
    )


def _show(value: Any) -> str:
    """The start of a value for a message (never the whole of a huge one)."""
    try:
        text = value[:80] if isinstance(value, str) else str(value)[:80]
    except (ValueError, RecursionError):  # an integer beyond the str conversion limit, deep nesting
        text = f"<{type(value).__name__}>"
    return repr(text)


def _implausible_dates(record: Record) -> list[DroppedValue]:
    """Dates outside :data:`PLAUSIBLE_YEARS` set to None (all date fields are optional)."""
    dropped: list[DroppedValue] = []
    values = record.__dict__
    for name in _date_fields(type(record)):
        value = values[name]
        if isinstance(value, date) and not plausible_year(value.year):
            setattr(record, name, None)
            years = "-".join(map(str, PLAUSIBLE_YEARS))
            dropped.append(DroppedValue(name, f"year {value.year} is outside the years {years}"))
    return dropped


@cache
def _date_fields(cls: type[Record]) -> tuple[str, ...]:
    """The fields of ``cls`` whose value may be a date or date-time, by their annotations, in
    field order: the date check of every record reads these, not all twenty-odd values."""
    return tuple(name for name, f in cls.model_fields.items() if _may_hold_date(f.annotation))


def _may_hold_date(annotation: Any) -> bool:
    if annotation is Any or annotation is object or isinstance(annotation, (str, ForwardRef)):
        return True  # not narrowed (or not resolved): checked like any value
    if annotation in _PYDANTIC_DATES or (isinstance(annotation, type) and issubclass(annotation, date)):
        return True
    if get_origin(annotation) is Literal:
        return False  # its arguments are values, not types
    return any(_may_hold_date(arg) for arg in get_args(annotation) if not isinstance(arg, str))


#: pydantic's date types that are no subclass of ``date`` at run time.
_PYDANTIC_DATES = (AwareDatetime, NaiveDatetime, PastDate, FutureDate, PastDatetime, FutureDatetime)


def _field_names(cls: type[Record]) -> dict[str, str]:
    """JSON name (alias) -> field name, for errors reported under the alias."""
    return {f.alias: name for name, f in cls.model_fields.items() if f.alias}
