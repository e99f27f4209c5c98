"""What always differs between two runs of the same cell, replaced by a placeholder before
outputs are compared: terminal colours, text a terminal would have overwritten, progress
bars, execution times, temporary and home folders, warnings' file:line, memory addresses,
object ids, PIDs, clock times and IPython's cell numbers.

The sanitisers are a table (``SANITISERS``), applied in its order to the saved and the
fresh text alike; each is a regular expression with bounded repetition, so sanitising
costs time linear in the text. Dates and timestamps are not replaced here: a date can be
data (a time series' index) or the moment the notebook ran, and only the comparison,
which knows when each side ran, can tell (``dates_in``, ``near``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

__all__ = [
    "DATE",
    "NEAR",
    "SANITISERS",
    "Sanitiser",
    "near",
    "parse_date",
    "sanitise",
    "settle",
]


@dataclass(frozen=True, slots=True)
class Sanitiser:
    """One kind of noise: what it is, the pattern that finds it, what replaces it."""

    name: str
    pattern: re.Pattern[str]
    replacement: str


def _rule(name: str, pattern: str, replacement: str, flags: int = 0) -> Sanitiser:
    return Sanitiser(name, re.compile(pattern, flags), replacement)


_UNIT = r"(?:ns|µs|us|ms|s|sec|secs|seconds?|min|mins|minutes?|h|hours?)"

SANITISERS: tuple[Sanitiser, ...] = (
    _rule("terminal colours", r"\x1b\[[0-9;?]{0,40}[A-Za-z]", ""),
    # tqdm's bar: "Epoch 1:  40%|####      | 4/10 [00:01<00:02,  2.9it/s, loss=0.3]"
    _rule(
        "progress bars", r"^[^\n]{0,200}?\d{1,3}%\|[^\n|]{0,200}\|[^\n]{0,400}$", "<progress>", re.M
    ),
    _rule("progress rates", r"\d+(?:\.\d+)?\s?(?:it/s|s/it|steps?/s|B/s|[kKMG]i?B/s)\b", "<rate>"),
    # Keras: "100/100 [======] - 1s 5ms/step - loss: 0.69" keeps the loss, not the times
    _rule("step times", r"\b\d+m?s \d+(?:\.\d+)?[mµu]?s/(?:step|sample)", "<time>/step"),
    _rule("estimated times", r"\bETA:? ?\d{1,3}(?::\d{2}){0,2}s?", "ETA <time>"),
    _rule("CPU and wall times", r"^(CPU times|Wall time):[^\n]{0,200}$", r"\1: <time>", re.M),
    _rule(
        "timeit lines",
        r"^[^\n]{0,120}(?:per loop \(mean ± std\. dev\.|loops?, best of \d)[^\n]{0,200}$"
        r"|^The slowest run took [^\n]{0,200}$",
        "<timeit>",
        re.M,
    ),
    _rule(
        "execution times",
        rf"\b(took|in|elapsed|time|duration|runtime)(:?)\s{{0,3}}\d+(?:\.\d+)?\s?{_UNIT}(?![\w])",
        r"\1\2 <duration>",
        re.I,
    ),
    # "/opt/conda/lib/python3.7/site-packages/sklearn/base.py:12: FutureWarning: ..."
    _rule(
        "warnings' file and line",
        r"^[^\n]{0,400}?\.pyx?:\d+: (?=[A-Za-z_]{0,60}Warning\b)",
        "<file>:<line>: ",
        re.M,
    ),
    _rule("traceback file and line", r'File "[^"\n]{0,400}", line \d+', 'File "<file>", line <n>'),
    _rule(
        "IPython cell names",
        r"<ipython-input-\d+-[0-9a-f]+>|\b(?:In|Out|Cell In)\s?\[\d+\]",
        "<cell>",
    ),
    _rule(
        "temporary paths",
        r"(?:/[\w.-]{1,100}){0,6}?/(?:tmp|temp|Temp|TEMP|var/folders|dev/shm)/"
        r"[^\s'\"<>:,;)\]]{0,400}"
        r"|[A-Za-z]:\\Users\\[^\\\s]{1,100}\\AppData\\Local\\Temp\\[^\s'\"<>:,;)\]]{0,400}",
        "<tmp>",
    ),
    _rule("random temporary names", r"\btmp[a-z0-9_]{6,10}\b", "<tmpname>"),
    _rule(
        "home folders",
        r"/(?:home|Users)/[^/\s'\"<>]{1,100}|[A-Za-z]:\\Users\\[^\\\s'\"<>]{1,100}",
        "~",
    ),
    _rule("memory addresses", r"\b0x[0-9a-fA-F]{6,16}\b", "0x<address>"),
    _rule(
        "uuids",
        r"\b[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\b",
        "<uuid>",
    ),
    # id() of an object: a number of 9 digits or more, where a program names it an id
    _rule(
        "object ids",
        r"\b(id|object_id|model_id)(['\"]?\s?[=:]\s?['\"]?)\d{9,20}\b",
        r"\1\2<id>",
        re.I,
    ),
    _rule("process ids", r"\b(pid|PID|process id|Process)(\s?[=:]?\s?)\d{1,10}\b", r"\1\2<pid>"),
    # a clock time on its own ("14:03:59"); one inside a date is the comparison's to judge
    _rule(
        "clock times", r"(?<!\d[ T])(?<!days )\b\d{1,2}:\d{2}:\d{2}(?:[.,]\d{1,9})?\b", "<clock>"
    ),
)
"""The built-in sanitisers, in the order they apply."""

_BACKSPACE = re.compile(r"[^\n]\x08")
# A carriage return followed on its line by something visible: what came before is
# rewritten (only blanks after it leave the line as it was: whitespace is layout).
_CARRIAGE = re.compile(r"^[^\n]*\r(?=[^\n]*\S)", re.M)


def settle(text: str) -> str:
    """The text as a terminal leaves it: a character erased by a backspace is gone, and a
    line rewritten after a carriage return (a progress bar) keeps only its last state."""
    if "\x08" in text:
        while True:
            shorter = _BACKSPACE.sub("", text)
            if len(shorter) == len(text):
                break
            text = shorter
    if "\r" in text:
        text = text.replace("\r\n", "\n")
        text = _CARRIAGE.sub("", text)
        text = text.replace("\r", "")
    return text


def sanitise(text: str, sanitisers: tuple[Sanitiser, ...] = SANITISERS) -> str:
    """``text`` settled as a terminal shows it, with every sanitiser's noise replaced."""
    text = settle(text)
    for item in sanitisers:
        text = item.pattern.sub(item.replacement, text)
    return text


