#!/usr/bin/env bash
# Part of the production image's build (Dockerfile, `build` stage): lays out, under OUT, what the distro-less
# runtime stage copies in, since that stage has no shell to prepare anything itself:
#   OUT/rootfs/   node as /usr/local/bin/node, the shared libraries node and the native modules link (with the
#                 dynamic loader, at the paths ldd reports), the distro's Mozilla CA bundle, a world-writable /tmp,
#                 and /etc/passwd and /etc/group naming the service user 1000:1000 (HOME is its data directory)
#   OUT/owned/sift  the data directory, copied in owned by that user
# Usage: make-rootfs.sh OUT NODE [NATIVE_MODULE...]
set -euo pipefail
out="$1" node="$2"
shift 2
rm -rf "$out"
mkdir -p "$out/rootfs/usr/local/bin" "$out/rootfs/etc/ssl/certs" "$out/rootfs/tmp" "$out/rootfs/var/lib" "$out/owned/sift"
cp "$node" "$out/rootfs/usr/local/bin/node"
# ldd prints `name => /path (address)` per library and `/lib64/ld-linux-x86-64.so.2 (address)` for the loader.
# Without an ld.so.cache the loader searches its built-in directories, which are where the libraries came from.
ldd "$node" "$@" | awk '$2 == "=>" && $3 ~ /^\// { print $3 } NF == 2 && $1 ~ /^\// { print $1 }' | sort -u |
  while read -r lib; do cp --parents -L "$lib" "$out/rootfs"; done
# The bundle the ca-certificates package makes, from its own certificates: not /etc/ssl/certs/ca-certificates.crt,
# which a build may have replaced with its machine's (a proxy's CA must not ship in the image).
cat /usr/share/ca-certificates/mozilla/*.crt >"$out/rootfs/etc/ssl/certs/ca-certificates.crt"
chmod 1777 "$out/rootfs/tmp"
printf 'root:x:0:0:root:/root:/sbin/nologin\nnode:x:1000:1000:node:/var/lib/sift:/sbin/nologin\n' >"$out/rootfs/etc/passwd"
printf 'root:x:0:\nnode:x:1000:\n' >"$out/rootfs/etc/group"
