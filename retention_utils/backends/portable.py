"""Parsing text with Ibis operations every engine has: regular expressions, integer arithmetic, casts.

PostgreSQL has no ``try_cast`` (a bad value fails the whole query) and Spark's date patterns are Java's,
not strftime's; DuckDB's ``try_strptime`` exists nowhere else. So the server engines parse dates and
numbers here, the same way on both: a value is first matched against a regular expression built from
the params' format, its parts are checked (month 1-12, the day within its month, leap years), and
only a value that passed is cast. A value that does not parse is NULL, which the contract counts and
reports, as it does on DuckDB.

Supported strftime directives: ``%Y %y %m %d %b %h %B %H %I %M %S %f %p %z %a %A %%`` (English month
and day names, any case). ``%y`` follows Python and DuckDB: 00-68 is 20xx, 69-99 is 19xx.
"""
from __future__ import annotations

from typing import Sequence

import ibis

from ..errors import ConfigError

__all__ = ["parse_date", "parse_iso_date", "parse_number", "row_hash", "date_regex"]

_MONTHS = ("january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
           "november", "december")
_DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
#: directive -> (regular expression, part it gives, or None when the part is only matched: then the group does not
#: capture and the pattern checks the range itself, e.g. an hour 0-23)
_DIRECTIVES: dict[str, tuple[str, str | None]] = {
    "Y": (r"([0-9]{4})", "year"), "y": (r"([0-9]{2})", "year2"), "m": (r"([0-9]{1,2})", "month"),
    "d": (r"([0-9]{1,2})", "day"),
    "b": (f"({'|'.join(m[:3] for m in _MONTHS)})", "mon"), "h": (f"({'|'.join(m[:3] for m in _MONTHS)})", "mon"),
    "B": (f"({'|'.join(_MONTHS)})", "monthname"),
    "H": (r"(?:[01]?[0-9]|2[0-3])", None), "I": (r"(?:0?[1-9]|1[0-2])", None), "M": (r"(?:[0-5]?[0-9])", None),
    "S": (r"(?:[0-5]?[0-9]|60)", None), "f": (r"(?:[0-9]{1,9})", None), "p": (r"(?:am|pm)", None),
    "z": (r"(?:z|[+-][0-9]{2}:?[0-9]{2})", None), "a": (f"(?:{'|'.join(d[:3] for d in _DAYS)})", None),
    "A": (f"(?:{'|'.join(_DAYS)})", None),
}
_SPECIAL = set(".^$*+?()[]{}|\\")


def date_regex(fmt: str) -> tuple[str, list[str | None]]:
    """The anchored regular expression (on lower-cased text) for strftime ``fmt``, and the part each group gives.

    Examples
    --------
    >>> date_regex("%d/%m/%Y")
    ('^([0-9]{1,2})/([0-9]{1,2})/([0-9]{4})$', ['day', 'month', 'year'])
    """
    out, parts, i = ["^"], [], 0
    while i < len(fmt):
        ch = fmt[i]
        if ch == "%" and i + 1 < len(fmt):
            d = fmt[i + 1]
            if d == "-" and i + 2 < len(fmt):  # %-d, %-m: no zero padding, which the patterns allow anyway
                d = fmt[i + 2]
                i += 1
            if d == "%":
                out.append("%")
            elif d in _DIRECTIVES:
                pattern, part = _DIRECTIVES[d]
                out.append(pattern)
                if part:
                    parts.append(part)
            else:
                raise ConfigError(f"date_format {fmt!r}: the directive %{d} is not supported by engine.backend postgres "
                                  f"or spark; use %Y %m %d (and %H %M %S, %b, %B, %y), or engine.backend duckdb.")
            i += 2
            continue
        ch = ch.lower()  # the value is matched lower-cased ('T' and 'Z' in a format too)
        out.append("\\" + ch if ch in _SPECIAL else ch)
        i += 1
    out.append("$")
    return "".join(out), parts


def _int(text: ibis.StringValue, ok: ibis.BooleanValue) -> ibis.IntegerValue:
    """``text`` (digits by construction where ``ok``) as an integer; NULL elsewhere (no cast of a non-number)."""
    return ibis.ifelse(ok, text, ibis.null("string")).cast("int64")


def _days_in_month(year: ibis.IntegerValue, month: ibis.IntegerValue) -> ibis.IntegerValue:
    leap = ((year % 4 == 0) & (year % 100 != 0)) | (year % 400 == 0)
    return ibis.cases((month == 2, ibis.ifelse(leap, 29, 28)), (month.isin([4, 6, 9, 11]), 30), else_=31)


