"""Verification: is the face of one image the same person as the faces of another."""

from __future__ import annotations

import numpy as np
from flask import Blueprint, request

from api import errors, params
from api.app import json_response, platform
from api.face_json import core_plugins, face_object
from api.similarity import normalised, similarity_from_cosine
from api.views.common import Stopwatch, find_faces, image, similarity_coefficients, with_status
from db.models import ServiceType

blueprint = Blueprint("verification", __name__)


@blueprint.post("/api/v1/verification/verify")
def verify():
    service = platform().keys.service(request, ServiceType.VERIFICATION)
    image_params = params.image_params(request)
    source_bytes, target_bytes = image("source_image"), image("target_image")
    platform().counter.count(service.id)
    watch = Stopwatch()
    plugins = core_plugins(image_params.face_plugins, True)
    source = find_faces(source_bytes, image_params, plugins)
    if len(source.faces) > 1:
        raise errors.more_than_one_face()
    target = find_faces(target_bytes, image_params, plugins)
    c0, c1 = similarity_coefficients()
    reference = normalised(np.array(source.faces[0].embedding))
    matches = []
    for face in target.faces:
        item = face_object(face, image_params.face_plugins, image_params.status, round_probability=True)
        cosine = float(normalised(np.array(face.embedding)) @ reference)
        item["similarity"] = similarity_from_cosine(cosine, c0, c1)
        matches.append(item)
    result = {"source_image_face": face_object(source.faces[0], image_params.face_plugins, image_params.status,
                                               round_probability=True),
              "face_matches": matches}
    # CompreFace puts plugins_versions inside the result element here.
    return json_response({"result": [with_status(result, image_params.status, target, watch)]})
