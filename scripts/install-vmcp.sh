#!/usr/bin/env bash
# Installs ToolHive's vmcp binary at the version whose chart the stack installs
# (TOOLHIVE_VERSION in components/kubernetes/config.ts). Go's module and build caches make a
# second run a no-op; the binary lands in $(go env GOPATH)/bin.
#
# The installed version is read from the binary's own build info (`go version -m`): `vmcp version`
# prints "dev" for a `go install` build (pkg/versions is only stamped by release ldflags).
set -euo pipefail
cd "$(dirname "$0")/.."
version=$(sed -n 's/^export const TOOLHIVE_VERSION = "\(.*\)";/\1/p' components/kubernetes/config.ts)
[ -n "$version" ] || { echo "install-vmcp: TOOLHIVE_VERSION not found in components/kubernetes/config.ts" >&2; exit 1; }
command -v go >/dev/null || { echo "install-vmcp: Go is not installed (https://go.dev/dl/); the vMCP reference tests need it" >&2; exit 1; }
bin="$(go env GOPATH)/bin/vmcp"
installed() { go version -m "$bin" 2>/dev/null | awk '$1 == "mod" && $2 == "github.com/stacklok/toolhive" { print $3 }'; }
if [ -x "$bin" ] && [ "$(installed)" = "v$version" ]; then
  echo "vmcp $version already installed at $bin"
  exit 0
fi
echo "installing vmcp $version (go install github.com/stacklok/toolhive/cmd/vmcp@v$version)"
go install "github.com/stacklok/toolhive/cmd/vmcp@v$version"
[ "$(installed)" = "v$version" ] || { echo "install-vmcp: $bin does not report toolhive v$version after go install" >&2; exit 1; }
echo "vmcp $version installed at $bin"
