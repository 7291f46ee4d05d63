#!/usr/bin/env bash
# Makes sure the IDE's browser test has a Chromium, as with-node.sh does for Node: `npm test` must pass on a
# fresh machine with nothing installed by hand. Uses CHROMIUM_PATH when set, else Debian's `chromium`;
# when it is missing and apt-get can run (root), installs Debian's package; otherwise says in one line
# what to run, and fails.
set -euo pipefail
if [ -n "${CHROMIUM_PATH:-}" ]; then
  [ -x "$CHROMIUM_PATH" ] && exit 0
  echo "ensure-chromium: CHROMIUM_PATH=$CHROMIUM_PATH is not an executable; point it at a Chromium, or unset it to use /usr/bin/chromium." >&2
  exit 1
fi
command -v chromium >/dev/null 2>&1 && exit 0
if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
  echo "ensure-chromium: Chromium is missing; installing Debian's package (apt-get install chromium) for the IDE's browser test" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq --no-install-recommends chromium >/dev/null
  command -v chromium >/dev/null 2>&1 && exit 0
fi
echo "ensure-chromium: the IDE's browser test needs Chromium: run 'sudo apt-get install chromium' (or set CHROMIUM_PATH), then 'npm test' again; 'npm run test:fast' runs the unit tests without it." >&2
exit 1
