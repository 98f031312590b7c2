#!/usr/bin/env bash
# A real Kubernetes control plane for the deploy tests: `kube.sh start|stop|status|build [instance]`.
#
# etcd, kube-apiserver and kube-controller-manager, built from the Go module proxy at the versions pinned in
# scripts/services/kube/go.mod, plus KWOK, which plays two fake nodes (kwok-node-0/1) and the container runtime of
# their pods. There is no kube-scheduler: an admission policy (kube/pod-placement.yaml) binds each new pod to a
# node. Pods get loopback addresses (127.42.<node>.x), the Service range is loopback too (127.43.0.0/24), so no
# other private range ever appears. KWOK never marks a pod Ready: the tests' pod runner (test/support/kubernetes/kube-pods.ts)
# runs a real Sift on the pod's address and sets readiness from its probe (see kube/kwok-stages.yaml).
# The Istio VirtualService and DestinationRule CRDs are installed, from istio.io/api at ensure.sh's version.
#
# Everything listens on 127.0.0.1; state, certificates and logs live in $SIFT_RUN_DIR/kube-<instance>/, the built
# binaries in $SIFT_CACHE_DIR/kube-bin/ (rebuilt only when kube/go.sum changes). start prints
# {"url":"<admin kubeconfig path>","started":true|false} as its last line; everything else goes to stderr.
source "$(dirname "$0")/lib.sh"

here="$(cd "$(dirname "$0")" && pwd)"
module_dir="$here/kube"
action="${1:-status}"
instance="${2:-test}"
state="$SIFT_RUN_DIR/kube-$instance"
pki="$state/pki"
kubeconfig="$state/admin.kubeconfig"
bin_dir="$SIFT_CACHE_DIR/kube-bin"

NODES=(kwok-node-0 kwok-node-1)
# Node i gets the pod range 127.42.i.0/24 and the address 127.42.255.(i+1). Other instances take their own
# 127.<n> networks, so two clusters running side by side never hand out the same pod address.
if [[ "$instance" == test ]]; then
  net=42
else
  net=$((100 + $(printf '%s' "$instance" | cksum | cut -d' ' -f1) % 60 * 2))
fi
POD_NET=127.$net
SERVICE_CIDR=127.$((net + 1)).0.0/24
SERVICE_IP=127.$((net + 1)).0.1
# The processes, in start order.
COMPONENTS=(etcd kube-apiserver kube-controller-manager kwok)
# The go build output names; etcd's main package is go.etcd.io/etcd/server/v3, so its binary is `server`.
BINARIES=(kube-apiserver kube-controller-manager server kwok)
BUILD_PACKAGES=(k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager
  go.etcd.io/etcd/server/v3 sigs.k8s.io/kwok/cmd/kwok)
build_stamp="$bin_dir/.go.sum.sha256"

# --- build -----------------------------------------------------------------------------------------------------

go_sum_hash() { sha256sum "$module_dir/go.sum" | cut -d' ' -f1; }

# True when the four binaries exist and were built from the current go.sum.
binaries_current() {
  local b
  for b in "${BINARIES[@]}"; do [[ -x "$bin_dir/$b" ]] || return 1; done
  if [[ -f "$build_stamp" ]]; then
    [[ "$(cat "$build_stamp")" == "$(go_sum_hash)" ]]
    return
  fi
  # Binaries built by hand with the same command (before any stamp) count when all are newer than go.sum.
  for b in "${BINARIES[@]}"; do [[ "$bin_dir/$b" -nt "$module_dir/go.sum" ]] || return 1; done
  go_sum_hash >"$build_stamp"
}

ensure_binaries() {
  binaries_current && return 0
  mkdir -p "$bin_dir"
  # Parallel starts (several test runs) wait for one build.
  local lock_fd
  exec {lock_fd}>"$SIFT_CACHE_DIR/kube-bin.lock"
  flock "$lock_fd"
  if ! binaries_current; then
    command -v go >/dev/null 2>&1 || die "go is not installed; it builds the Kubernetes control plane"
    log "building ${BINARIES[*]} into $bin_dir (first run only; takes many minutes)"
    rm -f "$build_stamp"
    (cd "$module_dir" && GOFLAGS=-buildvcs=false go build -o "$bin_dir/" "${BUILD_PACKAGES[@]}") >&2 ||
      die "building the control plane failed"
    go_sum_hash >"$build_stamp"
  fi
  flock -u "$lock_fd"
  exec {lock_fd}>&-
}

