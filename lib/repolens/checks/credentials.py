"""Credentials beyond fixed formats (SE001), at high precision: a password in a URI, a
literal of enough entropy assigned to a name that says it is secret, a key inside a
webhook URL.

A fixed format (an AWS key id, a GitHub token) is a credential by its shape; these are not,
so each needs its context and a value that looks chosen, not written for the reader:

- ``scheme://user:password@host`` for the schemes of databases, brokers and the web
  (mongodb, mongodb+srv, postgres, mysql, amqp, mqtt, redis, http, https, ftp, ...), on a
  host other than this machine, with a password that is no placeholder and not the user
  name again (``guest:guest``, ``postgres:postgres``: a local default);
- a quoted literal (in configuration also a bare value) assigned with ``=`` or ``:`` to a
  name ending in password, passwd, pwd, passphrase, secret, token, api_key, apikey,
  access_key, auth_key, private_key or client_secret (``HIVEMQ_PASSWORD = "..."``,
  ``password="..."``, ``"api_key": "..."``), of at least 8 characters, no space, two kinds
  of character (lower, upper, digit, symbol) and 3 bits of entropy per character;
- the key of an IFTTT Maker webhook, and a ``key=``/``token=`` parameter of a URL with a
  value of that shape.

Never: placeholders (``changeme``, ``<password>``, ``xxx``, ``${VAR}``, ``{password}``,
``%s``, ``your_token``, ``Enter your WiFi password here``, ``user:pass@``), password hashes
(``sha1:...``, ``argon2:...``: what a server stores, not what it asks for), names of
environment variables (``"GITHUB_TOKEN"``), environment look-ups (the value is then no
literal), tokenizer markers (``"[PAD]"``, ``"</s>"``) and base64 image payloads (notebook
images are never read, and a line longer than ``MAX_LINE`` is a payload, not something
someone typed).
"""

from __future__ import annotations

import math
import re
from bisect import bisect_right
from collections import Counter
from collections.abc import Iterator

__all__ = ["MAX_LINE", "credential_hits", "is_placeholder", "may_hold_credentials"]