def _iso(year: ibis.IntegerValue, month: ibis.IntegerValue, day: ibis.IntegerValue,
         ok: ibis.BooleanValue) -> ibis.DateValue:
    """The date ``year-month-day`` where ``ok`` and the parts make a real date; NULL elsewhere."""
    valid = ok & year.between(1, 9999) & month.between(1, 12) & (day >= 1) & (day <= _days_in_month(year, month))
    text = (year.cast("string").lpad(4, "0") + "-" + month.cast("string").lpad(2, "0") + "-"
            + day.cast("string").lpad(2, "0"))
    return ibis.ifelse(valid, text, ibis.null("string")).cast("date")


def parse_date(value: ibis.StringValue, fmt: str) -> ibis.DateValue:
    """``value`` parsed with the strftime-style ``fmt`` as a date; NULL where it does not parse."""
    pattern, parts = date_regex(fmt)
    s = value.strip().lower()
    ok = s.re_search(pattern)
    group = {part: s.re_extract(pattern, i + 1) for i, part in enumerate(parts)}
    if "year" in group:
        year = _int(group["year"], ok)
    elif "year2" in group:
        y2 = _int(group["year2"], ok)
        year = ibis.ifelse(y2 < 69, y2 + 2000, y2 + 1900)
    else:
        raise ConfigError(f"date_format {fmt!r} has no year (%Y or %y); a date needs one.")
    if "month" in group:
        month = _int(group["month"], ok)
    elif "mon" in group or "monthname" in group:
        names = group.get("mon", group.get("monthname"))
        month = names.substr(0, 3).substitute({m[:3]: i + 1 for i, m in enumerate(_MONTHS)},
                                               else_=ibis.null("int64")).cast("int64")
    else:
        raise ConfigError(f"date_format {fmt!r} has no month (%m, %b or %B); a date needs one.")
    if "day" not in group:
        raise ConfigError(f"date_format {fmt!r} has no day of the month (%d); a date needs one.")
    day = _int(group["day"], ok)
    return _iso(year, month, day, ok)


#: the optional time of day and offset of an ISO timestamp; the pattern itself checks the ranges (no number is
#: extracted: every extraction is a regular expression per row, and the SQL repeats it wherever it is used)
_TIME = (r"([ t]([01]?[0-9]|2[0-3]):[0-5]?[0-9](:([0-5]?[0-9]|60)([.][0-9]{1,9})?)?)?"
         r"( ?(z|utc|gmt|[+-][0-9]{2}(:?[0-9]{2})?))?$")
#: ISO 8601 with zero-padded month and day (what exports write): the parts sit at fixed places
_ISO_PADDED = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}" + _TIME
#: ISO 8601 as the default engine's cast also reads it (month and day of one digit)
_ISO = r"^([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})" + _TIME


def parse_iso_date(value: ibis.StringValue) -> ibis.DateValue:
    """An ISO date or timestamp (``2024-01-31``, ``2024-01-31 13:45:00``, ``2024-01-31T13:45:00Z``) as a date;
    NULL where it does not parse (the time must be a real time of day)."""
    s = value.strip().lower()
    padded = s.re_search(_ISO_PADDED)
    ok = padded | s.re_search(_ISO)

    def part(start: int, length: int, group: int) -> ibis.IntegerValue:
        return _int(ibis.ifelse(padded, s.substr(start, length), s.re_extract(_ISO, group)), ok)

    return _iso(part(0, 4, 1), part(5, 2, 2), part(8, 2, 3), ok)


#: a decimal number; the exponent is kept to two digits so that every match fits a double on every engine
_NUMBER = r"^[+-]?([0-9]+[.]?[0-9]*|[.][0-9]+)(e[+-]?[0-9]{1,2})?$"


def parse_number(value: ibis.StringValue) -> ibis.FloatingValue:
    """``value`` parsed as a decimal number (``1234.5``, ``-1e3``); NULL where it does not parse."""
    s = value.strip().lower()
    return ibis.ifelse(s.re_search(_NUMBER), s, ibis.null("string")).cast("float64")


def row_hash(table: ibis.Table, columns: Sequence[str]) -> ibis.IntegerValue:
    """A hash of the text of all ``columns`` (NULL written as a control character no export holds)."""
    text = ibis.literal("\x1f").join([table[c].cast("string").fill_null("\x1e") for c in columns])
    return text.hash()
