# Sourced by start.sh and test.sh: install exactly what package-lock.json pins, when node_modules is missing or
# older than the lock. `npm ci` never rewrites the lock, so a fresh clone stays clean.
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "flightdeck: installing dependencies (npm ci)…"
  npm ci --no-audit --no-fund
fi
