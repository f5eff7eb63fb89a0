"""api/swagger/openapi.json against the api server's routes and views, without a running server.

The routes come from the view modules' blueprints registered on a bare Flask app (no database, no core);
the parameters and images each view reads come from its source code.
"""

from __future__ import annotations

import inspect
import json
import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin

import pytest
from flask import Flask
from jsonschema import ValidationError

from common.web import swagger_page
from api.views import embeddings, faces, infrastructure, recognition, search, subjects, verification

SWAGGER_DIR = Path(__file__).resolve().parents[2] / "api" / "swagger"
DOCUMENT = json.loads((SWAGGER_DIR / "openapi.json").read_text())
VIEW_MODULES = (subjects, faces, recognition, search, verification, embeddings, infrastructure)
METHODS = {"get", "put", "post", "delete", "patch", "options", "head", "trace"}
SWAGGER_ENDPOINTS = {"infrastructure.swagger", "infrastructure.swagger_ui"}
UNAUTHENTICATED_API_PATHS = {"/api/v1/config", "/api/v1/static/{api_key}/images/{image_id}"}
IMAGE_PARAMS = {"limit", "det_prob_threshold", "face_plugins", "status"}
# Parsed (and validated) by add_face through params.image_params, but without effect: not documented.
IGNORED_PARAMS = {"add_face": {"limit", "face_plugins", "status"}}


def make_app(prefix: str = "") -> Flask:
    app = Flask(__name__, static_folder=None)
    for module in VIEW_MODULES:
        app.register_blueprint(module.blueprint, url_prefix=prefix)
    return app


APP = make_app()


def openapi_path(rule: str) -> str:
    """Flask's ``<name>``, ``<path:name>`` written as OpenAPI's ``{name}``."""
    return re.sub(r"<(?:[^<>:]+:)?([^<>]+)>", r"{\1}", rule)


def routes() -> dict[tuple[str, str], str]:
    """(method, OpenAPI path) -> endpoint, for every route but Swagger UI's."""
    found = {}
    for rule in APP.url_map.iter_rules():
        if rule.endpoint in SWAGGER_ENDPOINTS:
            continue
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            found[(method.lower(), openapi_path(rule.rule))] = rule.endpoint
    return found


def operations() -> dict[tuple[str, str], dict]:
    return {(method, path): operation for path, item in DOCUMENT["paths"].items()
            for method, operation in item.items() if method in METHODS}


def resolve(node: dict) -> dict:
    """``node`` with its local ``$ref`` followed (repeatedly)."""
    while "$ref" in node:
        target: object = DOCUMENT
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part.replace("~1", "/").replace("~0", "~")]
        node = target
    return node


def view_source(endpoint: str) -> str:
    return inspect.getsource(APP.view_functions[endpoint])


def query_parameters(operation: dict) -> dict[str, dict]:
    params = [resolve(parameter) for parameter in operation.get("parameters", [])]
    return {parameter["name"]: parameter for parameter in params if parameter["in"] == "query"}


def image_fields(endpoint: str) -> list[str]:
    """The images the view reads with ``api.views.common.image`` or ``api.image_input.request_images``."""
    pattern = r"\b(?:image\((?:\"(\w+)\")?\)|request_images\(request, \"(\w+)\")"
    return [one or several or "file" for one, several in re.findall(pattern, view_source(endpoint))]


IMAGE_ENDPOINTS = {endpoint: image_fields(endpoint) for endpoint in set(routes().values()) if image_fields(endpoint)}


def test_every_route_is_documented_and_every_documented_operation_is_a_route():
    served, documented = set(routes()), set(operations())
    assert sorted(served - documented) == [], "routes missing from openapi.json"
    assert sorted(documented - served) == [], "operations in openapi.json that no route serves"


def test_swagger_routes_are_the_only_ones_left_out():
    left_out = {rule.rule for rule in APP.url_map.iter_rules() if rule.endpoint in SWAGGER_ENDPOINTS}
    assert left_out == {"/swagger/", "/swagger/<path:name>"}
    assert not any(path.startswith("/swagger") for path in DOCUMENT["paths"])


def test_document_is_valid_openapi_3_0():
    from openapi_spec_validator import OpenAPIV30SpecValidator, validate

    assert DOCUMENT["openapi"] == "3.0.3"
    validate(DOCUMENT, cls=OpenAPIV30SpecValidator)