MAX_LINE = 2000  # characters: a longer line is data or a payload, not a typed credential
_SCHEMES = (
    r"mongodb(?:\+srv)?|postgres(?:ql)?(?:\+\w+)?|mysql(?:\+\w+)?|mariadb|mssql(?:\+\w+)?"
    r"|oracle(?:\+\w+)?|amqps?|mqtts?|redis|rediss|https?|ftps?|sftp|smtps?|ldaps?|wss?"
)
_URI = re.compile(
    rf"(?<![\w+.-])(?P<scheme>{_SCHEMES})://(?P<user>[^\s:/@'\"<>{{}}]{{1,128}})"
    r":(?P<password>[^\s/@'\"]{1,256})@(?P<host>[\w.-]{1,253})",
    re.IGNORECASE,
)
_NAMES = (
    r"pass(?:word|wd|phrase)?|pwd|secret(?:[_-]?key)?|token|auth[_-]?token|access[_-]?token"
    r"|api[_-]?key|apikey|access[_-]?key|auth[_-]?key|private[_-]?key|client[_-]?secret"
)
# A name (a variable, a key, a keyword argument) that ends in one of _NAMES, then = or :,
# then a quoted literal (an optional Python prefix); or, at the start of a line, a bare value.
_ASSIGNED = re.compile(
    rf"(?P<name>(?<![\w-])[\w.-]{{0,64}}?(?:{_NAMES}))(?![\w-])[\"']?[ \t]*"
    r"(?<![=!<>])(?:=(?!=)|:(?![:/]))[ \t]*(?:"
    r"[rRbBuU]{0,2}(?P<quote>[\"'])(?P<quoted>[^\"'\n]{1,256})(?P=quote)"
    r"|(?P<bare>(?<=[:=])[ \t]*[^\s\"'#;,()\[\]{}]{8,256}(?=[ \t]*(?:#.*)?$)))",
    re.IGNORECASE | re.MULTILINE,
)
_IFTTT = re.compile(r"maker\.ifttt\.com/trigger/[^/\s\"']+/with/key/(?P<key>[\w-]{16,64})")
_URL_KEY = re.compile(  # [?&] first: a character to look for, not a look-behind at each offset
    r"[?&](?:key|token|api_?key|apikey|access_?token|auth|secret)=(?P<key>[\w-]{16,128})",
    re.IGNORECASE,
)
_LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "0.0.0.0", "::1", "host.docker.internal"})
# Hosts reserved for documentation (RFC 2606): a URI there is an example.
_EXAMPLE_HOSTS = re.compile(
    r"(?:^|\.)(?:example\.(?:com|org|net)|[^.]+\.(?:example|test|invalid))$"
)
_PLACEHOLDER = re.compile(
    r"^(?:[*x.]+|[<\[{(].*[>\]})]|\$.*|%.*|@.*|.*\{.*\}.*|\.\.\.|none|null|nil|true|false|"
    r".*(?:changeme|change[_-]?me|password|passwd|secret|example|sample|dummy|placeholder|"
    r"your|enter|insert|replace|fixme|todo|redacted|here|test|fake|xxx|12345).*"
    # words a reader sees as stand-ins (``user:pass@``, ``pass%20pass``), alone or repeated
    r"|(?:(?:pass|pwd|pw|user|name|login|foo|bar|baz|qux|admin|root|guest)"
    r"(?:%[0-9a-f]{2}|[\W_])*)+"
    # a password hash (Jupyter's ``sha1:salt:digest``, ``argon2:...``): not the password
    r"|(?:sha1|sha256|sha512|argon2|pbkdf2[\w-]*|bcrypt):.*)$",
    re.IGNORECASE,
)
_ENV_NAME = re.compile(r"^[A-Z][A-Z0-9_]*$|^[a-z][a-z0-9_]*$|^[a-z][a-z0-9-]*$|^[\w.-]+\.\w+$")
_CLASSES = (str.islower, str.isupper, str.isdigit)
# What a text must hold for any of these to be there (the check's fast no): every name of
# _NAMES holds pass, pwd, secret, token or key (sought as literals in the text lowered in
# ASCII); a URI's user and password.
_USERINFO = re.compile(r"://[^\s/@]+:[^\s/@]+@")
_PARAMETER = re.compile(r"[?&]\w+=\w")


def _lowered(text: str) -> str:
    """``text`` with A-Z lowered and nothing else changed (the same offsets)."""
    return text.lower() if text.isascii() else text.translate(_ASCII_LOWER)


def may_hold_credentials(text: str, lowered: str | None = None) -> bool:
    """The fast no: no secret name, no ``user:password@`` after ``://`` and no URL
    parameter (each sought by literals or a character class, never a case-blind
    alternation tried at every offset). ``lowered``: ``_lowered(text)``, when at hand."""
    return (
        _HINT.search(_lowered(text) if lowered is None else lowered) is not None
        or ("://" in text and _USERINFO.search(text) is not None)
        or _PARAMETER.search(text) is not None
    )


def is_placeholder(value: str) -> bool:
    """A value written for the reader to replace, or no value at all."""
    return _PLACEHOLDER.match(value) is not None


def _entropy(value: str) -> float:
    """Shannon entropy in bits per character."""
    counts = Counter(value)
    total = len(value)
    return -sum(n / total * math.log2(n / total) for n in counts.values())


def looks_chosen(value: str, minimum: int = 8) -> bool:
    """A value of at least ``minimum`` characters, no space, two kinds of character and 3
    bits of entropy per character, that is no placeholder and no name."""
    if len(value) < minimum or any(char.isspace() for char in value):
        return False
    if is_placeholder(value) or _ENV_NAME.match(value):
        return False
    kinds = sum(1 for test in _CLASSES if any(test(char) for char in value))
    kinds += any(not char.isalnum() for char in value)
    return kinds >= 2 and _entropy(value) >= 3.0


def _uri_password(match: re.Match[str]) -> str | None:
    user, password = match.group("user"), match.group("password")
    host = match.group("host").lower()
    if host in _LOCAL_HOSTS or _EXAMPLE_HOSTS.search(host):
        return None
    if password.lower() == user.lower() or len(password) < 4:
        return None
    if is_placeholder(password) or (is_placeholder(user) and len(password) < 8):
        return None
    if password.startswith(("$", "%", "{")) or "{" in password:
        return None
    return password


