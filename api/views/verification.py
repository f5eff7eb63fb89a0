"""Verification: is the face of one image the same person as the faces of another (or of several
others: one result per ``target_image``, in order)."""

from __future__ import annotations

import numpy as np
from flask import Blueprint, request

from api import errors, params
from api.app import json_response, platform
from api.face_json import core_plugins, face_object
from api.image_input import request_images
from api.similarity import normalised, similarity_from_cosine
from api.views.common import Stopwatch, find_live_faces, image, similarity_coefficients, with_status
from db.models import ServiceType

blueprint = Blueprint("verification", __name__)
MAX_TARGETS = 16


@blueprint.post("/api/v1/verification/verify")
def verify():
    service = platform().keys.service(request, ServiceType.VERIFICATION)
    image_params = params.image_params(request)
    require_liveness = params.boolean(request, "require_liveness", False)
    source_bytes = image("source_image")
    targets = request_images(request, "target_image", platform().fetcher, platform().settings.max_file_size,
                             MAX_TARGETS)
    platform().counter.count(service.id)
    watch = Stopwatch()
    plugins = core_plugins(image_params.face_plugins, True)
    source = find_live_faces(source_bytes, image_params, plugins, require_liveness)
    if len(source.faces) > 1:
        raise errors.more_than_one_face()
    c0, c1 = similarity_coefficients()
    reference = normalised(np.array(source.faces[0].embedding))
    source_face = face_object(source.faces[0], image_params.face_plugins, image_params.status, round_probability=True)
    results = []
    for target_bytes in targets:
        target = find_live_faces(target_bytes, image_params, plugins, require_liveness)
        matches = []
        for face in target.faces:
            item = face_object(face, image_params.face_plugins, image_params.status, round_probability=True)
            cosine = float(normalised(np.array(face.embedding)) @ reference)
            item["similarity"] = similarity_from_cosine(cosine, c0, c1)
            matches.append(item)
        # CompreFace puts plugins_versions inside the result element here.
        results.append(with_status({"source_image_face": source_face, "face_matches": matches},
                                   image_params.status, target, watch))
    return json_response({"result": results})
