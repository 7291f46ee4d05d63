#!/usr/bin/env bash
# Runs a command with a Node.js the project supports (>= 22) and up-to-date dependencies.
#
# Why: machines here ship Node 20, which is past end of life, and got and @apollo/server need a
# current Node. When the Node on PATH is older than 22, this installs the npm package `node@24`
# (it ships the official binary) into .tools/node24 once and puts it first on PATH. It then runs
# `npm ci` when node_modules is missing or older than package-lock.json, so `npm test` and
# `npm run sandbox` work on a fresh clone without a separate install step.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

# Node trusts only its bundled CAs. Where the registry is reached through a proxy whose CA is in the
# system store, npm otherwise stalls for minutes on TLS failures: trust the system store as well.
if [ -z "${NODE_EXTRA_CA_CERTS:-}" ] && [ -r /etc/ssl/certs/ca-certificates.crt ]; then
  export NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt
fi

node_major() { node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }

if [ "$(node_major)" -lt 22 ]; then
  tools="$root/.tools/node24"
  if [ ! -x "$tools/node_modules/node/bin/node" ]; then
    echo "with-node: Node $(node --version 2>/dev/null || echo none) is older than 22; installing node@24 into .tools/node24" >&2
    mkdir -p "$tools"
    npm install --no-save --no-audit --no-fund --loglevel=error --prefix "$tools" node@24 >&2
  fi
  export PATH="$tools/node_modules/node/bin:$PATH"
fi

if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "with-node: installing dependencies (npm ci) with Node $(node --version)" >&2
  npm ci --no-audit --no-fund --loglevel=error >&2
fi

exec "$@"
