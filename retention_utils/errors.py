"""Exception hierarchy of the kit.

Every error a user can cause (a broken export, a typo in params) is a
:class:`RetentionError` whose message says what is wrong, where (file, column or
params key), how many rows, a few examples, and how to fix it. The command line
prints the message without a traceback.
"""
from __future__ import annotations

import re
from collections.abc import Iterable

__all__ = ["RetentionError", "DataError", "ConfigError", "examples_text", "redact", "url_secrets", "environment_secrets"]


class RetentionError(Exception):
    """Base class of every user-facing error of the kit."""


class DataError(RetentionError):
    """An input file breaks the data contract (see ``docs/data-contract.md``)."""


class ConfigError(RetentionError):
    """A params file or command-line option is invalid."""


def examples_text(values: Iterable[object], *, limit: int = 5) -> str:
    """Format at most ``limit`` examples as a short comma-separated list.

    Examples
    --------
    >>> examples_text(["a", "b"])
    "'a', 'b'"
    >>> examples_text(range(8))
    '0, 1, 2, 3, 4, …'
    """
    out = []
    for i, value in enumerate(values):
        if i == limit:
            out.append("…")
            break
        out.append(repr(value) if isinstance(value, str) else str(value))
    return ", ".join(out)


# scheme://user:password@host  or  scheme://user@host  (user info of any URL-like text)
_USERINFO = re.compile(r"(?P<scheme>\b[A-Za-z][A-Za-z0-9+.\-]*://)(?P<userinfo>[^/\s@'\"]*@)")
# password=..., pwd=..., secret=..., token=..., apikey=... in query strings and DSNs
_SECRET_KEYS = r"password|passwd|pwd|secret|token|api_?key|access_?key|sslpassword"
_SECRET_PARAM = re.compile(r"(?i)(?P<key>\b(?:" + _SECRET_KEYS + r")\s*=\s*)(?P<value>'[^']*'|\"[^\"]*\"|[^&;\s,'\")]+)")


def redact(text: object, *secrets: str | None) -> str:
    """``text`` with credentials removed: URL user info, password-like parameters and given secrets.

    Every message the kit builds from a URL, a connection error or a source
    description goes through this one helper before it reaches a terminal, a
    log, a manifest or a page.

    Examples
    --------
    >>> redact("cannot connect to postgress://ana:S3cret@db:5432/crm")
    'cannot connect to postgress://***@db:5432/crm'
    >>> redact("host=db dbname=crm password=S3cret user=ana")
    'host=db dbname=crm password=*** user=ana'
    >>> redact("postgresql://db/crm?sslmode=require&password=S3cret")
    'postgresql://db/crm?sslmode=require&password=***'
    >>> redact("token S3cret leaked", "S3cret")
    'token *** leaked'
    """
    out = str(text)
    for secret in secrets:
        if secret:
            out = out.replace(secret, "***")
    out = _USERINFO.sub(lambda m: m.group("scheme") + "***@", out)
    return _SECRET_PARAM.sub(lambda m: m.group("key") + "***", out)


def url_secrets(url: str | None) -> tuple[str, ...]:
    """The password-like parts of a connection URL (as written and percent-decoded), to pass to :func:`redact`.

    Examples
    --------
    >>> url_secrets("postgresql://ana:S%40cret@db/crm?password=x2y")
    ('S%40cret', 'S@cret', 'x2y')
    >>> url_secrets(None)
    ()
    """
    from urllib.parse import parse_qsl, unquote, urlsplit

    if not url:
        return ()
    out: list[str] = []
    try:
        parts = urlsplit(url)
        password = parts.password
        query = parse_qsl(parts.query, keep_blank_values=False)
    except ValueError:  # not a URL at all: treat the whole value as secret
        return (url,)
    if password:
        out += [password, unquote(password)]
    out += [v for k, v in query if re.fullmatch(_SECRET_KEYS, k, flags=re.IGNORECASE)]
    seen: list[str] = []
    for v in out:
        if v and len(v) >= 3 and v not in seen:  # a 1-2 character "secret" would mangle every message
            seen.append(v)
    return tuple(seen)


def environment_secrets() -> tuple[str, ...]:
    """Password parts of every URL-like environment variable.

    Messages about a unit whose params failed to load cannot say which variable its sources
    read, so the command line and the runner redact the passwords of all of them.
    """
    import os

    out: list[str] = []
    for value in os.environ.values():
        if "://" in value or "password=" in value.lower():
            out += url_secrets(value)
    return tuple(out)
