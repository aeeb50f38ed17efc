# The two commands a newcomer needs: `make run` and `make test`.
PY := .venv/bin/python
PORT ?= 5000

.PHONY: run test reset install bench openapi catalog user prune

install:
	@bash scripts/install.sh

## Start the local stack (PostgreSQL, PostgREST, gateway) and serve the API on $(PORT).
run: install
	@PORT=$(PORT) $(PY) -m devstack run

## Throwaway stack on free ports, every test (pgTAP, pytest, curl smoke), then tear it down.
test: install
	@$(PY) -m devstack test $(if $(PYTEST_ARGS),-- $(PYTEST_ARGS))

## The benchmark (not a test; CI never runs it): see BENCHMARKS.md.
bench: install
	@command -v wrk >/dev/null || (apt-get update -qq && apt-get install -y -qq wrk >/dev/null)
	@$(PY) -c "import matplotlib" 2>/dev/null || .venv/bin/pip install -q matplotlib
	@cd bench && npm ci --no-audit --no-fund --loglevel=error >/dev/null
	@$(PY) bench/run.py

## Wipe the local stack's data (the next `make run` starts from the migrations and seed).
reset: install
	@$(PY) -m devstack reset

## Regenerate the committed OpenAPI document (openapi.json) from the endpoints' declarations
## (no stack needed: the app is built, never called).
openapi: install
	@SUPABASE_SERVICE_ROLE_KEY=$${SUPABASE_SERVICE_ROLE_KEY:-unused} .venv/bin/flask --app app openapi write

## Import a catalog file into the running local stack: make catalog FILE=path/to/catalog.yaml
catalog: install
	@test -n "$(FILE)" || { echo "usage: make catalog FILE=path/to/catalog.(json|yaml)"; exit 2; }
	@$(PY) -m devstack exec -- .venv/bin/flask --app app catalog import "$(FILE)"

## A local Supabase Auth user and its access token: make user EMAIL=ada@example.test ROLE=instructor NAME="Ada"
user: install
	@test -n "$(EMAIL)" || { echo "usage: make user EMAIL=... [ROLE=student|instructor|admin] [NAME=...]"; exit 2; }
	@$(PY) -m devstack user "$(EMAIL)" --role "$(or $(ROLE),student)" $(if $(NAME),--name "$(NAME)")

## Retention on the running local stack (production: `flask --app app maintenance prune` from cron).
prune: install
	@$(PY) -m devstack exec -- .venv/bin/flask --app app maintenance prune