def test_every_reference_resolves_and_operation_ids_are_unique():
    def refs(node: object):
        if isinstance(node, dict):
            if "$ref" in node:
                yield node
            for value in node.values():
                yield from refs(value)
        elif isinstance(node, list):
            for value in node:
                yield from refs(value)

    for ref in refs(DOCUMENT):
        assert ref["$ref"].startswith("#/"), ref
        resolve(ref)
    ids = [operation["operationId"] for operation in operations().values()]
    assert len(ids) == len(set(ids))


@pytest.mark.parametrize("base", ["/", "/rr/cs/", "/api/"])
def test_relative_server_url_resolves_to_the_base_path(base: str):
    """The document is served at <base>/swagger/openapi.json; its server URL must lead back to <base>/."""
    assert DOCUMENT["servers"] == [{"url": "..", "description": DOCUMENT["servers"][0]["description"]}]
    document_url = f"http://host:8080{base}swagger/openapi.json"
    assert urljoin(document_url, DOCUMENT["servers"][0]["url"]) == f"http://host:8080{base}"
    prefixed = make_app(base.rstrip("/"))
    assert prefixed.url_map.bind("host").match(f"{base}swagger/openapi.json")[0] == "infrastructure.swagger"


def test_path_parameters_are_declared():
    for (method, path), operation in operations().items():
        templated = set(re.findall(r"{(\w+)}", path))
        declared = {parameter["name"]: parameter for parameter in map(resolve, operation.get("parameters", []))
                    if parameter["in"] == "path"}
        assert set(declared) == templated, (method, path)
        assert all(parameter["required"] for parameter in declared.values()), (method, path)


def test_api_key_is_required_on_api_v1_except_config_and_static_images():
    scheme = DOCUMENT["components"]["securitySchemes"]["apiKey"]
    assert scheme == {**scheme, "type": "apiKey", "in": "header", "name": "x-api-key"}
    assert "security" not in DOCUMENT, "security is stated per operation"
    for (method, path), operation in operations().items():
        if path.startswith("/api/v1/") and path not in UNAUTHENTICATED_API_PATHS:
            assert operation.get("security") == [{"apiKey": []}], (method, path)
        else:
            assert operation.get("security") == [], (method, path)


def test_image_endpoints_take_multipart_and_base64_json_and_urls():
    assert set(IMAGE_ENDPOINTS) == {"faces.add_face", "faces.verify_against_face", "recognition.recognize",
                                    "recognition.detect", "verification.verify", "search.search",
                                    "search.verify_against_subject_view"}
    assert IMAGE_ENDPOINTS["verification.verify"] == ["source_image", "target_image"]
    for (method, path), endpoint in routes().items():
        if endpoint not in IMAGE_ENDPOINTS:
            continue
        operation = operations()[(method, path)]
        content = operation["requestBody"]["content"]
        assert set(content) == {"multipart/form-data", "application/json"}, path
        multipart = content["multipart/form-data"]["schema"]["properties"]
        as_json = content["application/json"]["schema"]["properties"]
        for field in IMAGE_ENDPOINTS[endpoint]:
            assert multipart[field] == {**multipart[field], "type": "string", "format": "binary"}, (path, field)
            assert as_json[field] == {**as_json[field], "type": "string", "format": "byte"}, (path, field)
            assert f"{field}_url" in multipart and f"{field}_url" in as_json, (path, field)
            assert f"{field}_url" in query_parameters(operation), (path, field)


def test_only_image_and_json_endpoints_have_bodies_of_their_kind():
    for (method, path), endpoint in routes().items():
        operation = operations()[(method, path)]
        source = view_source(endpoint)
        if endpoint in IMAGE_ENDPOINTS:
            continue
        if "get_json(" in source:
            assert set(operation["requestBody"]["content"]) == {"application/json"}, path
        else:
            assert "requestBody" not in operation, path


def read_parameters(endpoint: str) -> set[str]:
    """The query/form parameters a view reads through api.params."""
    source = view_source(endpoint)
    names = set(re.findall(r"params\.(?:raw|integer|number|boolean)\(request, \"(\w+)\"", source))
    if "params.image_params(" in source:
        names |= IMAGE_PARAMS
    for helper in ("prediction_count", "similarity_threshold", "min_quality"):
        if f"params.{helper}(" in source:
            names.add(helper)
    return names - IGNORED_PARAMS.get(APP.view_functions[endpoint].__name__, set())


