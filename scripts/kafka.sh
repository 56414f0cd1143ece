#!/usr/bin/env bash
# Local single-node Kafka (KRaft, broker+controller in one JVM): scripts/kafka.sh start|stop|status|destroy
# PLAINTEXT 127.0.0.1:$KAFKA_PORT (9092), CONTROLLER 127.0.0.1:$KAFKA_CONTROLLER_PORT (9093),
# data in .data/kafka/data, log in .data/logs/kafka.log, pid in .data/run/kafka.pid.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

KDIR="$DATA/kafka"
LIBS="$KDIR/libs"
KDATA="$KDIR/data"
CONF="$KDIR/server.properties"
LOG4J="$KDIR/log4j2.properties"
LOGF="$LOGS/kafka.log"
KAFKA_HEAP_OPTS="${KAFKA_HEAP_OPTS:--Xms256m -Xmx512m}"
MARKER="kafka.Kafka $CONF"

write_config() {
  mkdir -p "$KDIR" "$KDATA" "$KDIR/logs"
  cat >"$CONF" <<CONF
# Written by scripts/kafka.sh at each start: do not edit (edit scripts/kafka.sh).
process.roles=broker,controller
node.id=1
controller.quorum.bootstrap.servers=127.0.0.1:$KAFKA_CONTROLLER_PORT
listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT,CONTROLLER://127.0.0.1:$KAFKA_CONTROLLER_PORT
advertised.listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
log.dirs=$KDATA
num.partitions=6
default.replication.factor=1
min.insync.replicas=1
auto.create.topics.enable=false
delete.topic.enable=true
offsets.topic.replication.factor=1
offsets.topic.num.partitions=12
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=12
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
# An idle single-node KRaft quorum otherwise appends (and fsyncs) a no-op metadata record every 500 ms.
metadata.max.idle.interval.ms=5000
num.network.threads=2
num.io.threads=4
num.recovery.threads.per.data.dir=1
log.retention.hours=168
log.segment.bytes=134217728
CONF
  cat >"$LOG4J" <<'CONF'
# Written by scripts/kafka.sh: broker logs go to stdout (appended to .data/logs/kafka.log).
status = warn
appender.out.type = Console
appender.out.name = STDOUT
appender.out.layout.type = PatternLayout
appender.out.layout.pattern = [%d] %p %m (%c{1})%n
rootLogger.level = ${env:KAFKA_LOG_LEVEL:-INFO}
rootLogger.appenderRef.out.ref = STDOUT
logger.state.name = state.change.logger
logger.state.level = WARN
logger.request.name = kafka.request.logger
logger.request.level = WARN
logger.cfg.name = org.apache.kafka.common.config.AbstractConfig
logger.cfg.level = WARN
logger.cfg2.name = kafka.server.KafkaConfig
logger.cfg2.level = WARN
CONF
}

java_args() {  # java_args HEAP_OPTS: the JVM options shared by the broker and the storage tool
  local heap="$1"
  JAVA_ARGS=(java $heap -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:+ExplicitGCInvokesConcurrent
    -Djava.awt.headless=true -Dlog4j2.configurationFile="$LOG4J" -Dkafka.logs.dir="$KDIR/logs"
    -cp "$LIBS/*")
}

format_storage() {
  [[ -f "$KDATA/meta.properties" ]] && return 0
  local id
  id="$(python3 -c 'import base64,uuid;print(base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("="))' 2>/dev/null \
        || java -cp "$LIBS/*" kafka.tools.StorageTool random-uuid)"
  log "formatting Kafka storage (cluster id $id)"
  java_args "-Xmx256m"
  "${JAVA_ARGS[@]}" kafka.tools.StorageTool format -t "$id" -c "$CONF" --standalone >>"$LOGF" 2>&1 \
    || { tail_log "$LOGF"; die "kafka storage format failed"; }
}

wait_ready() {
  local timeout="${1:-60}" end=$((SECONDS + ${1:-60}))
  while ((SECONDS < end)); do
    is_alive kafka "$MARKER" || { tail_log "$LOGF"; die "kafka exited during startup"; }
    if (exec 3<>"/dev/tcp/127.0.0.1/$KAFKA_PORT") 2>/dev/null; then
      # the port answers: ask for metadata (a broker must be registered and unfenced)
      if py "$ROOT/scripts/kafka_ready.py" "127.0.0.1:$KAFKA_PORT" >/dev/null 2>&1; then return 0; fi
    fi
    sleep 0.3
  done
  tail_log "$LOGF"; die "kafka not ready after ${timeout}s"
}

start() {
  if is_alive kafka "$MARKER"; then
    log "kafka already running (pid $(cat "$RUN/kafka.pid"))"
  else
    "$ROOT/scripts/kafka-install.sh"
    write_config
    format_storage
    log "starting kafka on 127.0.0.1:$KAFKA_PORT"
    java_args "$KAFKA_HEAP_OPTS"
    spawn kafka "$LOGF" "${JAVA_ARGS[@]}" kafka.Kafka "$CONF"
  fi
  wait_ready "${KAFKA_START_TIMEOUT:-90}"
  log "kafka ready (pid $(cat "$RUN/kafka.pid"))"
}

stop() {
  if is_alive kafka "$MARKER"; then stop_pid kafka "${KAFKA_STOP_TIMEOUT:-30}"; else rm -f "$RUN/kafka.pid"; fi
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) if is_alive kafka "$MARKER"; then echo "kafka: running (pid $(cat "$RUN/kafka.pid"), 127.0.0.1:$KAFKA_PORT)"; else echo "kafka: stopped"; exit 3; fi ;;
  destroy) stop; rm -rf "$KDATA" "$KDIR/logs"; log "removed the kafka data" ;;
  *) echo "usage: $0 start|stop|status|destroy" >&2; exit 2 ;;
esac
