"""The compose files, .env and the Kubernetes manifests, checked offline (no docker, no cluster).

- docker-compose.yml and docker-compose.gpu.yml pass the Compose specification's JSON schema (as
  vendored by check-jsonschema), after interpolation with .env as docker compose does it;
- every Kubernetes manifest passes the Kubernetes API schema (kubernetes-validate, strict: an unknown
  field is an error);
- and what a user would run into: services that name each other exist and listen where they are
  called, scaled services publish no fixed host port, every setting in .env, the compose file and the
  ConfigMap is a real setting with its default, and the commands the containers run exist in their images.
"""

from __future__ import annotations

import json
import tomllib
from functools import cache
from pathlib import Path

import jsonschema
import kubernetes_validate
import pytest
import yaml

from tests.deploy.deployment_files import (
    ADDRESS_SETTINGS, COMPOSE_FILE, GPU_COMPOSE_FILE, KUBERNETES_DIR, KUBERNETES_VERSION, POSTGRES_PORT,
    SCALED_SERVICES, all_containers, compose, compose_variables, container_env, dockerfiles, env_lines,
    environment, host_ports, image_commands, kubernetes_documents, kubernetes_objects, likeness_services,
    merged, pod_specs, settings_defaults)
from tests.support.paths import PROJECT_ROOT


# --- compose ---------------------------------------------------------------------------------------------

@cache
def compose_schema() -> dict:
    from check_jsonschema.builtin_schemas import vendor
    return json.loads((Path(vendor.__file__).parent / "compose-spec.json").read_text())


def schema_errors(document: dict, schema: dict) -> list[str]:
    validator = jsonschema.validators.validator_for(schema)(schema)
    return [f"{'/'.join(map(str, error.absolute_path)) or '(top)'}: {error.message}"
            for error in validator.iter_errors(document)]


@pytest.mark.parametrize("files", [[COMPOSE_FILE], [GPU_COMPOSE_FILE], [COMPOSE_FILE, GPU_COMPOSE_FILE]],
                         ids=["base", "gpu-override", "base+gpu"])
def test_compose_files_pass_the_compose_specification(files: list[Path]) -> None:
    document: dict = {}
    for path in files:
        document = merged(document, compose(path))
    assert schema_errors(document, compose_schema()) == []


def test_compose_has_every_part_with_a_health_check_and_one_shot_migrations() -> None:
    services = compose()["services"]
    assert {"postgres", "core", "api", "admin", "gateway", "migrate", "models"} <= set(services)
    for name, service in services.items():
        if service.get("restart") == "no":  # a one-shot: something waits for it to complete
            assert any(dependency.get("condition") == "service_completed_successfully"
                       for other in services.values() for dep_name, dependency in other.get("depends_on", {}).items()
                       if dep_name == name), f"nothing waits for the one-shot {name}"
        else:
            assert service.get("healthcheck", {}).get("test"), f"{name} has no health check"
    assert services["migrate"]["command"] == ["likeness", "db", "upgrade"]
    for name in ("api", "admin"):
        assert services[name]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"


def test_compose_dependencies_exist_and_wait_for_what_they_can() -> None:
    services = compose()["services"]
    for name, service in services.items():
        for dependency, condition in service.get("depends_on", {}).items():
            assert dependency in services, f"{name} depends on a service {dependency} that does not exist"
            if condition["condition"] == "service_healthy":
                assert "healthcheck" in services[dependency], f"{name} waits for {dependency} to be healthy: it has no check"
            if condition["condition"] == "service_completed_successfully":
                assert services[dependency].get("restart") == "no", f"{dependency} is not a one-shot"


def test_scaled_services_have_no_fixed_name_or_host_port() -> None:
    services = compose()["services"]
    for name, service in services.items():
        assert "container_name" not in service, f"{name} has a fixed container_name: it cannot be scaled"
    for name in SCALED_SERVICES:
        assert not services[name].get("ports"), f"{name} publishes a host port: --scale {name}=2 would clash"
    published = [name for name, service in services.items() if service.get("ports")]
    assert published == ["gateway"]


def test_servers_call_each_other_by_service_name_and_port() -> None:
    services = compose()["services"]
    ports = {name: int(environment(service)["PORT"]) for name, service in services.items()
             if "PORT" in environment(service)}
    ports["postgres"] = POSTGRES_PORT
    called = set()
    for name, service in likeness_services().items():
        env = environment(service)
        for setting in ADDRESS_SETTINGS:
            for host, port in host_ports(env.get(setting, "")):
                assert host in services, f"{name}: {setting} names {host}, which is no service"
                assert port == ports[host], f"{name}: {setting} calls {host} on {port}, it listens on {ports[host]}"
                called.add((setting, host))
    assert {("PYTHON_URL", "core"), ("API_UPSTREAM", "api"), ("ADMIN_UPSTREAM", "admin"),
            ("API_URLS", "api"), ("DATABASE_URL", "postgres")} <= called


