#!/usr/bin/env bash
# The whole test suite: formatting, lint, type checks, docs lint, publish dry run, the Deno
# tests (dynalite, fault proxy, embedded backends), and the cross-runtime smoke runs.
set -euo pipefail
cd "$(dirname "$0")/.."
export NO_COLOR=1
DENO=node_modules/.bin/deno

step() { printf '\n== %s ==\n' "$*"; }

step "deno fmt --check"
$DENO fmt --check
step "deno lint"
$DENO lint
step "deno check"
$DENO task -q check
step "deno doc --lint"
$DENO doc --lint mod.ts testing.ts
step "deno test"
$DENO test -A tests/
