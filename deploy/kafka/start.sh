#!/bin/bash
# Starts one broker+controller of the StatefulSet (run as the container's command). Written into
# /tmp, so the image's env-templating entrypoint is not needed and the root filesystem stays read-only.
set -euo pipefail
config=/tmp/server.properties
cp /etc/kafka-config/server.properties "$config"
# kafka-0, kafka-1, …: the pod's ordinal is its node id, matching controller.quorum.voters.
ordinal=${HOSTNAME##*-}
echo "node.id=${ordinal}" >> "$config"
echo "advertised.listeners=PLAINTEXT://${HOSTNAME}.kafka-headless.${POD_NAMESPACE}.svc:9092" >> "$config"
/opt/kafka/bin/kafka-storage.sh format --ignore-formatted --cluster-id "$CLUSTER_ID" --config "$config"
exec /opt/kafka/bin/kafka-server-start.sh "$config"
