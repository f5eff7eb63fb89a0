# Likeness: `make run` runs the platform, `make test` installs what is needed and runs the tests.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
MODELS_DIR ?= $(abspath ../shared/models)
export MODELS_DIR

.PHONY: run test bench proto venv sdk-venv system-deps lock clean

$(BIN)/activate: pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip==25.3
	$(BIN)/pip install --quiet --constraint constraints.txt -e '.[core,api,admin,test]'
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

# Debian packages the tests need (none yet beyond Python; later issues add nginx, chromium).
system-deps:
	@true

# The platform as local processes (until the deployment issue adds nginx and supervision): the
# database (embedded PostgreSQL under var/ unless DATABASE_URL is set), its migrations, one core
# server on 50051, one api server on API_PORT and the admin service on ADMIN_PORT. Ctrl-C stops them.
API_PORT ?= 8000
ADMIN_PORT ?= 8081
run: venv
	$(BIN)/likeness db upgrade
	@echo "Starting core (gRPC :50051), api (http://localhost:$(API_PORT)/api/v1/, Swagger UI at /swagger/)"
	@echo "and admin (http://localhost:$(ADMIN_PORT)/admin/, Swagger UI at /admin/swagger/)."
	@echo "Get an API key with: .venv/bin/likeness service create --type recognition --name demo"
	trap 'kill 0' INT TERM EXIT; \
	PORT=50051 $(BIN)/python -m core & \
	PORT=$(API_PORT) PYTHON_URL=127.0.0.1:50051 $(BIN)/gunicorn --worker-class gthread --workers 1 \
		--threads 16 --bind 0.0.0.0:$(API_PORT) 'api.app:create_app()' & \
	PORT=$(ADMIN_PORT) API_URLS=http://127.0.0.1:$(API_PORT) PYTHON_URL=127.0.0.1:50051 $(BIN)/gunicorn \
		--worker-class gthread --workers 2 --threads 4 --bind 0.0.0.0:$(ADMIN_PORT) 'admin.app:create_app()' & \
	wait

test: venv sdk-venv system-deps
	$(BIN)/python -m pytest

bench: venv
	$(BIN)/python -m bench.core_bench

proto: venv
	$(BIN)/python -m grpc_tools.protoc -I. --python_out=. --pyi_out=. --grpc_python_out=. proto/core.proto

# Re-pin every transitive dependency after changing pyproject.toml.
lock: venv
	$(BIN)/pip freeze --exclude-editable > constraints.txt

clean:
	rm -rf $(VENV) $(SDK_VENV) var
