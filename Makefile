# The two commands a newcomer needs: `make run` and `make test`.
PY := .venv/bin/python
PORT ?= 5000

.PHONY: run test reset install bench openapi

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

## Regenerate the committed OpenAPI document (openapi.json) from the endpoints' declarations.
openapi: install
	@.venv/bin/flask --app app openapi write