def test_documented_query_parameters_are_those_the_views_read():
    for (method, path), endpoint in routes().items():
        documented = set(query_parameters(operations()[(method, path)]))
        urls = {f"{field}_url" for field in IMAGE_ENDPOINTS.get(endpoint, [])}
        assert documented == read_parameters(endpoint) | urls, (method, path)


def test_parameter_defaults_and_ranges_match_api_params():
    parameters = {name: resolve(parameter)["schema"]
                  for name, parameter in DOCUMENT["components"]["parameters"].items()}
    assert parameters["limit"] == {"type": "integer", "minimum": 0, "default": 0}
    assert parameters["det_prob_threshold"] == {"type": "number", "format": "double", "minimum": 0, "maximum": 1}
    assert parameters["status"] == {"type": "boolean", "default": False}
    assert parameters["prediction_count"] == {"type": "integer", "minimum": -1, "not": {"enum": [0]}, "default": 1}
    for name, default in (("similarity_threshold", 0), ("search_similarity_threshold", 0.5)):
        number, auto = parameters[name]["anyOf"]
        assert parameters[name]["default"] == default and auto == {"type": "string", "enum": ["auto"]}
        assert (number["minimum"], number["maximum"]) == (0, 1)
    assert parameters["search_limit"] == {"type": "integer", "minimum": 0, "default": 100}
    assert parameters["require_liveness"] == {"type": "boolean", "default": False}
    assert parameters["min_quality"] == {"type": "number", "format": "double", "minimum": 0, "maximum": 1}
    assert parameters["detect_faces"] == {"type": "boolean", "default": True}
    list_faces = query_parameters(operations()[("get", "/api/v1/recognition/faces")])
    assert list_faces["page"]["schema"] == {"type": "integer", "minimum": 0, "default": 0}
    assert list_faces["size"]["schema"] == {"type": "integer", "minimum": 1, "default": 20}


def test_errors_use_the_error_schema():
    error = DOCUMENT["components"]["schemas"]["Error"]
    assert error["required"] == ["message", "code"] and set(error["properties"]) == {"message", "code"}
    for (method, path), operation in operations().items():
        for status, response in operation["responses"].items():
            response = resolve(response)
            if int(status) >= 400 and not (path == "/ready" and status == "503"):
                schema = response["content"]["application/json"]["schema"]
                assert schema == {"$ref": "#/components/schemas/Error"}, (method, path, status)
                for example in response["content"]["application/json"].get("examples", {}).values():
                    value = resolve(example)["value"]
                    assert set(value) == {"message", "code"}, (method, path, status)
                    if status not in ("413", "500", "503"):
                        assert "codes" in response["description"] and str(value["code"]) in response[
                            "description"], (method, path, status)


def test_api_key_errors_are_documented_where_a_key_is_checked():
    for (method, path), endpoint in routes().items():
        responses = operations()[(method, path)]["responses"]
        if "platform().keys.service(" in view_source(endpoint):
            codes = {resolve(example)["value"]["code"]
                     for example in responses["400"]["content"]["application/json"]["examples"].values()}
            assert {20, 26} <= codes, (method, path)
            assert "404" in responses, (method, path)


def test_success_statuses_match_the_views():
    for (method, path), endpoint in routes().items():
        statuses = {status for status in operations()[(method, path)]["responses"] if status.startswith("2")}
        expected = {"201"} if ", 201)" in view_source(endpoint) else {"200"}
        assert statuses == expected, (method, path)


def face_fields_from_render() -> set[str]:
    from api.views import render

    return set(re.findall(r"result\[\"(\w+)\"\]", inspect.getsource(render.face_object)))


def test_face_schema_has_the_fields_render_writes():
    schemas = DOCUMENT["components"]["schemas"]
    written = face_fields_from_render()
    assert set(schemas["Face"]["properties"]) == written | {"box"}
    assert set(schemas["RecognizedFace"]["properties"]) == written | {"box", "subjects"}
    assert set(schemas["VerifiedFace"]["properties"]) == written | {"box", "subject", "similarity"}
    assert set(schemas["FaceMatch"]["properties"]) == written | {"box", "similarity"}
    assert set(schemas["SubjectVerdict"]["properties"]) == written | {"box", "subject", "similarity", "faces"}
    assert set(schemas["SearchResult"]["properties"]) == written | {"box", "matches"}


