#!/usr/bin/env bash
# Start the dashboard on the embedded default (SQLite in ./data, demo site on first start).
# Installs dependencies and builds when they are missing or older than the sources.
set -euo pipefail
cd "$(dirname "$0")/.."
export NEXT_TELEMETRY_DISABLED=1

source scripts/npm-install.sh

stale() {
  [ ! -f .next/BUILD_ID ] && return 0
  [ -n "$(find app components server db next.config.mjs package.json -newer .next/BUILD_ID -print -quit 2>/dev/null)" ]
}
if stale; then
  echo "flightdeck: building the dashboard…"
  npm run build
fi

# Local steps (all of the demo's) run in a bubblewrap sandbox: installed here when it can be, as the tests
# install chromium; otherwise the demo's Deployments page says what to install.
if ! command -v bwrap >/dev/null; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "flightdeck: installing bubblewrap (the sandbox of local steps) with apt-get…"
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq bubblewrap >/dev/null) ||
      echo "flightdeck: could not install bubblewrap: local steps are refused until it is (apt-get install bubblewrap)" >&2
  else
    echo "flightdeck: bubblewrap is missing, so local steps (the demo's) are refused: as root, apt-get install bubblewrap" >&2
  fi
fi

# The demo's MAAS region reads env:MAAS_API_KEY; set FLIGHTDECK_ENV_ALLOW (even empty) to decide otherwise.
export FLIGHTDECK_ENV_ALLOW="${FLIGHTDECK_ENV_ALLOW-MAAS_API_KEY}"

# Options (--no-worker) go to the server.
exec node --import tsx server/main.ts "$@"
