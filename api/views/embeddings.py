"""CompreFace's embedding endpoints: recognition and verification of given embeddings."""

from __future__ import annotations

import numpy as np
from flask import Blueprint, request

from api import params
from api.views import render
from api.views.common import service, state
from common import errors
from common.web import json_response
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


@blueprint.post("/api/v1/recognition/embeddings/recognize")
def recognize_embeddings():
    service_id = service(ServiceType.RECOGNITION).id
    count = params.prediction_count(request)
    vectors = _vectors(request.get_json(silent=True), "embeddings")
    return json_response(render.recognized_embeddings(state().recognizer.recognize_embeddings(service_id, vectors,
                                                                                              count)))


@blueprint.post("/api/v1/recognition/embeddings/faces/<image_id>/verify")
def verify_embeddings_against_face(image_id: str):
    service_id = service(ServiceType.RECOGNITION).id
    vectors = _vectors(request.get_json(silent=True), "embeddings")
    matches = state().verifier.verify_embeddings_against_face(service_id, image_id, vectors)
    return json_response(render.embedding_matches(matches))


@blueprint.post("/api/v1/verification/embeddings/verify")
def verify_embeddings():
    service(ServiceType.VERIFICATION)
    body = request.get_json(silent=True)
    source = _vectors(body, "source", nested=False)
    targets = _vectors(body, "targets")
    return json_response(render.embedding_matches(state().verifier.verify_embeddings(source[0], targets)))
