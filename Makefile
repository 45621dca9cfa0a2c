# ylyx: two commands do all the set-up on a fresh machine: `make demo` and `make test`.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
export UV_PROJECT_ENVIRONMENT := $(CURDIR)/$(VENV)
export PYTHONPATH := $(CURDIR)/src
SYSTEM_PACKAGES := chromium fonts-noto-cjk libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 poppler-utils
SCALE ?= 1
PORT ?= 8000
BIND ?= 127.0.0.1:8000
DEMO := DJANGO_SETTINGS_MODULE=ylyx.settings.demo
PROD := DJANGO_SETTINGS_MODULE=ylyx.settings.prod

.PHONY: install system-deps demo demo-db serve serve-prod test test-pg bench lint check-deploy schema contract clean

UV := .uv/bin/uv

$(UV):
	python3 -m venv .uv
	.uv/bin/pip install -q uv==0.13.8

$(VENV)/.installed: pyproject.toml uv.lock $(UV)
	$(UV) sync --frozen --quiet
	touch $@

system-deps:
	@dpkg -s $(SYSTEM_PACKAGES) >/dev/null 2>&1 || { \
	  echo "installing system packages: $(SYSTEM_PACKAGES)"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(SYSTEM_PACKAGES) >/dev/null; }

install: $(VENV)/.installed system-deps

# The demo runs on the production settings relaxed for http://127.0.0.1 (ylyx.settings.demo): DEBUG off,
# gunicorn and WhiteNoise, secrets generated into var/demo-secrets.json.
demo-db: install
	mkdir -p var
	$(DEMO) $(PY) manage.py build_demo --scale $(SCALE) --fresh

demo: demo-db
	@$(MAKE) --no-print-directory serve

# Serve the demo database as it is (no rebuild): gunicorn plus the task worker; Ctrl-C stops both.
serve: install
	$(DEMO) $(PY) manage.py collectstatic --noinput -v0
	@echo "serving http://127.0.0.1:$(PORT) with gunicorn and the task worker (Ctrl-C stops both)"
	$(DEMO) $(PY) manage.py serve --bind 127.0.0.1:$(PORT)

# Production on PostgreSQL behind a TLS proxy (docs/operators.md): the environment carries the secrets.
serve-prod: install
	@test -n "$$DATABASE_URL" || { echo "serve-prod: set DATABASE_URL and the other variables in docs/operators.md"; exit 2; }
	$(PROD) $(PY) manage.py check --deploy --fail-level WARNING
	$(PROD) $(PY) manage.py migrate --noinput
	$(PROD) $(PY) manage.py collectstatic --noinput -v0
	$(PROD) $(PY) manage.py serve --bind $(BIND)

test: install
	mkdir -p var
	$(PY) -m pytest -n 2 -p no:cacheprovider

test-pg: install
	DATABASE_URL=$${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/ylyx} $(PY) -m pytest -n 2 -p no:cacheprovider

bench: install
	$(UV) sync --frozen --quiet --group bench
	$(PY) bench/run.py

lint: install
	$(VENV)/bin/ruff check src tests bench
	$(VENV)/bin/mypy src

# The committed OpenAPI schema; a test fails when it differs from the generated one.
schema: install
	$(PY) manage.py spectacular --validate --fail-on-warn --file docs/openapi.yaml

# schemathesis against a live server of a small demo city (scripts/contract.sh; port 8101, var/contract).
contract: install
	scripts/contract.sh

check-deploy: install
	DJANGO_SETTINGS_MODULE=ylyx.settings.prod DJANGO_SECRET_KEY=$$(head -c 48 /dev/urandom | base64) \
	ALLOWED_HOSTS=ylyx.example.gov.cn FIELD_ENCRYPTION_KEYS='{"k1":"x"}' FIELD_ENCRYPTION_ACTIVE_KEY=k1 \
	BLIND_INDEX_KEY=x $(PY) manage.py check --deploy --fail-level WARNING

clean:
	rm -rf $(VENV) var
