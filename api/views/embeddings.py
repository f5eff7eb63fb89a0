"""CompreFace's embedding endpoints: recognition and verification of given embeddings."""

from __future__ import annotations

import numpy as np
from flask import Blueprint, request

from api import errors, params
from api.app import json_response, platform
from api.similarity import normalised, similarity_from_cosine
from api.views.common import similarity_coefficients
from db.models import ServiceType

blueprint = Blueprint("embeddings", __name__)


def _vectors(body: object, field: str, nested: bool = True) -> np.ndarray:
    """A non-empty list of embeddings (or one embedding when ``nested`` is False) from the JSON body."""
    value = body.get(field) if isinstance(body, dict) else None
    if not value:
        raise errors.empty_field(field)
    rows = value if nested else [value]
    try:
        vectors = np.array(rows, dtype=np.float32)
    except (TypeError, ValueError):
        raise errors.validation(f"{field} should hold lists of numbers; ") from None
    if vectors.ndim != 2 or vectors.shape[1] == 0:
        raise errors.validation(f"{field} should hold lists of numbers of one length; ")
    if not np.isfinite(vectors).all():  # NaN, or beyond float32 (JSON has no Infinity to answer with)
        raise errors.validation(f"{field} should hold finite numbers within float32 range; ")
    return vectors


def _check_dimension(vectors: np.ndarray, expected: int) -> None:
    if vectors.shape[1] != expected:
        raise errors.validation(f"Embeddings should have {expected} values, not {vectors.shape[1]}; ")


def _sorted_similarities(rows: np.ndarray, reference: np.ndarray) -> list[dict[str, object]]:
    c0, c1 = similarity_coefficients()
    cosines = normalised(rows) @ normalised(reference)
    result = [{"embedding": row.tolist(), "similarity": similarity_from_cosine(float(cosine), c0, c1)}
              for row, cosine in zip(rows, cosines)]
    return sorted(result, key=lambda item: item["similarity"], reverse=True)


@blueprint.post("/api/v1/recognition/embeddings/recognize")
def recognize_embeddings():
    service_id = platform().keys.service(request, ServiceType.RECOGNITION).id
    count = params.prediction_count(request)
    vectors = _vectors(request.get_json(silent=True), "embeddings")
    _check_dimension(vectors, platform().core.status().embedding_size)
    c0, c1 = similarity_coefficients()
    found = platform().indexes.search(service_id, normalised(vectors), count)
    return json_response({"result": [
        {"embedding": vector.tolist(),
         "similarities": [{"subject": subject, "similarity": similarity_from_cosine(cosine, c0, c1)}
                          for _, subject, cosine in candidates]}
        for vector, candidates in zip(vectors, found)]})


@blueprint.post("/api/v1/recognition/embeddings/faces/<image_id>/verify")
def verify_embeddings_against_face(image_id: str):
    service_id = platform().keys.service(request, ServiceType.RECOGNITION).id
    vectors = _vectors(request.get_json(silent=True), "embeddings")
    stored = platform().store.face(service_id, image_id)
    if stored is None:
        raise errors.image_id_incorrect()
    _check_dimension(vectors, len(stored[1]))
    return json_response({"result": _sorted_similarities(vectors, stored[1])})


@blueprint.post("/api/v1/verification/embeddings/verify")
def verify_embeddings():
    platform().keys.service(request, ServiceType.VERIFICATION)
    body = request.get_json(silent=True)
    source = _vectors(body, "source", nested=False)
    targets = _vectors(body, "targets")
    if targets.shape[1] != source.shape[1]:
        raise errors.validation("source and targets should have the same number of values; ")
    return json_response({"result": _sorted_similarities(targets, source[0])})
