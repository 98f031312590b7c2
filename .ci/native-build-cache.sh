#!/usr/bin/env bash
# better-sqlite3 downloads a prebuilt binary at install time and, when it cannot (no route to its release host),
# compiles SQLite from source: about a minute and a half of every clean install here. Its installer
# (prebuild-install) first looks for a "local prebuild" in the directory named by the variable
# npm_config_better_sqlite3_local_prebuilds, as a tarball named like its download, and loads it to check it
# before using it (a broken or foreign one falls back to the compile). So the binary compiled once from the
# locked version is kept there, per version, Node ABI, platform and architecture.
#
#   source .ci/native-build-cache.sh; npm_ci_keeping_native_build [npm ci options]
prebuilds="${SIFT_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/sift}/prebuilds"

npm_ci_keeping_native_build() {
  # npm warns that it does not know this variable as a setting of its own; it passes it to the install scripts
  # with the rest of the environment all the same, which is all the installer needs. (Its other way, a variable
  # named prebuild-install_local-prebuilds, does not survive the shell that runs the install script.)
  npm_config_better_sqlite3_local_prebuilds="$prebuilds" npm ci "$@"
  keep_native_build
}

keep_native_build() {
  local pkg=node_modules/better-sqlite3
  local name
  # The name the installer looks for, from its own code (as its command line builds it), not a copy of its rule.
  name="$(node -e '
    const pkg = require("./node_modules/better-sqlite3/package.json");
    const opts = Object.assign(require("prebuild-install/rc")(pkg), { pkg });
    console.log(require("path").basename(require("prebuild-install/util").getDownloadUrl(opts)));
  ')"
  local kept="$prebuilds/$name"
  [[ -f "$kept" || ! -f "$pkg/build/Release/better_sqlite3.node" ]] && return 0
  mkdir -p "$prebuilds"
  # Written aside and renamed, so a run killed meanwhile leaves no half tarball for the next install to find.
  tar -czf "$kept.tmp.$$" -C "$pkg" build/Release/better_sqlite3.node && mv "$kept.tmp.$$" "$kept"
  echo "kept the compiled better-sqlite3 binary as $kept"
}
