#!/usr/bin/env bash
# Installs (once) and locates the real tools that check Sift's deployment assets:
#   ensure.sh nginx|haproxy|promtool|prometheus|kubectl|kubeconform|helm|actionlint|k8s-schemas|schemathesis
# The last stdout line is the absolute path of the binary (for k8s-schemas: the schema directory).
# Debian packages come from apt; Go tools are built from the Go module proxy at pinned versions into a cache GOBIN;
# Python tools are installed from PyPI with pip into a venv per requirements file, so a second call is instant. Everything lands under the user's cache directory, never in the repository.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
source "$here/../services/lib.sh"

# Pinned versions: bump deliberately, the tests and docs/operations.md name what they check against.
ACTIONLINT_VERSION="v1.7.12"
KUBECONFORM_VERSION="v0.7.0"
HELM_VERSION="v3.19.5"
KUSTOMIZE_VERSION="v5.7.1"
KUBERNETES_VERSION="v1.34.4"
ISTIO_API_VERSION="v1.27.3"
VPA_VERSION="v1.5.1"

TOOLS_DIR="$SIFT_CACHE_DIR/tools"
GO_BIN_DIR="$TOOLS_DIR/bin"
mkdir -p "$GO_BIN_DIR"

# One build at a time per tool: parallel test files may ask for the same binary together.
with_lock() {
  local name="$1"
  shift
  exec {lock_fd}>"$TOOLS_DIR/$name.lock"
  flock "$lock_fd"
  "$@"
  flock -u "$lock_fd"
}

need_go() { command -v go >/dev/null 2>&1 || die "go is not installed; it builds $1"; }

# go_tool NAME MODULE_PATH@VERSION: build a Go binary once into the cache GOBIN; rebuilt when the version changes.
go_tool() {
  local name="$1" pkg="$2" stamp="$GO_BIN_DIR/.$1.version"
  if [[ -x "$GO_BIN_DIR/$name" && -f "$stamp" && "$(cat "$stamp")" == "$pkg" ]]; then return 0; fi
  need_go "$name"
  log "building $pkg (first run only; takes a few minutes)"
  GOBIN="$GO_BIN_DIR" GOFLAGS=-buildvcs=false go install "$pkg" >&2
  echo "$pkg" >"$stamp"
}

# go_module_dir MODULE@VERSION: download a module's source through the module proxy and print its directory.
go_module_dir() {
  need_go "schemas"
  (cd "$TOOLS_DIR" && go mod download -json "$1") | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d.get("Dir") or sys.exit(d.get("Error","no Dir")))'
}

kubectl_path() {
  # kubectl embeds kustomize; when this machine's kubectl cannot render, build kustomize itself.
  if command -v kubectl >/dev/null 2>&1 && kubectl kustomize --help >/dev/null 2>&1; then
    command -v kubectl
    return 0
  fi
  go_tool kustomize "sigs.k8s.io/kustomize/kustomize/v5@$KUSTOMIZE_VERSION"
  echo "$GO_BIN_DIR/kustomize"
}

# Kubernetes and CRD JSON schemas in kubeconform's layout, generated from the sources of the pinned versions.
k8s_schemas() {
  local out="$TOOLS_DIR/schemas/k8s-$KUBERNETES_VERSION-istio-$ISTIO_API_VERSION-vpa-$VPA_VERSION"
  if [[ -f "$out/.complete" ]]; then echo "$out"; return 0; fi
  local k8s istio vpa
  k8s="$(go_module_dir "k8s.io/kubernetes@$KUBERNETES_VERSION")"
  istio="$(go_module_dir "istio.io/api@$ISTIO_API_VERSION")"
  vpa="$(go_module_dir "k8s.io/autoscaler/vertical-pod-autoscaler@$VPA_VERSION")"
  rm -rf "$out.tmp"
  (cd "$here/../.." && node --import tsx scripts/tools/k8s-schemas.ts "$out.tmp" "$k8s/api/openapi-spec/v3" \
    "$istio/kubernetes/customresourcedefinitions.gen.yaml" "$vpa/deploy/vpa-v1-crd-gen.yaml") >&2
  rm -rf "$out"
  mv "$out.tmp" "$out"
  touch "$out/.complete"
  echo "$out"
}

# python_tool NAME REQUIREMENTS: a venv under the cache with the pinned requirements, made once per content of the
# requirements file (a changed pin makes a new venv); prints the venv directory.
python_tool() {
  local name="$1" requirements="$2" digest venv
  digest="$(sha256sum "$requirements" | cut -c1-16)"
  venv="$TOOLS_DIR/venvs/$name-$digest"
  if [[ -f "$venv/.complete" ]]; then echo "$venv"; return 0; fi
  command -v python3 >/dev/null 2>&1 || apt_install python3
  # Debian's python3 makes venvs only with python3-venv (ensurepip); other builds carry it.
  python3 -c 'import ensurepip, venv' >/dev/null 2>&1 || apt_install python3-venv
  log "installing $name into $venv (first run only)"
  rm -rf "$venv"
  python3 -m venv "$venv" >&2
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-input -r "$requirements" >&2
  touch "$venv/.complete"
  echo "$venv"
}

ensure() {
  case "$1" in
    nginx)
      # nginx-light: the core modules the shipped config uses (proxy, cache, limit_req, upstream keepalive).
      apt_install nginx-light
      echo /usr/sbin/nginx
      ;;
    haproxy)
      # HAProxy 2.6 on Debian 12: the host target's alternative router, driven through its runtime API.
      # The package's unit starts a system HAProxy where an init system runs; tests start their own.
      apt_install haproxy
      echo /usr/sbin/haproxy
      ;;
    promtool | prometheus)
      apt_install prometheus
      # The Debian package starts a system Prometheus where an init system runs; tests start their own.
      command -v "$1"
      ;;
    kubectl | kustomize) kubectl_path ;;
    kubeconform) go_tool kubeconform "github.com/yannh/kubeconform/cmd/kubeconform@$KUBECONFORM_VERSION" && echo "$GO_BIN_DIR/kubeconform" ;;
    helm) go_tool helm "helm.sh/helm/v3/cmd/helm@$HELM_VERSION" && echo "$GO_BIN_DIR/helm" ;;
    actionlint) go_tool actionlint "github.com/rhysd/actionlint/cmd/actionlint@$ACTIONLINT_VERSION" && echo "$GO_BIN_DIR/actionlint" ;;
    k8s-schemas) k8s_schemas ;;
    schemathesis) echo "$(python_tool schemathesis "$here/../../test/integration/http/schemathesis/requirements.txt")/bin/schemathesis" ;;
    *) die "unknown tool $1 (nginx, haproxy, promtool, prometheus, kubectl, kubeconform, helm, actionlint, k8s-schemas, schemathesis)" ;;
  esac
}

[[ $# -eq 1 ]] || die "usage: ensure.sh TOOL"
case "$1" in
  # dpkg allows one installer at a time, so the apt-installed tools share one lock.
  nginx | haproxy | promtool | prometheus) with_lock apt ensure "$1" ;;
  *) with_lock "$1" ensure "$1" ;;
esac