def test_health_checks_ask_the_port_each_server_listens_on() -> None:
    for name, service in likeness_services().items():
        env = environment(service)
        if "PORT" in env and "healthcheck" in service:
            check = " ".join(service["healthcheck"]["test"])
            assert f"127.0.0.1:{env['PORT']}" in check, f"{name} listens on {env['PORT']}, its check asks {check}"


def test_volumes_are_declared_and_core_mounts_the_models_read_only() -> None:
    document = compose()
    declared = set(document["volumes"])
    mounts = {name: [volume.split(":") for volume in service.get("volumes", [])]
              for name, service in document["services"].items()}
    for name, service_mounts in mounts.items():
        for source, *_rest in service_mounts:
            assert source.startswith((".", "/")) or source in declared, f"{name} mounts an undeclared volume {source}"
    core_models = [mount for mount in mounts["core"] if mount[1] == environment(document["services"]["core"])["MODELS_DIR"]]
    assert core_models and core_models[0][2:] == ["ro"], "core must mount the models read-only"
    assert environment(document["services"]["core"])["FETCH_MISSING_MODELS"] == "false"
    fetcher = [mount for mount in mounts["models"] if mount[0] == core_models[0][0]]
    assert fetcher and fetcher[0][2:] == [], "the models service must mount the models volume writable"
    shared = [mount for mount in mounts["core"] if mount[1] == environment(document["services"]["core"])["SECOND_LAYER_RESPONSE_CACHE_DIR"]]
    assert shared and shared[0][0] in declared, "the shared response cache needs a named volume"


def test_gpu_override_builds_core_gpu_and_reserves_nvidia_devices() -> None:
    override = compose(GPU_COMPOSE_FILE)["services"]
    assert set(override) <= set(compose()["services"])
    core = override["core"]
    extras = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    assert core["build"]["args"]["CORE_EXTRA"] in extras
    assert "onnxruntime-gpu" in " ".join(extras[core["build"]["args"]["CORE_EXTRA"]])
    devices = core["deploy"]["resources"]["reservations"]["devices"]
    assert devices[0]["driver"] == "nvidia" and "gpu" in devices[0]["capabilities"]


def test_compose_settings_are_real_settings() -> None:
    known = settings_defaults()
    for name, service in likeness_services().items():
        unknown = set(environment(service)) - set(known)
        assert not unknown, f"{name} sets {sorted(unknown)}, which no Likeness service reads"


def test_compose_commands_and_health_checks_exist_in_their_images() -> None:
    images = dockerfiles()
    for name, service in likeness_services().items():
        commands = image_commands(images[service["image"].split(":")[0]])
        used = [service.get("command", [None])[0], *_health_check_command(service)]
        for command in filter(None, used):
            assert command in commands, f"{name} runs {command}, which its image does not have ({sorted(commands)})"


def _health_check_command(service: dict) -> list[str]:
    test = service.get("healthcheck", {}).get("test", [])
    if test[:1] == ["CMD"]:
        return [test[1]]
    if test[:1] == ["CMD-SHELL"]:
        return [test[1].split()[0]]
    return []


# --- .env ------------------------------------------------------------------------------------------------

def test_env_file_names_only_real_settings_and_compose_variables() -> None:
    known = set(settings_defaults()) | compose_variables()
    unknown = [f"line {line.line}: {line.name}" for line in env_lines() if line.name not in known]
    assert not unknown, f".env names what neither a service nor docker-compose.yml reads: {unknown}"
    names = [line.name for line in env_lines()]
    assert len(names) == len(set(names)), f".env names a setting twice: {sorted({n for n in names if names.count(n) > 1})}"


def test_env_file_documents_every_setting_with_its_default() -> None:
    documented = {line.name: line for line in env_lines()}
    missing = sorted(set(settings_defaults()) - set(documented))
    assert not missing, f"settings missing from .env (add them, commented, with their defaults): {missing}"
    for name, defaults in settings_defaults().items():
        line = documented[name]
        # docker-compose.yml may set it for some services: .env may show that value, or none.
        set_by_compose = {environment(service)[name] for service in likeness_services().values()
                          if name in environment(service)}
        allowed = defaults | set_by_compose | ({""} if set_by_compose else set())
        if line.active:
            assert line.value, f".env line {line.line} sets {name} to nothing"
        else:
            assert line.value in allowed, f".env line {line.line}: {name}={line.value}, the default is {defaults}"


