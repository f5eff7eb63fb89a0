"""CompreFace's error contract: ``{"message": ..., "code": ...}`` with its codes and HTTP statuses.

:class:`ApiError` knows nothing of Flask: the domain code of api and admin (and the core client)
raises it, and ``common/web.py`` turns it into a response."""

from __future__ import annotations

from http import HTTPStatus


class ApiError(Exception):
    """An error answered to the client as ``{"message", "code"}`` with ``status``."""

    def __init__(self, code: int, message: str, status: int = HTTPStatus.BAD_REQUEST) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status

    def body(self) -> dict[str, object]:
        return {"message": self.message, "code": self.code}

    def headers(self) -> dict[str, str]:
        """Extra response headers (none unless a subclass says so)."""
        return {}


# Constructors for CompreFace's codes (its public API's error table).
def undefined(message: str = "Something went wrong, please try again") -> ApiError:
    return ApiError(0, message)


def empty_field(name: str) -> ApiError:
    return ApiError(5, f"Field {name} cannot be empty")


def service_not_found(service_type: str, api_key: str) -> ApiError:
    return ApiError(10, f"{service_type} service with API Key {api_key} not found", HTTPStatus.NOT_FOUND)


def missing_api_key() -> ApiError:
    return ApiError(20, "Missing header: x-api-key")


def bad_file(message: str) -> ApiError:
    return ApiError(21, message)


def validation(message: str) -> ApiError:
    return ApiError(26, message)


def no_face(message: str = "No face is found in the given image") -> ApiError:
    return ApiError(28, message)


def more_than_one_face() -> ApiError:
    return ApiError(31, "More than one face in the source image")


def missing_parameter(name: str) -> ApiError:
    return ApiError(33, f"Required parameter {name} is missing")


def missing_part(name: str) -> ApiError:
    return ApiError(34, f"Required part {name} is missing")


def bad_subject_name() -> ApiError:
    return ApiError(36, "The name cannot contain the following special characters: ';', '/', '\\\\'")


def embeddings_count(expected: int, given: int) -> ApiError:
    return ApiError(37, f"{expected} embeddings were expected, but {given} were provided")


def core_unavailable(detail: str) -> ApiError:
    return ApiError(41, f"Error during synchronization between servers: {detail}",
                    HTTPStatus.SERVICE_UNAVAILABLE)


def database_unavailable() -> ApiError:
    """PostgreSQL cannot be reached (restarting, say); the client may try again."""
    return ApiError(0, "The database is unavailable; try again shortly", HTTPStatus.SERVICE_UNAVAILABLE)


def subject_not_found(name: str) -> ApiError:
    return ApiError(42, f"Subject {name} not found", HTTPStatus.NOT_FOUND)


def subject_exists() -> ApiError:
    return ApiError(43, "Subject already exists")


def image_not_found(image_id: str) -> ApiError:
    return ApiError(44, f"Image {image_id} not found", HTTPStatus.NOT_FOUND)


def image_id_incorrect() -> ApiError:
    return ApiError(44, "Image Id is incorrect", HTTPStatus.NOT_FOUND)


def too_large(limit: int) -> ApiError:
    return ApiError(26, f"Request is larger than the limit of {limit} bytes", HTTPStatus.REQUEST_ENTITY_TOO_LARGE)


# Likeness's own codes (CompreFace's stop at 44; the admin service uses 50-59).
def quality_too_low(value: float, minimum: float, reasons: list[str]) -> ApiError:
    why = f" ({', '.join(reason.replace('_', ' ') for reason in reasons)})" if reasons else ""
    return ApiError(60, f"The face's quality {value:.2f} is below the minimum {minimum:.2f}{why}: "
                        "use a sharper, larger, frontal photo of the face, or lower min_quality")


def spoof(faces: int) -> ApiError:
    return ApiError(61, f"{'A face' if faces == 1 else f'{faces} faces'} in the image looked like a photo of a "
                        "photo or a screen, not a live face (liveness check)")
