#!/usr/bin/env bash
# Builds the Go peers of the istiod e2e story from Go modules at the pins in versions.env:
# pilot-discovery (istiod), kube-apiserver and etcd, into ${WEFT_PEERS_CACHE:-/var/cache/weft-peers}/<name>-<version>/bin/.
# A binary already built for its pin is kept. The Go module and build caches live under the same dir so CI reuses them.
# Usage: build-go-peers.sh [--fetch-only] [istiod|kube-apiserver|etcd ...]   (default: all three)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=versions.env
. "$here/versions.env"

# The machine's Go lives in /usr/local/go; a non-login shell (CI) may not have it on PATH.
command -v go >/dev/null 2>&1 || export PATH="$PATH:/usr/local/go/bin"
command -v go >/dev/null 2>&1 || { echo "build-go-peers.sh: no Go toolchain (looked on PATH and in /usr/local/go/bin)" >&2; exit 1; }

cache=${WEFT_PEERS_CACHE:-/var/cache/weft-peers}
mkdir -p "$cache"
cache=$(cd "$cache" && pwd)
export GOPATH="$cache/gopath" GOMODCACHE="$cache/gomodcache" GOCACHE="$cache/gocache"
export GOFLAGS="-mod=mod -buildvcs=false" CGO_ENABLED=0 GOTOOLCHAIN=local GOWORK=off
export GO111MODULE=on

fetch_only=false
names=()
for a in "$@"; do
  case "$a" in
    --fetch-only) fetch_only=true ;;
    istiod|kube-apiserver|etcd) names+=("$a") ;;
    *) echo "usage: $0 [--fetch-only] [istiod|kube-apiserver|etcd ...]" >&2; exit 2 ;;
  esac
done
[ "${#names[@]}" -gt 0 ] || names=(etcd kube-apiserver istiod)

log() { printf '[peers] %s\n' "$*" >&2; }

# A throwaway main module in DIR/src that requires MODULE@VERSION (plus any extra go.mod lines on stdin).
init_module() {
  local src=$1 module=$2 version=$3
  rm -rf "$src" && mkdir -p "$src"
  (cd "$src" && go mod init "weft.peers/$(basename "$(dirname "$src")")" >/dev/null 2>&1)
  cat >>"$src/go.mod"
  (cd "$src" && go mod edit -require="$module@$version")
}

# build NAME VERSION PKG LDFLAGS: the module in DIR/src is ready; build PKG to DIR/bin/NAME.
build_pkg() {
  local name=$1 version=$2 pkg=$3 ldflags=$4 bin=$5
  local dir="$cache/$name-$version"
  log "$name: resolving $pkg"
  (cd "$dir/src" && nice -n 10 go list -deps "$pkg" >/dev/null)
  if $fetch_only; then log "$name: modules fetched"; return 0; fi
  local start=$SECONDS
  mkdir -p "$dir/bin"
  (cd "$dir/src" && nice -n 10 go build -trimpath -ldflags "$ldflags" -o "$dir/bin/.$bin.tmp" "$pkg")
  mv "$dir/bin/.$bin.tmp" "$dir/bin/$bin"
  local took=$((SECONDS - start)) size
  size=$(stat -c %s "$dir/bin/$bin")
  printf 'built %s %s in %ss, %s bytes, %s\n' "$bin" "$version" "$took" "$size" "$(go version)" | tee "$dir/build.txt" >&2
}

peer_etcd() {
  local dir="$cache/etcd-$ETCD_VERSION"
  [ -x "$dir/bin/etcd" ] && { log "etcd $ETCD_VERSION: cached at $dir/bin/etcd"; return 0; }
  init_module "$dir/src" go.etcd.io/etcd/server/v3 "$ETCD_VERSION" </dev/null
  build_pkg etcd "$ETCD_VERSION" go.etcd.io/etcd/server/v3 "-s -w" etcd
}

peer_istiod() {
  local dir="$cache/istiod-$ISTIO_VERSION"
  [ -x "$dir/bin/pilot-discovery" ] && { log "istiod $ISTIO_VERSION: cached at $dir/bin/pilot-discovery"; return 0; }
  init_module "$dir/src" istio.io/istio "$ISTIO_VERSION" </dev/null
  # The main module's go.mod decides versions; take istio's own requirements (and replaces) as they are.
  local gomod
  gomod=$(cd "$dir/src" && go mod download -json "istio.io/istio@$ISTIO_VERSION" | sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",$/\1/p')
  copy_requirements "$gomod" "$dir/src/go.mod"
  build_pkg istiod "$ISTIO_VERSION" istio.io/istio/pilot/cmd/pilot-discovery \
    "-s -w -X istio.io/istio/pkg/version.buildVersion=$ISTIO_VERSION -X istio.io/istio/pkg/version.buildStatus=Modules" pilot-discovery
}

# Copies the require and replace blocks of a dependency's go.mod into the throwaway one, so that the build
# uses exactly the versions the dependency was tested with (replaces in a dependency are otherwise ignored).
copy_requirements() {
  local from=$1 to=$2
  awk '
    /^(require|replace)[[:space:]]*\($/ { inblock = 1; print; next }
    inblock && /^\)/ { inblock = 0; print; next }
    inblock { print; next }
    /^(require|replace)[[:space:]]/ { print }
  ' "$from" | grep -v '=> \.' >>"$to"
}

peer_kube_apiserver() {
  local dir="$cache/kube-apiserver-$KUBERNETES_VERSION"
  [ -x "$dir/bin/kube-apiserver" ] && { log "kube-apiserver $KUBERNETES_VERSION: cached at $dir/bin/kube-apiserver"; return 0; }
  init_module "$dir/src" k8s.io/kubernetes "$KUBERNETES_VERSION" </dev/null
  # k8s.io/kubernetes requires its staging modules (k8s.io/api, client-go, ...) at v0.0.0 and replaces them with
  # ./staging/src/k8s.io/*, which a dependent cannot use: replace each with its published tag v0.<minor>.<patch>.
  local gomod staging
  gomod=$(cd "$dir/src" && go mod download -json "k8s.io/kubernetes@$KUBERNETES_VERSION" | sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",$/\1/p')
  staging="v0.${KUBERNETES_VERSION#v1.}"
  copy_requirements "$gomod" "$dir/src/go.mod"
  sed -n 's#^[[:space:]]*\(k8s.io/[a-z0-9-]*\) => \./staging/src/k8s.io/[a-z0-9-]*$#\1#p' "$gomod" | while read -r m; do
    (cd "$dir/src" && go mod edit -replace="$m=$m@$staging")
  done
  local v=k8s.io/component-base/version cv=k8s.io/client-go/pkg/version minor
  minor=${KUBERNETES_VERSION#v1.}; minor=${minor%%.*}
  local ld="-s -w"
  for p in $v $cv; do ld="$ld -X $p.gitVersion=$KUBERNETES_VERSION -X $p.gitMajor=1 -X $p.gitMinor=$minor -X $p.gitTreeState=clean"; done
  build_pkg kube-apiserver "$KUBERNETES_VERSION" k8s.io/kubernetes/cmd/kube-apiserver "$ld" kube-apiserver
}

for n in "${names[@]}"; do
  case "$n" in
    etcd) peer_etcd ;;
    istiod) peer_istiod ;;
    kube-apiserver) peer_kube_apiserver ;;
  esac
done
log "peers in $cache"
