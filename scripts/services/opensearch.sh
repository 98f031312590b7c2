#!/usr/bin/env bash
# Real OpenSearch for the tests: `opensearch.sh start|stop|status [instance]`. start prints {"url","started"} as its
# last line. The integ-test-zip has no security plugin, so the node speaks plain HTTP without authentication.
PRODUCT=opensearch
VERSION="${SIFT_OPENSEARCH_VERSION:-2.19.6}"
ARTIFACT="org.opensearch.distribution.integ-test-zip:opensearch:$VERSION:zip"
JAVA_HOME_VAR=OPENSEARCH_JAVA_HOME
CONF_VAR=OPENSEARCH_PATH_CONF
OPTS_VAR=OPENSEARCH_JAVA_OPTS
EXTRA_SETTINGS=""
source "$(dirname "$0")/cluster-node.sh"
cluster_main
