"""Signed session cookies: their name, lifetime and attributes.

The signing secret is ``Settings.session_secret`` (see
:func:`ledgerbridge.settings.session_secret`): required outside development, generated once
into the data directory in development.
"""

from __future__ import annotations

from ledgerbridge.settings import Settings, session_secret

COOKIE_NAME = "ledgerbridge_session"
MAX_AGE_SECONDS = 12 * 3600  # a working day; then the portal asks for the password again


def secure_cookies(settings: Settings) -> bool:
    """Cookies are sent over HTTPS only when the installation is reached over HTTPS."""
    return bool(settings.public_url and settings.public_url.startswith("https://"))


__all__ = ["COOKIE_NAME", "MAX_AGE_SECONDS", "secure_cookies", "session_secret"]
