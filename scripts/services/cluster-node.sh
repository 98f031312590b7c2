# Shared by opensearch.sh and elasticsearch.sh: fetch an integ-test-zip distribution from Maven Central, unzip it
# into the cache, and run one single-node cluster per named instance on a loopback port as the unprivileged
# service user. A named instance keeps its port and data directory across stop/start, so a test can stop a node
# and bring the same node back. Callers set PRODUCT, VERSION, ARTIFACT, JAVA_HOME_VAR, CONF_VAR, OPTS_VAR and
# EXTRA_SETTINGS before sourcing this file, then call cluster_main "$@". A caller may define prepare_home DIR, run on
# a freshly unzipped distribution before it takes its place in the cache (plugins installed there are part of it).
source "$(dirname "$0")/lib.sh"

JAVA_MAJOR=17
HEAP_OPTS="-Xms512m -Xmx512m"

action="${1:-status}"
instance="${2:-test}"
state="$SIFT_RUN_DIR/$PRODUCT-$instance"
home="$SIFT_CACHE_DIR/$PRODUCT-$VERSION"
zip="$SIFT_CACHE_DIR/dist/$PRODUCT-$VERSION.zip"

url_of() { echo "http://127.0.0.1:$(cat "$state.port")"; }

# Health of at least yellow: the node answers and every primary shard is allocated.
healthy() {
  curl -fsS -o /dev/null --max-time 3 "http://127.0.0.1:$1/_cluster/health?wait_for_status=yellow&timeout=2s" 2>/dev/null
}

find_java() {
  local candidate
  for candidate in /usr/lib/jvm/java-$JAVA_MAJOR-openjdk-* /usr/lib/jvm/temurin-$JAVA_MAJOR-*; do
    [[ -x "$candidate/bin/java" ]] && { echo "$candidate"; return 0; }
  done
  return 1
}

ensure_java() {
  find_java >/dev/null || apt_install "openjdk-$JAVA_MAJOR-jre-headless"
  find_java || die "no Java $JAVA_MAJOR under /usr/lib/jvm"
}

ensure_distribution() {
  if [[ ! -s "$zip" ]]; then
    command -v mvn >/dev/null || apt_install maven
    mkdir -p "$(dirname "$zip")"
    log "downloading $ARTIFACT"
    mvn -q dependency:copy "-Dartifact=$ARTIFACT" "-DoutputDirectory=$(dirname "$zip")" >&2 ||
      die "could not download $ARTIFACT from Maven Central"
  fi
  if [[ ! -x "$home/bin/$PRODUCT" ]]; then
    local tmp
    tmp="$(mktemp -d "$SIFT_CACHE_DIR/.unzip.XXXXXX")"
    unzip -q "$zip" -d "$tmp"
    # The distribution only takes its place once prepared, so an interrupted preparation is redone next time.
    if declare -F prepare_home >/dev/null; then prepare_home "$tmp/$PRODUCT-$VERSION"; fi
    rm -rf "$home"
    mv "$tmp/$PRODUCT-$VERSION" "$home"
    rm -rf "$tmp"
  fi
}

port_in_use() { ss -Hltn "sport = :$1" 2>/dev/null | grep -q .; }

# A node that exits because its data was written by a newer version (the version file cannot tell when a script
# that kept none ran the instance on that newer version) starts once more with fresh data: test data only.
retry_on_newer_data() {
  [[ -z "${SIFT_NODE_FRESH_RETRY:-}" ]] && grep -q "cannot downgrade a node" "$state.log" 2>/dev/null || return 1
  log "instance $instance holds data of a newer version: starting $VERSION with fresh data"
  rm -rf "$state.d/data"
  SIFT_NODE_FRESH_RETRY=1 start_node
}

