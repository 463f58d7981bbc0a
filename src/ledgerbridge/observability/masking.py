"""Secrets never reach a log: tokens, client secrets, passwords and keys are masked.

Three nets, in order: the values of secrets this process knows (registered at start-up),
credentials after an authorization scheme (``Bearer``, ``Zoho-oauthtoken``, ``Basic``), and
values of keys that name a secret in ``key=value``, JSON and Python-dict text. Passwords in
database URLs are masked too.
"""

from __future__ import annotations

import logging
import re
import threading

MASK = "***"

# Secret values shorter than this are not registered: masking "dev" everywhere would garble
# every log line, and such values are refused outside development anyway.
_MIN_REGISTERED = 8

_lock = threading.Lock()
_known: set[str] = set()

_SCHEME_WORD = re.compile(r"^(?:Bearer|Zoho-oauthtoken|Basic)(?:\s+\*\*\*)?$", re.IGNORECASE)
_SCHEMES = re.compile(r"\b(Bearer|Zoho-oauthtoken|Basic)(\s+)[^\s\"',;]+", re.IGNORECASE)
# A key whose name ends in one of these holds a secret: refresh_token, client_secret,
# webhook_key, password, Authorization, and the ``key`` of CRM button URLs...
_SENSITIVE_NAMES = (
    r"(?:[\w.-]*(?:token|secret|password|passwd|pwd|api_?key|secret_?key|webhook_?key"
    r"|private_?key|authorization|cookie|credentials?)|(?:[\w.-]*[_.-])?key)"
)
_KEY_VALUE = re.compile(
    rf"(?P<key>[\"']?\b{_SENSITIVE_NAMES}\b[\"']?\s*(?:=|:)\s*)"
    r"(?P<quote>[\"'])?(?P<value>(?(quote)[^\"']*|[^\s,&;})\]]+))",
    re.IGNORECASE,
)
_URL_PASSWORD = re.compile(r"(?P<head>\b[a-z][a-z0-9+.-]*://[^:/@\s]+:)[^@\s/]+(?=@)", re.I)
# Key names that end like a secret but are not one.
_NOT_SECRET = re.compile(r"^[\"']?(?:token_type|token_url|[\w.-]*_count)[\"']?", re.IGNORECASE)


def register_secret(value: str | None) -> None:
    """Mask ``value`` wherever it appears in a log line from now on."""
    if value is None:
        return
    for part in {value.strip(), *(p.strip() for p in value.replace("\n", ",").split(","))}:
        if len(part) >= _MIN_REGISTERED:
            with _lock:
                _known.add(part)


def forget_secrets() -> None:
    """Drop registered values (tests)."""
    with _lock:
        _known.clear()


def _mask_pair(match: re.Match[str]) -> str:
    key = match.group("key")
    if _NOT_SECRET.match(key):
        return match.group(0)
    value = match.group("value")
    if not value or value == MASK or _SCHEME_WORD.match(value):
        # A scheme word ("Authorization: Bearer ***"): the credential after it is masked.
        return match.group(0)
    return f"{key}{match.group('quote') or ''}{MASK}"


def mask(text: str) -> str:
    """``text`` with every secret it shows replaced by ``***``."""
    with _lock:
        known = sorted(_known, key=len, reverse=True)
    for value in known:
        if value in text:
            text = text.replace(value, MASK)
    text = _SCHEMES.sub(lambda m: f"{m.group(1)}{m.group(2)}{MASK}", text)
    text = _KEY_VALUE.sub(_mask_pair, text)
    return _URL_PASSWORD.sub(lambda m: f"{m.group('head')}{MASK}", text)


class MaskingFilter(logging.Filter):
    """Masks the message, its arguments and the exception text of every record it passes.

    Put on a handler, it covers records of every logger that reach it. The message is
    formatted here (``record.args`` merged in) so a secret passed as an argument is caught.
    """

    _formatter = logging.Formatter()

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except (TypeError, ValueError):  # a bad format string still gets logged
            message = f"{record.msg!s} {record.args!r}"
        record.msg = mask(message)
        record.args = None
        if record.exc_info and record.exc_info[0] is not None and not record.exc_text:
            record.exc_text = self._formatter.formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = mask(record.exc_text)
        if record.stack_info:
            record.stack_info = mask(record.stack_info)
        return True
