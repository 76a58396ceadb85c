#!/usr/bin/env bash
# Installs ToolHive's vmcp binary at the version whose chart the stack installs
# (TOOLHIVE_VERSION in components/kubernetes/config.ts). Go's module and build caches make a
# second run a no-op; the binary lands in $(go env GOPATH)/bin.
set -euo pipefail
cd "$(dirname "$0")/.."
version=$(sed -n 's/^export const TOOLHIVE_VERSION = "\(.*\)";/\1/p' components/kubernetes/config.ts)
[ -n "$version" ] || { echo "install-vmcp: TOOLHIVE_VERSION not found in components/kubernetes/config.ts" >&2; exit 1; }
bin="$(go env GOPATH)/bin/vmcp"
if [ -x "$bin" ] && [ -f "$bin.version" ] && [ "$(cat "$bin.version")" = "$version" ]; then
  echo "vmcp $version already installed at $bin"
  exit 0
fi
echo "installing vmcp $version (go install github.com/stacklok/toolhive/cmd/vmcp@v$version)"
go install "github.com/stacklok/toolhive/cmd/vmcp@v$version"
echo "$version" > "$bin.version"
echo "vmcp $version installed at $bin"