# --- certificates and kubeconfigs ------------------------------------------------------------------------------

# cert NAME SUBJECT EXTENSIONS: an EC key and a certificate signed by the test CA.
cert() {
  local name="$1" subject="$2" ext="$3"
  openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj "$subject" \
    -keyout "$pki/$name.key" -out "$pki/$name.csr" 2>/dev/null
  printf '%b\n' "$ext" >"$pki/$name.ext"
  openssl x509 -req -in "$pki/$name.csr" -CA "$pki/ca.crt" -CAkey "$pki/ca.key" -CAcreateserial -days 7 \
    -extfile "$pki/$name.ext" -out "$pki/$name.crt" 2>/dev/null
}

make_pki() {
  mkdir -p "$pki"
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 7 -subj "/CN=sift-testbed-ca" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
    -keyout "$pki/ca.key" -out "$pki/ca.crt" 2>/dev/null
  cert apiserver "/CN=kube-apiserver" "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\nsubjectAltName=IP:127.0.0.1,DNS:localhost,IP:$SERVICE_IP,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc"
  local client="basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=clientAuth"
  # The tests' identity: cluster-admin through the system:masters group.
  cert admin "/O=system:masters/CN=sift-test-admin" "$client"
  # The controller manager's own identity; each controller then runs as its service account (RBAC bootstrap roles).
  cert controller-manager "/CN=system:kube-controller-manager" "$client"
  cert kwok "/O=system:masters/CN=kwok-controller" "$client"
  # Service account tokens are signed with this key pair.
  openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$pki/sa.key" 2>/dev/null
  openssl pkey -in "$pki/sa.key" -pubout -out "$pki/sa.pub" 2>/dev/null
}

# write_kubeconfig FILE CERT_NAME PORT: a self-contained kubeconfig (certificates embedded).
write_kubeconfig() {
  local file="$1" name="$2" port="$3"
  cat >"$file" <<EOF
apiVersion: v1
kind: Config
clusters:
  - name: sift-testbed
    cluster:
      server: https://127.0.0.1:$port
      certificate-authority-data: $(base64 -w0 "$pki/ca.crt")
users:
  - name: $name
    user:
      client-certificate-data: $(base64 -w0 "$pki/$name.crt")
      client-key-data: $(base64 -w0 "$pki/$name.key")
contexts:
  - name: sift-testbed
    context:
      cluster: sift-testbed
      user: $name
      namespace: default
current-context: sift-testbed
EOF
}

# --- talking to the API server ---------------------------------------------------------------------------------

api_port() { cat "$state/kube-apiserver.port"; }

# api METHOD PATH [BODY_FILE [CONTENT_TYPE]]: a request as the admin; prints the body, fails on a non-2xx answer.
api() {
  local args=(-sS --fail-with-body --max-time 20 --cacert "$pki/ca.crt" --cert "$pki/admin.crt" --key "$pki/admin.key"
    -X "$1" "https://127.0.0.1:$(api_port)$2")
  [[ -n "${3:-}" ]] && args+=(-H "Content-Type: ${4:-application/yaml}" --data-binary "@$3")
  curl "${args[@]}"
}

api_ready() { api GET /readyz >/dev/null 2>&1; }

# wait_for SECONDS WHAT CMD...: poll CMD every half second; fail naming WHAT, and any component that died, on timeout.
wait_for() {
  local seconds="$1" what="$2" i
  shift 2
  for ((i = 0; i < seconds * 2; i++)); do
    if "$@" >/dev/null 2>&1; then return 0; fi
    all_alive || die "a component exited while waiting for $what: $(dead_report)"
    sleep 0.5
  done
  die "timed out after ${seconds}s waiting for $what (logs: $state/*.log)"
}

phase() { log "$* (+$((SECONDS - phase_started))s)"; }

# json_check EXPR: read JSON on stdin, succeed when the Python expression on `d` is true.
json_check() { python3 -c "import json,sys; d=json.load(sys.stdin); sys.exit(0 if ($1) else 1)"; }

nodes_ready() {
  api GET /api/v1/nodes | json_check "sorted(n['metadata']['name'] for n in d['items'] if any(c['type']=='Ready' and c['status']=='True' for c in n.get('status',{}).get('conditions',[]))) == sorted('${NODES[*]}'.split())"
}