# --- Kubernetes --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("path, document", kubernetes_documents(),
                         ids=[f"{p.relative_to(KUBERNETES_DIR)}:{d['kind']}:{d['metadata']['name']}"
                              for p, d in kubernetes_documents()])
def test_kubernetes_manifest_passes_the_api_schema(path: Path, document: dict) -> None:
    try:
        kubernetes_validate.validate(document, KUBERNETES_VERSION, strict=True)
    except kubernetes_validate.ValidationError as error:
        pytest.fail(f"{path.relative_to(PROJECT_ROOT)} {document['kind']} {document['metadata']['name']}: "
                    f"{'/'.join(map(str, error.absolute_path))}: {error.message}")


def test_kustomizations_name_every_manifest_and_existing_patch_targets() -> None:
    base = yaml.safe_load((KUBERNETES_DIR / "kustomization.yaml").read_text())
    listed = set(base["resources"])
    present = {path.name for path in KUBERNETES_DIR.glob("*.yaml")} - {"kustomization.yaml"}
    assert listed == present, f"kustomization.yaml lists {sorted(listed)}, the folder holds {sorted(present)}"
    gpu = yaml.safe_load((KUBERNETES_DIR / "gpu" / "kustomization.yaml").read_text())
    assert gpu["resources"] == [".."]
    for patch in gpu["patches"]:
        for document in yaml.safe_load_all((KUBERNETES_DIR / "gpu" / patch["path"]).read_text()):
            target = kubernetes_objects(document["kind"]).get(document["metadata"]["name"])
            assert target, f"gpu/{patch['path']} patches {document['kind']} {document['metadata']['name']}, which the base lacks"
            names = {container["name"] for container in target["spec"]["template"]["spec"]["containers"]}
            for container in document["spec"]["template"]["spec"]["containers"]:
                assert container["name"] in names, f"gpu/{patch['path']}: no container {container['name']} to patch"
            assert container["resources"]["limits"]["nvidia.com/gpu"] == 1


def test_kubernetes_references_resolve() -> None:
    """ConfigMaps, Secrets and their keys, claims, volumes and ports that workloads name exist."""
    config_maps = kubernetes_objects("ConfigMap")
    secrets = kubernetes_objects("Secret")
    claims = kubernetes_objects("PersistentVolumeClaim")
    for name, template in pod_specs().items():
        spec = template["spec"]
        volumes = {volume["name"]: volume for volume in spec.get("volumes", [])}
        for volume in volumes.values():
            if "persistentVolumeClaim" in volume:
                assert volume["persistentVolumeClaim"]["claimName"] in claims, f"{name}: unknown claim"
        templates = {claim["metadata"]["name"] for claim in kubernetes_objects("StatefulSet").get(name, {}).get("spec", {}).get("volumeClaimTemplates", [])}
        for container in all_containers(template):
            for source in container.get("envFrom", []):
                if "configMapRef" in source:
                    assert source["configMapRef"]["name"] in config_maps, f"{name}: unknown ConfigMap"
            for variable in container.get("env", []):
                key_ref = variable.get("valueFrom", {}).get("secretKeyRef")
                if key_ref:
                    assert key_ref["key"] in secrets[key_ref["name"]]["stringData"], f"{name}: {key_ref} does not exist"
            for mount in container.get("volumeMounts", []):
                assert mount["name"] in volumes or mount["name"] in templates, f"{name}: mounts an unknown volume {mount['name']}"
    for name, service in kubernetes_objects("Service").items():
        matching = [template for template in pod_specs().values()
                    if service["spec"]["selector"].items() <= template["metadata"]["labels"].items()]
        assert len(matching) == 1, f"Service {name} selects {len(matching)} workloads"
        port_names = {port["name"] for container in matching[0]["spec"]["containers"] for port in container.get("ports", [])}
        for port in service["spec"]["ports"]:
            assert port["targetPort"] in port_names, f"Service {name} targets a port {port['targetPort']} no container names"


def _service_ports() -> dict[str, set[int]]:
    return {name: {port["port"] for port in service["spec"]["ports"]} for name, service in kubernetes_objects("Service").items()}


