"""The admin's errors: ``{"message", "code"}`` as the api's (:class:`common.errors.ApiError`), with
CompreFace's admin codes and a few of Likeness's own (50+)."""

from __future__ import annotations

from http import HTTPStatus

# Re-exported: the admin's code takes every error from this module.
from common.errors import ApiError, database_unavailable, too_large, validation  # noqa: F401


def access_denied() -> ApiError:
    return ApiError(1, "Access denied", HTTPStatus.FORBIDDEN)


def app_not_found(guid: object) -> ApiError:
    return ApiError(2, f"Application {guid} not found", HTTPStatus.NOT_FOUND)


def service_not_found(guid: object) -> ApiError:
    return ApiError(3, f"Service {guid} not found in this application", HTTPStatus.NOT_FOUND)


def email_registered() -> ApiError:
    return ApiError(4, "This e-mail address is already registered")


def not_allowed(message: str = "Action not allowed for current user") -> ApiError:
    return ApiError(9, message, HTTPStatus.FORBIDDEN)


def own_role() -> ApiError:
    return ApiError(14, "Users cannot change their own role")


def user_not_found(who: object) -> ApiError:
    return ApiError(16, f"User {who} does not exist", HTTPStatus.NOT_FOUND)


def name_taken(name: str) -> ApiError:
    return ApiError(17, f"Name {name} is not unique")


def wrong_password() -> ApiError:
    return ApiError(18, "The current password is wrong")


def already_member() -> ApiError:
    return ApiError(19, "This user is already a member of the application")


def invalid_email() -> ApiError:
    return ApiError(22, "The e-mail address is not valid")


def sign_in_required() -> ApiError:
    return ApiError(50, "Sign in first", HTTPStatus.UNAUTHORIZED)


def bad_credentials() -> ApiError:
    return ApiError(51, "Wrong e-mail address or password", HTTPStatus.UNAUTHORIZED)


class TooManySignIns(ApiError):
    """Sign-ins refused for ``retry_after`` seconds; answered with a ``Retry-After`` header."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(52, f"Too many failed sign-ins; try again in {retry_after} s", HTTPStatus.TOO_MANY_REQUESTS)
        self.retry_after = retry_after

    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(self.retry_after)}


def csrf_refused() -> ApiError:
    return ApiError(53, "Missing or wrong X-CSRF-Token header (GET /admin/csrf gives the token)",
                    HTTPStatus.FORBIDDEN)


def sign_up_closed() -> ApiError:
    return ApiError(54, "Sign-up is closed on this installation; ask its owner for an account", HTTPStatus.FORBIDDEN)


def password_link_invalid() -> ApiError:
    return ApiError(55, "This set-password link is unknown, used or expired; ask the owner for a new one",
                    HTTPStatus.BAD_REQUEST)
