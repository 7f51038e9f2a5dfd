#!/usr/bin/env bash
# `npm test`: type check and lint, then every test (unit and end-to-end in real Chromium) inside a
# loopback-only network namespace, so WebRTC and the servers under test stay on 127.0.0.1.
set -euo pipefail
cd "$(dirname "$0")/.."
npx tsc --noEmit -p .
# Lint (oxlint's correctness rules, .oxlintrc.json): a warning fails the run like an error.
npx oxlint --deny-warnings .
# Bundle sizes: each browser bundle against its budget in scripts/check-sizes.mjs.
node scripts/build.mjs
node scripts/check-sizes.mjs
exec bash scripts/in-netns.sh npx vitest run "$@"