def credential_hits(text: str) -> Iterator[tuple[int, str, str]]:
    """``(offset, what, value)`` of every credential of these kinds in ``text``, in order
    of offset; lines longer than ``MAX_LINE`` are not read."""
    lowered = _lowered(text)
    if not may_hold_credentials(text, lowered):
        return
    found: list[tuple[int, str, str]] = []
    for match in _uris(text):
        password = _uri_password(match)
        if password is not None:
            scheme = match.group("scheme").lower()
            found.append((match.start("password"), f"a password in a {scheme} URI", password))
    for match in _assignments(text, lowered):
        value = match.group("quoted") or (match.group("bare") or "").strip()
        if value and looks_chosen(value):
            name = match.group("name")
            found.append((match.start("name"), f"a literal assigned to {name[-40:]}", value))
    for match in _IFTTT.finditer(text):
        found.append((match.start("key"), "an IFTTT webhook key", match.group("key")))
    for match in _URL_KEY.finditer(text):
        if looks_chosen(match.group("key"), 16):
            found.append((match.start("key"), "a key in a URL", match.group("key")))
    if not found:
        return
    found.sort()
    long_lines = _long_lines(text)
    previous = -1
    for offset, what, value in found:
        if offset != previous and not _inside(long_lines, offset):
            yield offset, what, value
            previous = offset


def _assignments(text: str, lowered: str) -> Iterator[re.Match[str]]:
    """``_ASSIGNED``'s matches, sought only on the lines where a secret name is followed by
    ``=`` or ``:``: an assignment never spans lines, and most lines hold none. The names are
    found in ``lowered`` (the text lowered in ASCII only: the same offsets), by literals."""
    end = -1
    while (hint := _HINT.search(lowered, end + 1)) is not None:
        start = text.rfind("\n", 0, hint.start()) + 1
        end = text.find("\n", hint.end())
        end = len(text) if end < 0 else end
        if end - start > MAX_LINE:  # a longer line is a payload, never read
            continue
        if any(
            _ASSIGNS.match(lowered, found.end(), end)
            for found in _HINT.finditer(lowered, start, end)
        ):
            yield from _ASSIGNED.finditer(text, start, end)


# The words every name of _NAMES ends in (lowered), and what follows a name that is assigned:
# the rest of its word, an optional closing quote, blanks, then = or : (as in _ASSIGNED).
_HINT = re.compile(r"pass|pwd|secret|token|key")
_ASSIGNS = re.compile(r"[\w-]*[\"']?[ \t]*(?<![=!<>])(?:=(?!=)|:(?![:/]))")
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def _uris(text: str) -> Iterator[re.Match[str]]:
    """``_URI``'s matches, sought only around each ``://`` (a plain find, not a pattern
    tried at every offset of the text)."""
    after = 0
    at = text.find("://")
    while at >= 0:
        word = _SCHEME_WORD.search(text[max(after, at - _LONGEST_SCHEME) : at])
        if word is not None:  # one try, at the start of the word before "://"
            match = _URI.match(text, at - len(word.group()), at + _LONGEST_URI)
            if match is not None:
                yield match
                after = match.end()
        at = text.find("://", max(at + 3, after))


_SCHEME_WORD = re.compile(r"[A-Za-z][\w+]*\Z")
_LONGEST_SCHEME = len("postgresql+psycopg2")  # characters before "://" a scheme may take
_LONGEST_URI = 3 + 128 + 1 + 256 + 1 + 253  # "://", user, ":", password, "@", host


def _long_lines(text: str) -> list[tuple[int, int]]:
    """The spans of the lines longer than ``MAX_LINE``, in order (one pass over the line
    breaks: a pattern of 2,001 characters tried at every offset would cost 2,000 times
    the text)."""
    spans = []
    start = 0
    for line in text.split("\n"):
        if len(line) > MAX_LINE:
            spans.append((start, start + len(line)))
        start += len(line) + 1
    return spans


def _inside(spans: list[tuple[int, int]], offset: int) -> bool:
    """Whether ``offset`` falls in one of the sorted, disjoint ``spans``."""
    found = bisect_right(spans, (offset, 1 << 62)) - 1
    return found >= 0 and spans[found][0] <= offset < spans[found][1]
