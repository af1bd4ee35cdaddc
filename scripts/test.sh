#!/usr/bin/env bash
# Everything, in order: type check, lint, unit and integration tests, browser tests.
# Installs what the tests need (npm packages; Debian's chromium, bubblewrap, ansible-core... via apt when missing).
set -euo pipefail
cd "$(dirname "$0")/.."
export NEXT_TELEMETRY_DISABLED=1

need_apt=()
[ -x /usr/bin/chromium ] || need_apt+=(chromium)
[ -x /usr/sbin/sshd ] || need_apt+=(openssh-server)
command -v sudo >/dev/null || need_apt+=(sudo)
command -v pgrep >/dev/null || need_apt+=(procps)
command -v age >/dev/null || need_apt+=(age)
command -v bwrap >/dev/null || need_apt+=(bubblewrap)
command -v tmux >/dev/null || need_apt+=(tmux)
command -v ansible-playbook >/dev/null || need_apt+=(ansible-core)
compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null || need_apt+=(postgresql)
if [ ${#need_apt[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "test: installing ${need_apt[*]} with apt-get…"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}" >/dev/null
  else
    echo "test: missing Debian packages: ${need_apt[*]}. Install them (as root: apt-get install ${need_apt[*]}) and run again." >&2
    exit 2
  fi
fi

# The install, the build and the tests must leave the checkout as they found it (a fresh clone stays clean).
tree_state() { git status --porcelain --untracked-files=all 2>/dev/null || true; }
before=$(tree_state)
unchanged() {
  local now; now=$(tree_state)
  if [ "$now" != "$before" ]; then
    echo "test: $1 changed the checkout (git status):" >&2
    diff <(echo "$before") <(echo "$now") | grep '^[<>]' >&2 || true
    exit 1
  fi
}

source scripts/npm-install.sh

echo "== type check"; npx tsc --noEmit
echo "== lint"; npx eslint --max-warnings 0 .
echo "== build"; npm run build
unchanged "installing and building"
# One PostgreSQL cluster for the whole run (the store suite on PostgreSQL, the multi-process tests): in a
# temporary directory outside the checkout, stopped at exit whatever happens.
pg_dir=$(mktemp -d "${TMPDIR:-/tmp}/flightdeck-test-pg-XXXXXX")
stop_pg() { node --import tsx test/support/postgres.ts stop "$pg_dir" || true; rm -rf "$pg_dir"; }
trap stop_pg EXIT
FLIGHTDECK_TEST_PG_URL=$(node --import tsx test/support/postgres.ts start "$pg_dir")
export FLIGHTDECK_TEST_PG_URL
echo "== PostgreSQL for the tests: $FLIGHTDECK_TEST_PG_URL"
echo "== unit and integration tests"; npm run test:unit
echo "== browser tests"; npx playwright test
unchanged "the tests"
