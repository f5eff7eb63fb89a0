"""Services of an application, their API keys and statistics."""

from __future__ import annotations

import uuid

from flask import Blueprint, Response, request

from admin import errors, services, statistics
from admin.views import render
from admin.web import actor, body, transaction

blueprint = Blueprint("services", __name__)
SERVICE = "/apps/<uuid:app_guid>/services/<uuid:service_guid>"


@blueprint.get("/apps/<uuid:app_guid>/services")
def list_services(app_guid: uuid.UUID):
    with transaction() as db:
        return [render.service(service) for service in services.list_services(db, actor(), app_guid)]


@blueprint.post("/apps/<uuid:app_guid>/services")
def create_service(app_guid: uuid.UUID):
    fields = body()
    service_type = services.parse_type(fields.get("type"))
    with transaction() as db:
        return render.service(services.create_service(db, actor(), app_guid, fields.get("name"), service_type)), 201


@blueprint.get(SERVICE)
def get_service(app_guid: uuid.UUID, service_guid: uuid.UUID):
    with transaction() as db:
        service = services.get_service(db, actor(), app_guid, service_guid)
        subjects, faces, images = statistics.collection_size(db, service.id)
        return {**render.service(service), "subjectCount": subjects, "faceCount": faces, "imageCount": images}


@blueprint.put(SERVICE)
def rename_service(app_guid: uuid.UUID, service_guid: uuid.UUID):
    name = body().get("name")
    with transaction() as db:
        return render.service(services.rename_service(db, actor(), app_guid, service_guid, name))


@blueprint.delete(SERVICE)
def delete_service(app_guid: uuid.UUID, service_guid: uuid.UUID):
    with transaction() as db:
        services.delete_service(db, actor(), app_guid, service_guid)
    return Response(status=204)


@blueprint.post(f"{SERVICE}/clone")
def clone_service(app_guid: uuid.UUID, service_guid: uuid.UUID):
    name = body().get("name")
    with transaction() as db:
        return render.service(services.clone_service(db, actor(), app_guid, service_guid, name)), 201


@blueprint.get(f"{SERVICE}/key")
def read_key(app_guid: uuid.UUID, service_guid: uuid.UUID):
    with transaction() as db:
        return {"apiKey": str(services.get_service(db, actor(), app_guid, service_guid).api_key)}


@blueprint.post(f"{SERVICE}/key")
def regenerate_key(app_guid: uuid.UUID, service_guid: uuid.UUID):
    with transaction() as db:
        return {"apiKey": str(services.regenerate_key(db, actor(), app_guid, service_guid).api_key)}


@blueprint.get(f"{SERVICE}/settings")
def read_settings(app_guid: uuid.UUID, service_guid: uuid.UUID):
    with transaction() as db:
        return render.recognition_settings(services.get_service(db, actor(), app_guid, service_guid))


@blueprint.put(f"{SERVICE}/settings")
def change_settings(app_guid: uuid.UUID, service_guid: uuid.UUID):
    fields = body()
    with transaction() as db:
        return render.recognition_settings(
            services.update_recognition_settings(db, actor(), app_guid, service_guid, fields))


@blueprint.get(f"{SERVICE}/stats")
def service_statistics(app_guid: uuid.UUID, service_guid: uuid.UUID):
    days = request.args.get("days", "30")
    if not days.isdigit():
        raise errors.validation("days must be a whole number")
    with transaction() as db:
        return render.statistics(statistics.service_statistics(db, actor(), app_guid, service_guid, int(days)))
