"""Whole-call errors in Zoho CRM's wire shape ``{code, details, message, status: "error"}``."""

from __future__ import annotations

from typing import Any


class ApiError(Exception):
    """Answered as ``status`` with ``body`` (defaults to the flat error shape)."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        details: dict[str, Any] | None = None,
        *,
        body: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.details = details or {}
        self.headers = headers or {}
        self.body = (
            body
            if body is not None
            else {
                "code": code,
                "details": self.details,
                "message": message,
                "status": "error",
            }
        )


def invalid_token() -> ApiError:
    return ApiError(401, "INVALID_TOKEN", "invalid oauth token")


def auth_failure() -> ApiError:
    return ApiError(401, "AUTHENTICATION_FAILURE", "Authentication failed")


def required_param(name: str) -> ApiError:
    return ApiError(
        400,
        "REQUIRED_PARAM_MISSING",
        "One of the expected parameter is missing",
        {"param_name": name},
    )


def invalid_param(name: str, **extra: Any) -> ApiError:
    return ApiError(
        400,
        "INVALID_DATA",
        "Please check whether the input values are correct",
        {"param_name": name, **extra},
    )


def invalid_module() -> ApiError:
    return ApiError(
        400,
        "INVALID_MODULE",
        "The module name given seems to be invalid",
        {"api_name": "module", "resource_path_index": 0},
    )


def not_found() -> ApiError:
    return ApiError(
        404,
        "INVALID_URL_PATTERN",
        "Please check if the URL trying to access is a correct one",
    )


def record_limit(limit: int) -> ApiError:
    return ApiError(400, "LIMIT_EXCEEDED", "Record count exceeded", {"limit": limit})


def iteration_limit(limit: int = 2000) -> ApiError:
    return ApiError(
        400,
        "LIMIT_REACHED",
        "maximum response iteration limit reached",
        {"limit": str(limit)},
    )


def too_many_requests(message: str, **details: Any) -> ApiError:
    return ApiError(429, "TOO_MANY_REQUESTS", message, details)
