#!/bin/bash
# Readiness of one broker: it answers on its own listener (so it is registered and unfenced) and it
# is in the in-sync replica set of every partition it holds. A rolling restart waits on this, so the
# next broker only goes down once the last one has caught up (min.insync.replicas=2 of 3).
set -euo pipefail
export KAFKA_HEAP_OPTS="-Xmx96m" KAFKA_JVM_PERFORMANCE_OPTS="-XX:+UseSerialGC -XX:TieredStopAtLevel=1"
node=${HOSTNAME##*-}
lagging=$(/opt/kafka/bin/kafka-topics.sh --bootstrap-server localhost:9092 --describe --under-replicated-partitions)
# Lines read "Topic: votes	Partition: 3	Leader: 1	Replicas: 1,2,0	Isr: 1,2"; ours is not in sync
# when its id is among the Replicas but not the Isr.
behind=$(awk -v node="$node" '
  {
    topic = ""; partition = ""; replicas = ""; isr = ""
    for (i = 1; i < NF; i++) {
      if ($i == "Topic:") topic = $(i + 1)
      if ($i == "Partition:") partition = $(i + 1)
      if ($i == "Replicas:") replicas = "," $(i + 1) ","
      if ($i == "Isr:") isr = "," $(i + 1) ","
    }
    if (index(replicas, "," node ",") && !index(isr, "," node ",")) print topic "-" partition
  }' <<< "$lagging")
if [ -n "$behind" ]; then
  echo "broker $node is not in sync yet for: $(echo $behind)"
  exit 1
fi
