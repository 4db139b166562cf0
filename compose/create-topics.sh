#!/bin/sh
# Creates Encore's topics (Sources/Projector/EncoreTopics.swift: <prefix>.users, .music,
# .playlists and .dead-letter) with event-log settings, and applies those settings to topics
# that already exist, so it can run on every start. Partition counts of existing topics are
# never changed: adding partitions moves keys and breaks per-entity order.
# Environment: BOOTSTRAP_SERVERS, TOPIC_PREFIX, PARTITIONS, REPLICATION_FACTOR, MIN_INSYNC_REPLICAS,
# and optionally COMMAND_CONFIG: a Java client properties file for a secured cluster (TLS, SASL).
set -eu
bin=/opt/kafka/bin
if [ -n "${COMMAND_CONFIG:-}" ]; then set -- --command-config "$COMMAND_CONFIG"; else set --; fi
# retention.ms=-1 and retention.bytes=-1: the log is the source of truth; replay reads all of it.
settings="retention.ms=-1,retention.bytes=-1,min.insync.replicas=${MIN_INSYNC_REPLICAS}"
for suffix in users music playlists dead-letter; do
  topic="${TOPIC_PREFIX}.${suffix}"
  "$bin/kafka-topics.sh" --bootstrap-server "$BOOTSTRAP_SERVERS" "$@" --create --if-not-exists \
    --topic "$topic" --partitions "$PARTITIONS" --replication-factor "$REPLICATION_FACTOR"
  "$bin/kafka-configs.sh" --bootstrap-server "$BOOTSTRAP_SERVERS" "$@" --alter \
    --entity-type topics --entity-name "$topic" --add-config "$settings"
done
"$bin/kafka-topics.sh" --bootstrap-server "$BOOTSTRAP_SERVERS" "$@" --describe --topic "^${TOPIC_PREFIX}\\..*"