class _Assets(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in ("src", "href") and value:
                self.urls.append(value)


def _page() -> str:
    with make_app("").test_request_context():
        return swagger_page("Likeness REST API").get_data(as_text=True)


def index_assets() -> list[str]:
    parser = _Assets()
    parser.feed(_page())
    return parser.urls


def test_swagger_page_uses_relative_assets_shipped_by_flask_swagger_ui():
    import flask_swagger_ui

    dist = Path(flask_swagger_ui.__file__).resolve().parent / "dist"
    assets = index_assets()
    assert {"swagger-ui.css", "swagger-ui-bundle.js"} <= set(assets)
    for asset in assets:
        assert "/" not in asset and ":" not in asset, f"{asset} is not a relative file name"
        assert (dist / asset).is_file() or (SWAGGER_DIR / asset).is_file(), asset
    page = _page()
    assert '"openapi.json"' in page and "http" not in page.replace("http-equiv", "")


def test_swagger_page_and_document_are_served():
    client = make_app("/rr/cs").test_client()
    page = client.get("/rr/cs/swagger/")
    assert page.status_code == 200 and b"swagger-ui-bundle.js" in page.data
    document = client.get("/rr/cs/swagger/openapi.json")
    assert document.status_code == 200 and document.get_json() == DOCUMENT


def test_swagger_ui_assets_are_served():
    client = make_app("/rr/cs").test_client()
    for asset in index_assets():
        assert client.get(f"/rr/cs/swagger/{asset}").status_code == 200, asset
    assert client.get("/rr/cs/swagger/../views/infrastructure.py").status_code == 404


def schema_validator(schema: dict):
    """An OpenAPI 3.0 schema validator for ``schema``, whose ``#/components/...`` references resolve."""
    from openapi_schema_validator import OAS30Validator

    return OAS30Validator({**schema, "components": DOCUMENT["components"]})


def a_face():
    from proto import core_pb2 as pb

    return pb.Face(
        box=pb.Box(x_min=548, y_min=295, x_max=1420, y_max=1368, probability=0.9992912),
        landmarks=[pb.Point(x=700.4, y=600.6)] * 5, landmarks2d106=[pb.Point(x=1.0, y=2.0)] * 106,
        embedding=[0.25] * 512, age=pb.Age(low=25, high=32, probability=0.93),
        gender=pb.Gender(value="female", probability=0.98), pose=pb.Pose(pitch=6.8, yaw=-10.6, roll=-12.0),
        mask=pb.Mask(value="without_mask", probability=0.99),
        quality=pb.Quality(value=0.74, acceptable=True, reasons=["blur"]),
        liveness=pb.Liveness(value="real", probability=0.97),
        timings_ms={"detector": 117.2, "calculator": 45.0})


@pytest.mark.parametrize("plugins", [[], ["age", "gender", "pose", "mask", "calculator", "landmarks", "quality",
                                         "liveness"],
                                     ["landmarks2d106", "unknown"]])
@pytest.mark.parametrize("status", [False, True])
def test_face_objects_match_the_face_schemas(plugins: list[str], status: bool):
    from api.views.render import face_object

    schemas = DOCUMENT["components"]["schemas"]
    for rounded in (False, True):
        face = face_object(a_face(), plugins, status, round_probability=rounded)
        schema_validator(schemas["Face"]).validate(face)
        schema_validator(schemas["RecognizedFace"]).validate(
            {**face, "subjects": [{"subject": "subject1", "similarity": 0.97858}]})
        schema_validator(schemas["VerifiedFace"]).validate({**face, "subject": "subject1", "similarity": 0.5})
        schema_validator(schemas["FaceMatch"]).validate({**face, "similarity": 0.5})
        with pytest.raises(ValidationError):
            schema_validator(schemas["Face"]).validate({**face, "unexpected": 1})


def test_timings_match_the_timings_schema():
    from api.services.faces import Stopwatch
    from proto import core_pb2 as pb

    watch = Stopwatch()
    watch.lap("search", watch.started)
    schema_validator(DOCUMENT["components"]["schemas"]["Timings"]).validate(
        watch.report(pb.ProcessImageResponse(timings_ms={"decode": 3.1, "detect": 11.25, "total": 21.0})))
    schema_validator(DOCUMENT["components"]["schemas"]["Timings"]).validate(watch.report())
