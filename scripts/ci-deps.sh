#!/usr/bin/env bash
# Installs what the tests need beyond npm: Debian's chromium (browser sign-in tests) and
# redis-server (shared gateway state), and ToolHive's vmcp at the pinned version (reference tests).
set -euo pipefail
cd "$(dirname "$0")/.."
missing=()
command -v chromium >/dev/null || missing+=(chromium)
command -v redis-server >/dev/null || missing+=(redis-server)
if [ ${#missing[@]} -gt 0 ]; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"
fi
bash scripts/install-vmcp.sh
# actionlint, which test/ciWorkflow.test.ts runs on examples/ci's GitHub Actions workflow.
[ -x "$(go env GOPATH)/bin/actionlint" ] || go install github.com/rhysd/actionlint/cmd/actionlint@v1.7.12