# -- dates: data or the moment of the run -------------------------------------------------

_MONTHS = "Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec"
_DAYS = "Mon|Tue|Wed|Thu|Fri|Sat|Sun"
DATE = re.compile(
    r"(?P<iso>(?<!\d)\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?)?"
    r"(?:Z|[+-]\d{2}:?\d{2})?)(?![\d:])"
    rf"|(?P<ctime>(?:{_DAYS}) (?:{_MONTHS}) [ \d]\d \d{{2}}:\d{{2}}:\d{{2}} \d{{4}})"
    rf"|(?P<rfc>(?:{_DAYS}), \d{{1,2}} (?:{_MONTHS}) \d{{4}} \d{{2}}:\d{{2}}:\d{{2}}"
    r"(?: [+-]\d{4}| GMT| UTC)?)"
    r"|(?P<repr>datetime\.(?:datetime|date)\(\d{4}, \d{1,2}, \d{1,2}(?:, \d{1,6}){0,4}\))"
)
"""A date or timestamp as programs print them: ISO 8601 (``Timestamp('…')`` and
``str(datetime)`` too), ``time.ctime()``, RFC 2822, and ``datetime``'s repr."""

NEAR = timedelta(hours=36)
"""A date this close to the moment a notebook ran is taken to be that moment (time zones
included): the run's clock, not data."""


def parse_date(token: str) -> datetime | None:
    """The moment a ``DATE`` token names, in UTC when it carries a zone (naive ones are
    taken as UTC: ``NEAR`` allows for the difference); None when it names none."""
    found = DATE.fullmatch(token)
    if found is None:
        return None
    try:
        if found.group("iso"):
            text = found.group("iso").replace("Z", "+00:00")
            if "." in text:  # fromisoformat takes at most six digits of a second
                head, _dot, tail = text.partition(".")
                digits = re.match(r"\d*", tail)
                fraction = digits.group() if digits else ""
                text = f"{head}.{fraction[:6].ljust(6, '0')}{tail[len(fraction) :]}"
            moment = datetime.fromisoformat(text)
        elif found.group("ctime"):
            moment = datetime.strptime(" ".join(token.split()), "%a %b %d %H:%M:%S %Y")
        elif found.group("rfc"):
            parts = token.split()
            moment = datetime.strptime(" ".join(parts[:5]), "%a, %d %b %Y %H:%M:%S")
        else:
            numbers = [int(value) for value in re.findall(r"\d+", token)]
            moment = datetime(*numbers)  # type: ignore[misc]
    except (ValueError, TypeError, OverflowError):
        return None
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment


def near(token: str, ran_at: datetime | None) -> bool:
    """Whether the date ``token`` is the moment a notebook that ran at ``ran_at`` ran."""
    if ran_at is None:
        return False
    moment = parse_date(token)
    if moment is None:
        return False
    if ran_at.tzinfo is not None:
        ran_at = ran_at.astimezone(UTC).replace(tzinfo=None)
    return abs(moment - ran_at) <= NEAR