# The placement policy is in force once a (dry-run) pod comes back bound to a node; pods created before that would
# stay Pending for good, as no scheduler runs.
placement_active() {
  api POST "/api/v1/namespaces/default/pods?dryRun=All" "$state/probe-pod.json" application/json |
    json_check "d['spec'].get('nodeName','').startswith('kwok-node-')"
}

crd_established() {
  api GET "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/$1" |
    json_check "any(c['type']=='Established' and c['status']=='True' for c in d.get('status',{}).get('conditions',[]))"
}

# --- the pieces of the cluster ---------------------------------------------------------------------------------

# post PATH FILE: create one object from a YAML or JSON file.
post() {
  local out
  out="$(api POST "$1" "$2" 2>&1)" || die "creating $(basename "$2") at $1 failed: $out"
}

create_nodes() {
  local i name
  for i in "${!NODES[@]}"; do
    name="${NODES[$i]}"
    # The annotation and taint are KWOK's convention for fake nodes; status (addresses, capacity) may be set on create.
    cat >"$state/node-$name.json" <<EOF
{
  "apiVersion": "v1",
  "kind": "Node",
  "metadata": {
    "name": "$name",
    "annotations": { "kwok.x-k8s.io/node": "fake", "node.alpha.kubernetes.io/ttl": "0" },
    "labels": {
      "kubernetes.io/hostname": "$name", "kubernetes.io/os": "linux", "kubernetes.io/arch": "amd64",
      "node-role.kubernetes.io/agent": "", "type": "kwok"
    }
  },
  "spec": {
    "podCIDR": "$POD_NET.$i.0/24",
    "podCIDRs": ["$POD_NET.$i.0/24"],
    "taints": [{ "key": "kwok.x-k8s.io/node", "value": "fake", "effect": "NoSchedule" }]
  },
  "status": {
    "addresses": [
      { "type": "InternalIP", "address": "$POD_NET.255.$((i + 1))" },
      { "type": "Hostname", "address": "$name" }
    ],
    "allocatable": { "cpu": "32", "memory": "256Gi", "pods": "110" },
    "capacity": { "cpu": "32", "memory": "256Gi", "pods": "110" }
  }
}
EOF
    post /api/v1/nodes "$state/node-$name.json"
  done
}

create_pod_placement() {
  python3 - "$module_dir/pod-placement.yaml" "$state/placement" <<'EOF'
import sys
docs = [d for d in open(sys.argv[1]).read().split('\n---\n') if 'kind:' in d]
for i, d in enumerate(docs):
    open(f'{sys.argv[2]}-{i}.yaml', 'w').write(d)
EOF
  post /apis/admissionregistration.k8s.io/v1/mutatingadmissionpolicies "$state/placement-0.yaml"
  post /apis/admissionregistration.k8s.io/v1/mutatingadmissionpolicybindings "$state/placement-1.yaml"
}

ISTIO_CRDS=(virtualservices.networking.istio.io destinationrules.networking.istio.io)

# The two Istio CRDs, cut from istio.io/api's generated file at the version scripts/tools/ensure.sh pins; cached.
istio_crds_file() {
  local version file dir
  version="$(sed -n 's/^ISTIO_API_VERSION="\(.*\)"$/\1/p' "$here/../tools/ensure.sh")"
  [[ -n "$version" ]] || die "ISTIO_API_VERSION is not set in scripts/tools/ensure.sh"
  file="$bin_dir/istio-crds-$version.yaml"
  if [[ ! -s "$file" ]]; then
    command -v go >/dev/null 2>&1 || die "go is not installed; it downloads istio.io/api for the Istio CRDs"
    mkdir -p "$SIFT_CACHE_DIR/tools"
    dir="$(cd "$SIFT_CACHE_DIR/tools" && go mod download -json "istio.io/api@$version" |
      python3 -c 'import json,sys; d=json.load(sys.stdin); print(d.get("Dir") or sys.exit(d.get("Error","no Dir")))')" ||
      die "downloading istio.io/api@$version failed"
    python3 - "$dir/kubernetes/customresourcedefinitions.gen.yaml" "$file.tmp" "${ISTIO_CRDS[@]}" <<'EOF'
import sys
src, out, names = sys.argv[1], sys.argv[2], sys.argv[3:]
docs = open(src).read().split('\n---\n')
picked = [d for d in docs for n in names if f'\n  name: {n}\n' in d]
if len(picked) != len(names):
    sys.exit(f'expected {names} in {src}, found {len(picked)} of them')
