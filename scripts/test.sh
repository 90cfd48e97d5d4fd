#!/usr/bin/env bash
# The whole test suite: formatting, lint, type checks, docs lint, publish dry run, the Deno
# tests (dynalite, fault proxy, embedded backends), and the cross-runtime smoke runs.
set -euo pipefail
cd "$(dirname "$0")/.."
export NO_COLOR=1
DENO=node_modules/.bin/deno
LOG=$(mktemp)
trap 'rm -f "$LOG"' EXIT

step() { printf '\n== %s ==\n' "$*"; }

step "deno fmt --check"
$DENO fmt --check
step "deno lint"
$DENO lint
step "deno check"
$DENO task -q check
step "deno doc --lint"
$DENO doc --lint mod.ts testing.ts cli.ts node.ts
step "deno publish --dry-run"
$DENO publish --dry-run --allow-dirty >/dev/null
step "deno test"
$DENO test -A tests/ 2>&1 | tee -a "$LOG"
step "bundle: size budget and runtime-neutral core"
node scripts/bundle.mjs | tee -a "$LOG"
step "smoke: Node, Bun, workerd (miniflare), Deno against dynalite"
node scripts/smoke.mjs | tee -a "$LOG"
step "browser: IndexedDBBackend in headless Chromium"
bash scripts/ensure-chromium.sh
node scripts/browser.mjs | tee -a "$LOG"
step "admin: the admin tool in headless Chromium (dynalite and IndexedDB)"
node scripts/admin-test.mjs | tee -a "$LOG"

# One closing line over every step: Deno's "ok | N passed | M failed" and the scripts'
# "name: N passed, M failed".
total() {
  sed -nE "s/^(ok|FAILED) \| ([0-9]+) passed.*\| ([0-9]+) failed.*/\\$1/p; \
    s/^(bundle|smoke|browser|admin): ([0-9]+) passed, ([0-9]+) failed$/\\$1/p" "$LOG" |
    awk '{ n += $1 } END { print n + 0 }'
}
printf '\nall: %s passed, %s failed\n' "$(total 2)" "$(total 3)"
