#!/usr/bin/env bash
# A multi-node OpenSearch or Elasticsearch cluster on loopback, for the fault tests and for trying Sift against a
# real cluster: `cluster.sh start|stop|status <opensearch|elasticsearch> [nodes]` (3 nodes by default).
#
# Every node runs from the same cached integ-test-zip as the single-node test servers (opensearch.sh,
# elasticsearch.sh), as the same unprivileged user, with its own HTTP and transport ports, data and log
# directories, and a 512 MB heap. The ports are kept in the run directory, so a node that was stopped or killed
# comes back on the same ports with its data when `start` is run again: `start` is idempotent and (re)starts only
# the nodes that are not running. It prints one line per node (`name url pid`) and a JSON summary as its last
# line: {"nodes":[{"name","url","pid"}],"started":<nodes started now>}.
#
# Fault detection is tightened from the products' defaults (follower and leader checks time out after 3 s instead
# of 10 s, two misses instead of three) so that a node that hangs (SIGSTOP) leaves the cluster in seconds rather
# than about half a minute; docs/operations.md explains why a production cluster may want the same.
product="${2:-}"
case "$product" in
  opensearch)
    PRODUCT=opensearch
    VERSION="${SIFT_OPENSEARCH_VERSION:-2.19.6}"
    ARTIFACT="org.opensearch.distribution.integ-test-zip:opensearch:$VERSION:zip"
    JAVA_HOME_VAR=OPENSEARCH_JAVA_HOME
    CONF_VAR=OPENSEARCH_PATH_CONF
    OPTS_VAR=OPENSEARCH_JAVA_OPTS
    EXTRA_SETTINGS=""
    INITIAL_MANAGERS=cluster.initial_cluster_manager_nodes
    ;;
  elasticsearch)
    PRODUCT=elasticsearch
    VERSION="${SIFT_ELASTICSEARCH_VERSION:-8.19.9}"
    ARTIFACT="org.elasticsearch.distribution.integ-test-zip:elasticsearch:$VERSION:zip"
    JAVA_HOME_VAR=ES_JAVA_HOME
    CONF_VAR=ES_PATH_CONF
    OPTS_VAR=ES_JAVA_OPTS
    EXTRA_SETTINGS="-Expack.security.enabled=false"
    INITIAL_MANAGERS=cluster.initial_master_nodes
    ;;
  *)
    echo "usage: cluster.sh start|stop|status <opensearch|elasticsearch> [nodes=3]" >&2
    exit 2
    ;;
esac
# The single-node script's helpers (Java, the distribution, the service user, directory permissions).
source "$(dirname "$0")/cluster-node.sh"

action="${1:-status}"
count="${3:-3}"
[[ "$count" =~ ^[1-9]$ ]] || die "nodes must be 1-9, got $count"
base="$SIFT_RUN_DIR/$PRODUCT-cluster"
names=()
for ((n = 1; n <= count; n++)); do names+=("node$n"); done

# A node's recorded ports: "<http> <transport>", chosen once and kept.
ports_of() { cat "$base/$1.ports"; }
http_port() { ports_of "$1" | cut -d' ' -f1; }
transport_port() { ports_of "$1" | cut -d' ' -f2; }

# The node's pid, when it runs.
node_pid() { pid_alive "$base/$1.pid" && cat "$base/$1.pid"; }

# Every node is in the cluster and every primary shard is allocated.
cluster_formed() {
  local port="$1"
  curl -fsS -o /dev/null --max-time 3 \
    "http://127.0.0.1:$port/_cluster/health?wait_for_status=yellow&wait_for_nodes=$count&timeout=2s" 2>/dev/null
}

choose_ports() {
  local name
  for name in "${names[@]}"; do
    if [[ ! -s "$base/$name.ports" ]]; then
      local http transport
      http="$(free_port)"
      transport="$(free_port)"
      while [[ "$transport" == "$http" ]]; do transport="$(free_port)"; done
      echo "$http $transport" >"$base/$name.ports"
    fi
  done
}