open(out, 'w').write('\n---\n'.join(d.strip('\n') for d in picked) + '\n')
EOF
    mv "$file.tmp" "$file"
  fi
  echo "$file"
}

create_istio_crds() {
  local file i
  file="$(istio_crds_file)"
  python3 - "$file" "$state/crd" <<'EOF'
import sys
for i, d in enumerate(open(sys.argv[1]).read().split('\n---\n')):
    open(f'{sys.argv[2]}-{i}.yaml', 'w').write(d)
EOF
  for i in "${!ISTIO_CRDS[@]}"; do post /apis/apiextensions.k8s.io/v1/customresourcedefinitions "$state/crd-$i.yaml"; done
}

# launch NAME CMD...: run a component in the background, its output in NAME.log and its pid in NAME.pid. It must
# not inherit the start lock, or the lock would be held for as long as the cluster runs.
launch() {
  local name="$1"
  shift
  (
    exec {start_fd}>&-
    exec "$@"
  ) </dev/null >"$state/$name.log" 2>&1 &
  echo $! >"$state/$name.pid"
}

all_alive() {
  local c
  for c in "${COMPONENTS[@]}"; do [[ -f "$state/$c.pid" ]] || continue; pid_alive "$state/$c.pid" || return 1; done
}

dead_report() {
  local c
  for c in "${COMPONENTS[@]}"; do
    if [[ -f "$state/$c.pid" ]] && ! pid_alive "$state/$c.pid"; then echo "$c exited: $(tail -5 "$state/$c.log")"; fi
  done
}

running() {
  local c
  for c in "${COMPONENTS[@]}"; do pid_alive "$state/$c.pid" || return 1; done
  api_ready
}

# The API server's clients together, then the API server (it hangs on shutdown without etcd), then etcd.
stop_all() {
  local clients=()
  stop_pid "$state/kwok.pid" 20 &
  clients+=($!)
  stop_pid "$state/kube-controller-manager.pid" 20 &
  clients+=($!)
  # Only these two: in a failed start the components are children of this shell too.
  wait "${clients[@]}"
  stop_pid "$state/kube-apiserver.pid" 20
  stop_pid "$state/etcd.pid" 20
}

