#!/usr/bin/env bash
# Start the dashboard on the embedded default (SQLite in ./data, demo site on first start).
# Installs dependencies and builds when they are missing or older than the sources.
set -euo pipefail
cd "$(dirname "$0")/.."
export NEXT_TELEMETRY_DISABLED=1

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "flightdeck: installing dependencies…"
  # `npm install`, not `npm ci`: the registry here lacks the other platforms' optional packages (e.g. Next's
  # macOS compilers), so the lock file cannot list them and `npm ci` refuses it. The lock still pins versions.
  npm install --no-audit --no-fund
fi

stale() {
  [ ! -f .next/BUILD_ID ] && return 0
  [ -n "$(find app components server db next.config.mjs package.json -newer .next/BUILD_ID -print -quit 2>/dev/null)" ]
}
if stale; then
  echo "flightdeck: building the dashboard…"
  npm run build
fi

exec node --import tsx server/main.ts
