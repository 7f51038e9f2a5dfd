#!/usr/bin/env bash
# `npm test`: type check, unit tests, then end-to-end tests in real Chromium inside a
# loopback-only network namespace.
set -euo pipefail
cd "$(dirname "$0")/.."
npx tsc --noEmit -p .
npx vitest run --project unit
bash scripts/in-netns.sh npx vitest run --project e2e