start_cluster() {
  local etcd_port etcd_peer_port api kcm_port phase_started=$SECONDS
  # A fresh cluster every start: no namespace or object of an earlier run survives.
  rm -rf "$state"
  mkdir -p "$state"
  make_pki
  etcd_port="$(free_port)"
  etcd_peer_port="$(free_port)"
  api="$(free_port)"
  kcm_port="$(free_port)"
  echo "$api" >"$state/kube-apiserver.port"
  # The admin kubeconfig appears only once the cluster is ready (below), so no test reads it half-way.
  write_kubeconfig "$state/admin.kubeconfig.partial" admin "$api"
  write_kubeconfig "$state/controller-manager.kubeconfig" controller-manager "$api"
  write_kubeconfig "$state/kwok.kubeconfig" kwok "$api"

  # No fsync: the data is thrown away with the cluster, and fsync dominates etcd's latency on a busy disk.
  launch etcd "$bin_dir/server" --name sift-testbed --data-dir "$state/etcd" \
    --listen-client-urls "http://127.0.0.1:$etcd_port" --advertise-client-urls "http://127.0.0.1:$etcd_port" \
    --listen-peer-urls "http://127.0.0.1:$etcd_peer_port" \
    --initial-advertise-peer-urls "http://127.0.0.1:$etcd_peer_port" \
    --initial-cluster "sift-testbed=http://127.0.0.1:$etcd_peer_port" \
    --unsafe-no-fsync --auto-compaction-retention=1 --quota-backend-bytes=$((2 * 1024 * 1024 * 1024))
  wait_for 60 "etcd" curl -fsS --max-time 2 "http://127.0.0.1:$etcd_port/health"
  phase "etcd ready on 127.0.0.1:$etcd_port"

  # The kubernetes Service gets no endpoints (--endpoint-reconciler-type=none): the API server's own address is
  # loopback, which Endpoints and EndpointSlices refuse. TaintNodesByCondition is off because no node lifecycle
  # controller runs to lift its not-ready taint.
  launch kube-apiserver "$bin_dir/kube-apiserver" \
    --bind-address=127.0.0.1 --advertise-address=127.0.0.1 --secure-port="$api" --cert-dir="$state/apiserver" \
    --etcd-servers="http://127.0.0.1:$etcd_port" \
    --tls-cert-file="$pki/apiserver.crt" --tls-private-key-file="$pki/apiserver.key" --client-ca-file="$pki/ca.crt" \
    --service-account-key-file="$pki/sa.pub" --service-account-signing-key-file="$pki/sa.key" \
    --service-account-issuer=https://kubernetes.default.svc \
    --service-cluster-ip-range="$SERVICE_CIDR" --endpoint-reconciler-type=none \
    --authorization-mode=RBAC --disable-admission-plugins=TaintNodesByCondition --profiling=false
  wait_for 120 "kube-apiserver /readyz" api_ready
  phase "kube-apiserver ready on 127.0.0.1:$api"

  # The controllers and KWOK start while the cluster objects are created; each waits for what it needs.
  launch kube-controller-manager "$bin_dir/kube-controller-manager" \
    --kubeconfig="$state/controller-manager.kubeconfig" \
    --authentication-kubeconfig="$state/controller-manager.kubeconfig" \
    --authorization-kubeconfig="$state/controller-manager.kubeconfig" \
    --authorization-always-allow-paths=/healthz,/readyz,/livez \
    --bind-address=127.0.0.1 --secure-port="$kcm_port" --cert-dir="$state/controller-manager" \
    --leader-elect=false --use-service-account-credentials=true \
    --controllers=deployment-controller,replicaset-controller,endpointslice-controller,garbage-collector-controller,namespace-controller,serviceaccount-controller,serviceaccount-token-controller,root-ca-certificate-publisher-controller,disruption-controller \
    --service-account-private-key-file="$pki/sa.key" --root-ca-file="$pki/ca.crt" \
    --kube-api-qps=100 --kube-api-burst=200 --profiling=false

  # HOME keeps KWOK from reading a developer's ~/.kwok/kwok.yaml; it runs no kubelet server (no --node-port).
  mkdir -p "$state/kwok-home"
  launch kwok env HOME="$state/kwok-home" "$bin_dir/kwok" \
    --kubeconfig="$state/kwok.kubeconfig" --config="$module_dir/kwok-stages.yaml" \
    --manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake \
    --cidr="$POD_NET.0.0/16" --node-ip="$POD_NET.255.254" --node-lease-duration-seconds=40

  create_pod_placement
  create_nodes
  create_istio_crds
  phase "pod placement policy, nodes and Istio CRDs created"
  wait_for 60 "kube-controller-manager /healthz" curl -fsSk --max-time 2 "https://127.0.0.1:$kcm_port/healthz"
  wait_for 60 "nodes ${NODES[*]} Ready" nodes_ready
  phase "KWOK nodes ${NODES[*]} Ready"
  local crd
  for crd in "${ISTIO_CRDS[@]}"; do wait_for 60 "CRD $crd Established" crd_established "$crd"; done
  wait_for 60 "the default ServiceAccount" api GET /api/v1/namespaces/default/serviceaccounts/default
  echo '{"apiVersion":"v1","kind":"Pod","metadata":{"name":"placement-check"},"spec":{"containers":[{"name":"c","image":"none"}]}}' \
    >"$state/probe-pod.json"
  wait_for 60 "the pod placement policy" placement_active
  mv "$state/admin.kubeconfig.partial" "$kubeconfig"
}

case "$action" in
  start)
    # One start at a time per instance; a second one finds the cluster running.
    exec {start_fd}>"$SIFT_RUN_DIR/kube-$instance.lock"
    flock "$start_fd"
    if running; then
      echo "{\"url\":\"$kubeconfig\",\"started\":false}"
      exit 0
    fi
    stop_all
    ensure_binaries
    started_at=$SECONDS
    trap 'stop_all' EXIT
    start_cluster
    trap - EXIT
    log "Kubernetes $instance on https://127.0.0.1:$(api_port) ready in $((SECONDS - started_at))s (kubeconfig $kubeconfig)"
    echo "{\"url\":\"$kubeconfig\",\"started\":true}"
    ;;
  build)
    # The binaries alone, e.g. for a CI step whose cache then holds them.
    ensure_binaries
    ;;
  stop)
    stop_all
    ;;
  status)
    if running; then echo "{\"url\":\"$kubeconfig\",\"running\":true}"; else echo '{"running":false}'; exit 1; fi
    ;;
  *) die "usage: kube.sh start|stop|status|build [instance]" ;;
esac
