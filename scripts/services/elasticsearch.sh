#!/usr/bin/env bash
# Real Elasticsearch for the tests: `elasticsearch.sh start|stop|status [instance]`. start prints {"url","started"}
# as its last line. Security is off: the node speaks plain HTTP on a loopback port only.
PRODUCT=elasticsearch
VERSION="${SIFT_ELASTICSEARCH_VERSION:-8.19.9}"
ARTIFACT="org.elasticsearch.distribution.integ-test-zip:elasticsearch:$VERSION:zip"
JAVA_HOME_VAR=ES_JAVA_HOME
CONF_VAR=ES_PATH_CONF
OPTS_VAR=ES_JAVA_OPTS
EXTRA_SETTINGS="-Expack.security.enabled=false"
source "$(dirname "$0")/cluster-node.sh"
cluster_main
