"""ledgerbridge: keeps a CRM and an accounting system in step, both ways."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("ledgerbridge")
except PackageNotFoundError:  # pragma: no cover - running from a source tree without install
    __version__ = "0.0.0"