start_node() {
  if pid_alive "$state.pid" && healthy "$(cat "$state.port")"; then
    echo "{\"url\":\"$(url_of)\",\"started\":false}"
    return 0
  fi
  local java_home port
  java_home="$(ensure_java)"
  ensure_distribution
  ensure_service_user
  # Stale pid from a node that died: clean up before starting again.
  stop_pid "$state.pid" 30
  # A named instance comes back on its old port (and data) when it can; otherwise a fresh free port.
  if [[ -s "$state.port" ]] && ! port_in_use "$(cat "$state.port")"; then
    port="$(cat "$state.port")"
  else
    port="$(free_port)"
  fi
  # A node refuses data that a newer version wrote, and the config is the distribution's: an instance last run by
  # another version (or by one that recorded none) starts with neither. Test data only, never kept on purpose.
  if [[ -d "$state.d" && "$(cat "$state.d/version" 2>/dev/null)" != "$VERSION" ]]; then
    log "instance $instance last ran another version: starting $VERSION with fresh data"
    rm -rf "$state.d/data" "$state.d/config"
  fi
  # snapshots/ is the node's path.repo: the only place a shared-filesystem snapshot repository may live.
  mkdir -p "$state.d/data" "$state.d/logs" "$state.d/snapshots"
  echo "$VERSION" >"$state.d/version"
  if [[ ! -d "$state.d/config" ]]; then
    cp -r "$home/config" "$state.d/config.tmp"
    # The stock JVM options write GC logs, error files and heap dumps relative to the distribution; keep them with
    # the instance, where the service user may write.
    sed -i -e "s#logs/#$state.d/logs/#g" -e "s#HeapDumpPath=data#HeapDumpPath=$state.d/data#" \
      "$state.d/config.tmp/jvm.options"
    mv "$state.d/config.tmp" "$state.d/config"
  fi
  if [[ $(id -u) -eq 0 ]]; then
    chown -R "$SIFT_SERVICE_USER" "$state.d"
    chmod -R u+rwX,go+rX "$home"
  fi
  grant_traverse "$home"
  grant_traverse "$state.d"
  echo "$port" >"$state.port"
  rm -f "$state.d/node.pid"
  # Elasticsearch's launcher finds its modules from the JVM's working directory. With perf data on, HotSpot moves
  # into its per-user perf-data directory while it creates its file and cannot move back when the service user may
  # not read a parent of the distribution's directory (root's home), so the launcher JVM runs without perf data.
  # shellcheck disable=SC2086 # EXTRA_SETTINGS is a list of -E flags
  as_service_user env "$JAVA_HOME_VAR=$java_home" "$CONF_VAR=$state.d/config" "$OPTS_VAR=$HEAP_OPTS" \
    CLI_JAVA_OPTS=-XX:-UsePerfData \
    "$home/bin/$PRODUCT" -p "$state.d/node.pid" \
    -Ecluster.name="sift-$instance" -Enode.name="sift-$instance" \
    -Ehttp.host=127.0.0.1 -Ehttp.port="$port" -Etransport.host=127.0.0.1 \
    -Ediscovery.type=single-node \
    -Epath.data="$state.d/data" -Epath.logs="$state.d/logs" -Epath.repo="$state.d/snapshots" \
    -Ecluster.routing.allocation.disk.threshold_enabled=false \
    -Eaction.auto_create_index="+.*,-*" \
    $EXTRA_SETTINGS >"$state.log" 2>&1 9>&- &
  local launcher=$!
  local i
  for ((i = 0; i < 240; i++)); do
    [[ -s "$state.d/node.pid" ]] && break
    kill -0 "$launcher" 2>/dev/null || {
      retry_on_newer_data && return 0
      die "$PRODUCT exited: $(tail -20 "$state.log")"
    }
    sleep 0.25
  done
  [[ -s "$state.d/node.pid" ]] || die "$PRODUCT wrote no pid file: $(tail -20 "$state.log")"
  cp "$state.d/node.pid" "$state.pid"
  for ((i = 0; i < 180 * 2; i++)); do
    healthy "$port" && break
    pid_alive "$state.pid" || {
      retry_on_newer_data && return 0
      die "$PRODUCT exited: $(tail -20 "$state.log")"
    }
    sleep 0.5
  done
  healthy "$port" || die "$PRODUCT did not reach yellow health on port $port: $(tail -20 "$state.log")"
  log "$PRODUCT $VERSION ($instance) on 127.0.0.1:$port"
  echo "{\"url\":\"$(url_of)\",\"started\":true}"
}

cluster_main() {
  case "$action" in
    start)
      # Two test runs may start the same instance at once: one starts it, the other finds it running.
      exec 9>"$state.lock"
      flock 9
      start_node
      ;;
    stop)
      stop_pid "$state.pid" 60
      ;;
    status)
      if pid_alive "$state.pid"; then
        echo "{\"url\":\"$(url_of)\",\"running\":true,\"snapshotDir\":\"$state.d/snapshots\"}"
      else
        echo '{"running":false}'
        exit 1
      fi
      ;;
    *) die "usage: $PRODUCT.sh start|stop|status [instance]" ;;
  esac
}
