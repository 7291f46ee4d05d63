#!/usr/bin/env bash
# Makes sure the tests have the real programs they talk to, as with-node.sh does for Node: `npm test` must
# pass on a fresh machine with nothing installed by hand. Chromium for the IDE's browser test
# (CHROMIUM_PATH when set, else Debian's `chromium`) and Debian's `redis-server` for the scale-out tests
# (each test starts its own on an ephemeral loopback port). What is missing is installed with one
# apt-get run when apt-get can run (root); otherwise this says in one line what to run, and fails.
set -euo pipefail
missing=()
if [ -n "${CHROMIUM_PATH:-}" ]; then
  if [ ! -x "$CHROMIUM_PATH" ]; then
    echo "ensure-test-servers: CHROMIUM_PATH=$CHROMIUM_PATH is not an executable; point it at a Chromium, or unset it to use /usr/bin/chromium." >&2
    exit 1
  fi
else
  command -v chromium >/dev/null 2>&1 || missing+=(chromium)
fi
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
[ ${#missing[@]} -eq 0 ] && exit 0
if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
  echo "ensure-test-servers: installing Debian's ${missing[*]} for the tests (apt-get install ${missing[*]})" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  # Debian's package starts a system-wide redis-server on port 6379; the tests start their own.
  if [[ " ${missing[*]} " == *" redis-server "* ]] && command -v systemctl >/dev/null 2>&1; then systemctl disable --now redis-server >/dev/null 2>&1 || true; fi
  still=()
  for tool in "${missing[@]}"; do command -v "$tool" >/dev/null 2>&1 || still+=("$tool"); done
  [ ${#still[@]} -eq 0 ] && exit 0
  missing=("${still[@]}")
fi
echo "ensure-test-servers: the tests need ${missing[*]}: run 'sudo apt-get install ${missing[*]}', then 'npm test' again; 'npm run test:fast' runs the unit tests without them." >&2
exit 1
