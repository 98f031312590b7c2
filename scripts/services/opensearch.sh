#!/usr/bin/env bash
# Real OpenSearch for the tests: `opensearch.sh start|stop|status [instance]`. start prints {"url","started"} as its
# last line. The integ-test-zip has no security plugin, so the node speaks plain HTTP without authentication.
#
# Vector search needs the k-NN plugin, which must match the server version exactly; Maven Central serves it only for
# some versions (2.19.1.0, 3.5.0.0), hence the default 2.19.1. The plugin extends the Painless scripting module,
# which the integ-test-zip leaves out and Maven Central serves as jars only, so the module is assembled from those
# jars. The plugin's Maven zip carries no native libraries: the Lucene engine of k-NN (pure Java) is what runs here.
PRODUCT=opensearch
VERSION="${SIFT_OPENSEARCH_VERSION:-2.19.1}"
ARTIFACT="org.opensearch.distribution.integ-test-zip:opensearch:$VERSION:zip"
KNN_ARTIFACT="org.opensearch.plugin:opensearch-knn:$VERSION.0:zip"
JAVA_HOME_VAR=OPENSEARCH_JAVA_HOME
CONF_VAR=OPENSEARCH_PATH_CONF
OPTS_VAR=OPENSEARCH_JAVA_OPTS
EXTRA_SETTINGS=""
source "$(dirname "$0")/cluster-node.sh"

# maven_copy ARTIFACT DIR: one artifact from Maven Central into DIR (kept in the cache, so fetched once).
maven_copy() {
  mvn -q dependency:copy "-Dartifact=$1" "-DoutputDirectory=$2" >&2 || die "could not download $1 from Maven Central"
}

# The Painless module as the full distribution ships it: its jar, its SPI and their compile dependencies (the
# versions its POM names), a descriptor and the security policy of OpenSearch's source tree.
install_painless() {
  local module="$1/modules/lang-painless" jars="$SIFT_CACHE_DIR/dist/lang-painless-$VERSION" artifact
  if [[ ! -s "$jars/.complete" ]]; then
    mkdir -p "$jars"
    for artifact in "org.opensearch.plugin:lang-painless:$VERSION" \
      "org.opensearch.plugin:opensearch-scripting-painless-spi:$VERSION" \
      org.antlr:antlr4-runtime:4.13.1 org.ow2.asm:asm:9.7 org.ow2.asm:asm-util:9.7 org.ow2.asm:asm-tree:9.7 \
      org.ow2.asm:asm-commons:9.7 org.ow2.asm:asm-analysis:9.7; do
      maven_copy "$artifact" "$jars"
    done
    echo done >"$jars/.complete"
  fi
  mkdir -p "$module"
  cp "$jars"/*.jar "$module/"
  cat >"$module/plugin-descriptor.properties" <<DESCRIPTOR
description=An easy, safe and fast scripting language for OpenSearch
version=$VERSION
name=lang-painless
classname=org.opensearch.painless.PainlessPlugin
java.version=11
opensearch.version=$VERSION
extended.plugins=
has.native.controller=false
DESCRIPTOR
  cat >"$module/plugin-security.policy" <<'POLICY'
grant {
  // needed to generate runtime classes
  permission java.lang.RuntimePermission "createClassLoader";
  // needed to find the classloader to load whitelisted classes from
  permission java.lang.RuntimePermission "getClassLoader";
};
POLICY
}

prepare_home() {
  local home="$1" plugin="$SIFT_CACHE_DIR/dist/opensearch-knn-$VERSION.0.zip"
  install_painless "$home"
  [[ -s "$plugin" ]] || maven_copy "$KNN_ARTIFACT" "$SIFT_CACHE_DIR/dist"
  log "installing opensearch-knn $VERSION.0"
  OPENSEARCH_JAVA_HOME="$(ensure_java)" "$home/bin/opensearch-plugin" install --batch "file://$plugin" >&2 ||
    die "could not install opensearch-knn $VERSION.0"
}

cluster_main