start_one() {
  local name="$1" java_home="$2" dir="$base/$name.d" seeds="" other
  for other in "${names[@]}"; do seeds+="${seeds:+,}127.0.0.1:$(transport_port "$other")"; done
  mkdir -p "$dir/data" "$dir/logs" "$dir/snapshots"
  if [[ ! -d "$dir/config" ]]; then
    cp -r "$home/config" "$dir/config.tmp"
    sed -i -e "s#logs/#$dir/logs/#g" -e "s#HeapDumpPath=data#HeapDumpPath=$dir/data#" "$dir/config.tmp/jvm.options"
    mv "$dir/config.tmp" "$dir/config"
  fi
  [[ $(id -u) -eq 0 ]] && chown -R "$SIFT_SERVICE_USER" "$dir"
  grant_traverse "$dir"
  rm -f "$dir/node.pid"
  # The initial manager list only matters the first time the cluster forms; nodes restarted later join the
  # cluster their data directory remembers. See cluster-node.sh for the launcher's -XX:-UsePerfData.
  # shellcheck disable=SC2086 # EXTRA_SETTINGS is a list of -E flags
  as_service_user env "$JAVA_HOME_VAR=$java_home" "$CONF_VAR=$dir/config" "$OPTS_VAR=$HEAP_OPTS" \
    CLI_JAVA_OPTS=-XX:-UsePerfData \
    "$home/bin/$PRODUCT" -p "$dir/node.pid" \
    -Ecluster.name="sift-$PRODUCT-cluster" -Enode.name="$name" \
    -Ehttp.host=127.0.0.1 -Ehttp.port="$(http_port "$name")" \
    -Etransport.host=127.0.0.1 -Etransport.port="$(transport_port "$name")" \
    -Ediscovery.seed_hosts="$seeds" -E"$INITIAL_MANAGERS"="$(IFS=,; echo "${names[*]}")" \
    -Ecluster.fault_detection.follower_check.timeout=3s -Ecluster.fault_detection.follower_check.retry_count=2 \
    -Ecluster.fault_detection.leader_check.timeout=3s -Ecluster.fault_detection.leader_check.retry_count=2 \
    -Epath.data="$dir/data" -Epath.logs="$dir/logs" -Epath.repo="$dir/snapshots" \
    -Ecluster.routing.allocation.disk.threshold_enabled=false \
    -Eaction.auto_create_index="+.*,-*" \
    $EXTRA_SETTINGS >"$base/$name.log" 2>&1 9>&- &
  echo $! >"$dir/launcher.pid"
}

# Waits for the node's own pid file (the JVM's, not the launcher's) and records it.
await_pid() {
  local name="$1" dir="$base/$1.d" i
  for ((i = 0; i < 480; i++)); do
    [[ -s "$dir/node.pid" ]] && { cp "$dir/node.pid" "$base/$name.pid"; return 0; }
    kill -0 "$(cat "$dir/launcher.pid")" 2>/dev/null || die "$name exited: $(tail -20 "$base/$name.log")"
    sleep 0.25
  done
  die "$name wrote no pid file: $(tail -20 "$base/$name.log")"
}

print_nodes() {
  local started="$1" name json="" pid
  for name in "${names[@]}"; do
    pid="$(node_pid "$name" || echo 0)"
    echo "$name http://127.0.0.1:$(http_port "$name") $pid"
    json+="${json:+,}{\"name\":\"$name\",\"url\":\"http://127.0.0.1:$(http_port "$name")\",\"pid\":$pid}"
  done
  echo "{\"nodes\":[$json],\"started\":$started}"
}

start_cluster() {
  local java_home name started=0 i
  java_home="$(ensure_java)"
  ensure_distribution
  ensure_service_user
  mkdir -p "$base"
  if [[ $(id -u) -eq 0 ]]; then chmod -R u+rwX,go+rX "$home"; fi
  grant_traverse "$home"
  choose_ports
  local launched=()
  for name in "${names[@]}"; do
    node_pid "$name" >/dev/null && continue
    # A stale pid from a node that died: nothing to stop, but the file must go.
    rm -f "$base/$name.pid"
    start_one "$name" "$java_home"
    launched+=("$name")
    started=$((started + 1))
  done
  for name in "${launched[@]}"; do await_pid "$name"; done
  local formed=""
  for ((i = 0; i < 240 * 2; i++)); do
    for name in "${names[@]}"; do
      cluster_formed "$(http_port "$name")" && { formed="$name"; break 2; }
    done
    for name in "${launched[@]}"; do
      node_pid "$name" >/dev/null || die "$name exited: $(tail -20 "$base/$name.log")"
    done
    sleep 0.5
  done
  [[ -n "$formed" ]] ||
    die "the $PRODUCT cluster did not form with $count nodes: $(tail -20 "$base/${names[0]}.log")"
  log "$PRODUCT $VERSION cluster of $count nodes on 127.0.0.1 ($started started now)"
  print_nodes "$started"
}

stop_cluster() {
  local name
  for name in "${names[@]}"; do
    # A stopped (SIGSTOP) node cannot handle TERM until it runs again.
    pid_alive "$base/$name.pid" && kill -CONT "$(cat "$base/$name.pid")" 2>/dev/null
    stop_pid "$base/$name.pid" 60 &
  done
  wait
}

case "$action" in
  start)
    exec 9>"$base.lock"
    flock 9
    start_cluster
    ;;
  stop)
    mkdir -p "$base"
    exec 9>"$base.lock"
    flock 9
    stop_cluster
    # Data goes with the cluster: the next start forms a new one (its initial manager list applies again).
    rm -rf "$base"
    ;;
  status)
    [[ -d "$base" ]] || { echo '{"nodes":[],"started":0}'; exit 1; }
    print_nodes 0
    ;;
  *) die "usage: cluster.sh start|stop|status <opensearch|elasticsearch> [nodes=3]" ;;
esac
