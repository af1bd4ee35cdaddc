#!/usr/bin/env bash
# Everything, in order: type check, lint, unit and integration tests, browser tests.
# Installs what the tests need (npm packages; Debian's chromium via apt when missing).
set -euo pipefail
cd "$(dirname "$0")/.."
export NEXT_TELEMETRY_DISABLED=1

need_apt=()
[ -x /usr/bin/chromium ] || need_apt+=(chromium)
[ -x /usr/sbin/sshd ] || need_apt+=(openssh-server)
command -v sudo >/dev/null || need_apt+=(sudo)
command -v pgrep >/dev/null || need_apt+=(procps)
command -v age >/dev/null || need_apt+=(age)
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

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  # `npm install`, not `npm ci`: see scripts/start.sh.
  npm install --no-audit --no-fund
fi

echo "== type check"; npx tsc --noEmit
echo "== lint"; npx eslint --max-warnings 0 .
echo "== build"; npm run build
echo "== unit and integration tests"; npm run test:unit
echo "== browser tests"; npx playwright test
