"""Zoho Books error answers: an HTTP status plus the ``{"code": N, "message": ...}`` envelope."""

from __future__ import annotations

# Codes from the Zoho Books v3 documentation and observed answers.
CODE_INVALID_URL = 5
CODE_INVALID_VALUE = 2
CODE_MISSING_VALUE = 4
CODE_NOT_AUTHORIZED = 57
CODE_RATE_LIMIT = 44
CODE_INTERNAL = 1000
CODE_ALREADY_EXISTS = 1001
CODE_DOES_NOT_EXIST = 1002
CODE_CONTACT_EXISTS = 3062
CODE_IN_USE = 3009
CODE_BAD_STATE = 6011
CODE_UNKNOWN_ORGANIZATION = 6041


class BooksError(Exception):
    """A refusal in Zoho Books' shape; the routes turn it into a JSON answer."""

    def __init__(self, code: int, message: str, http_status: int = 400) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.http_status = http_status

    def body(self) -> dict[str, object]:
        return {"code": self.code, "message": self.message}


def not_found(what: str) -> BooksError:
    return BooksError(CODE_DOES_NOT_EXIST, f"{what} does not exist.", 404)


def invalid(field: str) -> BooksError:
    return BooksError(CODE_INVALID_VALUE, f"Invalid value passed for {field}")


def missing(message: str) -> BooksError:
    return BooksError(CODE_MISSING_VALUE, message)