def test_kubernetes_servers_call_each_other_through_services() -> None:
    ports = _service_ports()
    config = kubernetes_objects("ConfigMap")["likeness-settings"]["data"]
    secret = kubernetes_objects("Secret")["likeness-database"]["stringData"]
    addresses = {setting: config[setting] for setting in ADDRESS_SETTINGS if setting in config}
    addresses["DATABASE_URL"] = secret["DATABASE_URL"]
    assert set(addresses) == set(ADDRESS_SETTINGS)
    for setting, value in addresses.items():
        for host, port in host_ports(value):
            assert host in ports and port in ports[host], f"{setting}={value}: no Service {host} with port {port}"
    core_host = host_ports(config["PYTHON_URL"])[0][0]
    assert kubernetes_objects("Service")[core_host]["spec"]["clusterIP"] == "None", (
        "the core Service must be headless, so that PYTHON_URL resolves to every core pod")
    # Each server listens where its Service sends traffic.
    for name, template in pod_specs().items():
        for container in template["spec"]["containers"]:
            env = container_env(container, config)
            if "PORT" in env:
                assert int(env["PORT"]) in {port["containerPort"] for port in container["ports"]}, f"{name}: PORT"


def test_kubernetes_settings_are_real_settings() -> None:
    known = settings_defaults()
    config = kubernetes_objects("ConfigMap")["likeness-settings"]["data"]
    assert not set(config) - set(known), f"the ConfigMap sets {sorted(set(config) - set(known))}, which no service reads"
    for name, template in pod_specs().items():
        for container in all_containers(template):
            if container["image"].startswith("likeness/"):
                unknown = {variable["name"] for variable in container.get("env", [])} - set(known)
                assert not unknown, f"{name}/{container['name']} sets {sorted(unknown)}, which no service reads"


def test_kubernetes_probes_ask_health_and_readiness() -> None:
    deployments = kubernetes_objects("Deployment")
    expected = {
        "likeness-api": ("/ready", "/health"),
        "likeness-admin": ("/admin/ready", "/admin/health"),
    }
    for name, (ready, alive) in expected.items():
        container = deployments[name]["spec"]["template"]["spec"]["containers"][0]
        assert container["readinessProbe"]["httpGet"]["path"] == ready
        assert container["livenessProbe"]["httpGet"]["path"] == alive
    core = deployments["likeness-core"]["spec"]["template"]["spec"]["containers"][0]
    grpc_port = next(port["containerPort"] for port in core["ports"] if port["name"] == "grpc")
    for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
        assert core[probe]["grpc"]["port"] == grpc_port
    for name, deployment in deployments.items():
        for container in deployment["spec"]["template"]["spec"]["containers"]:
            assert "readinessProbe" in container and "livenessProbe" in container, f"{name} lacks a probe"


def test_kubernetes_autoscales_core_and_api_on_cpu_requests() -> None:
    deployments = kubernetes_objects("Deployment")
    scaled = {}
    for autoscaler in kubernetes_objects("HorizontalPodAutoscaler").values():
        target = autoscaler["spec"]["scaleTargetRef"]
        assert target["kind"] == "Deployment" and target["name"] in deployments
        scaled[target["name"]] = autoscaler
        for container in deployments[target["name"]]["spec"]["template"]["spec"]["containers"]:
            assert "cpu" in container["resources"]["requests"], f"{target['name']}: CPU utilisation needs a CPU request"
    assert {"likeness-core", "likeness-api"} <= set(scaled)


def test_kubernetes_runs_the_compose_images_with_commands_they_have() -> None:
    images = dockerfiles()
    documents = [document for path, document in kubernetes_documents() if "template" in document.get("spec", {})]
    for document in documents:
        for container in all_containers(document["spec"]["template"]):
            image = container.get("image", "")
            if not image.startswith("likeness/"):
                continue
            name = image.split(":")[0]
            assert name in images, f"{document['metadata']['name']} runs {image}, which no Dockerfile builds"
            if "command" in container:
                assert container["command"][0] in image_commands(images[name]), (
                    f"{document['metadata']['name']}/{container['name']} runs {container['command'][0]}, "
                    f"which {name} does not have")


def test_kubernetes_migration_job_and_models_claim() -> None:
    job = kubernetes_objects("Job")["likeness-migrate"]
    assert job["spec"]["template"]["spec"]["containers"][0]["command"] == ["likeness", "db", "upgrade"]
    core = kubernetes_objects("Deployment")["likeness-core"]["spec"]["template"]["spec"]
    models = next(volume for volume in core["volumes"] if "persistentVolumeClaim" in volume)
    mounts = [mount for mount in core["containers"][0]["volumeMounts"] if mount["name"] == models["name"]]
    assert mounts and mounts[0].get("readOnly") is True, "core must mount the models read-only"
    config = kubernetes_objects("ConfigMap")["likeness-settings"]["data"]
    assert mounts[0]["mountPath"] == config["MODELS_DIR"]
