/*
 * rawproduce: the ceiling for `encore log restore` on this machine -- a plain librdkafka
 * idempotent producer (acks=all) that sends COUNT records of fixed sizes round-robin over the
 * partitions of one topic, then waits for every delivery report.
 *
 * Usage: rawproduce BROKERS TOPIC PARTITIONS COUNT VALUE_BYTES [KEY_BYTES [HEADER_BYTES]]
 * Creates TOPIC with PARTITIONS partitions (it must not exist, or have that many). Each record
 * has a KEY_BYTES key (none when 0), a VALUE_BYTES value and, when HEADER_BYTES > 0, one header
 * named "h" whose value makes name + value HEADER_BYTES long.
 * Prints one line: RAWPRODUCE records=N bytes=B partitions=P seconds=S rps=R errors=E
 * (seconds: from the first send to the last delivery report; bytes: key + value + header).
 *
 * Producer settings are the restore's (Sources/Journal/LogRestorer.swift over
 * KafkaConfiguration.producer): enable.idempotence, acks=all, linger.ms=20, batch.size=1000000,
 * batch.num.messages=10000, queue.buffering.max.messages=500000, compression none. The restore
 * itself sends each partition in ordered chunks of 10,000 and waits for a chunk's reports
 * before the next; this loop never waits, so it is an upper bound for that pattern.
 *
 * Build: cc -O2 rawproduce.c -o rawproduce $(pkg-config --cflags --libs rdkafka)
 */
#include <librdkafka/rdkafka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void set(rd_kafka_conf_t *conf, const char *key, const char *value) {
    char err[512];
    if (rd_kafka_conf_set(conf, key, value, err, sizeof err) != RD_KAFKA_CONF_OK) {
        fprintf(stderr, "rawproduce: %s=%s: %s\n", key, value, err);
        exit(2);
    }
}

static long long delivered = 0, failed = 0;
static double last_report = 0;

static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque) {
    (void)rk;
    (void)opaque;
    if (m->err) {
        if (failed++ < 5) fprintf(stderr, "rawproduce: delivery [%d]: %s\n", m->partition, rd_kafka_err2str(m->err));
    } else {
        delivered++;
    }
    last_report = now();
}

/* Creates the topic; an existing one is accepted when it has the same partition count. */
static void create_topic(rd_kafka_t *rk, const char *name, int partitions) {
    char err[512];
    rd_kafka_NewTopic_t *topic = rd_kafka_NewTopic_new(name, partitions, 1, err, sizeof err);
    if (!topic) {
        fprintf(stderr, "rawproduce: %s\n", err);
        exit(1);
    }
    rd_kafka_queue_t *queue = rd_kafka_queue_new(rk);
    rd_kafka_CreateTopics(rk, &topic, 1, NULL, queue);
    rd_kafka_event_t *event = rd_kafka_queue_poll(queue, 30000);
    if (!event) {
        fprintf(stderr, "rawproduce: CreateTopics timed out\n");
        exit(1);
    }
    const rd_kafka_CreateTopics_result_t *result = rd_kafka_event_CreateTopics_result(event);
    size_t n = 0;
    const rd_kafka_topic_result_t **results = result ? rd_kafka_CreateTopics_result_topics(result, &n) : NULL;
    rd_kafka_resp_err_t e = rd_kafka_event_error(event);
    if (!e && n == 1) e = rd_kafka_topic_result_error(results[0]);
    if (e && e != RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS) {
        fprintf(stderr, "rawproduce: create %s: %s\n", name, rd_kafka_err2str(e));
        exit(1);
    }
    rd_kafka_event_destroy(event);
    rd_kafka_queue_destroy(queue);
    rd_kafka_NewTopic_destroy(topic);
    /* Wait until the metadata shows every partition. */
    rd_kafka_topic_t *handle = rd_kafka_topic_new(rk, name, NULL);
    double deadline = now() + 30;
    for (;;) {
        const struct rd_kafka_metadata *md = NULL;
        e = rd_kafka_metadata(rk, 0, handle, &md, 5000);
        int have = (!e && md->topic_cnt == 1 && !md->topics[0].err) ? md->topics[0].partition_cnt : 0;
        if (md) rd_kafka_metadata_destroy(md);
        if (have == partitions) break;
        if (have > 0 || now() > deadline) {
            fprintf(stderr, "rawproduce: %s has %d partitions, not %d\n", name, have, partitions);
            exit(1);
        }
        struct timespec pause = {0, 100 * 1000 * 1000};
        nanosleep(&pause, NULL);
    }
    rd_kafka_topic_destroy(handle);
}

int main(int argc, char **argv) {
    if (argc < 6) {
        fprintf(stderr, "usage: %s BROKERS TOPIC PARTITIONS COUNT VALUE_BYTES [KEY_BYTES [HEADER_BYTES]]\n", argv[0]);
        return 2;
    }
    const char *topic_name = argv[2];
    int partitions = atoi(argv[3]);
    long long count = atoll(argv[4]);
    size_t value_bytes = (size_t)atoll(argv[5]);
    size_t key_bytes = argc > 6 ? (size_t)atoll(argv[6]) : 0;
    size_t header_bytes = argc > 7 ? (size_t)atoll(argv[7]) : 0;
    if (partitions <= 0 || count <= 0) {
        fprintf(stderr, "rawproduce: PARTITIONS and COUNT must be positive\n");
        return 2;
    }

    char err[512];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    set(conf, "bootstrap.servers", argv[1]);
    set(conf, "enable.idempotence", "true");
    set(conf, "acks", "all");
    set(conf, "linger.ms", "20");
    set(conf, "batch.size", "1000000");
    set(conf, "batch.num.messages", "10000");
    set(conf, "queue.buffering.max.messages", "500000");
    set(conf, "compression.type", "none");
    set(conf, "message.timeout.ms", "30000");
    set(conf, "reconnect.backoff.max.ms", "1000");
    rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
    if (!rk) {
        fprintf(stderr, "rawproduce: %s\n", err);
        return 1;
    }
    create_topic(rk, topic_name, partitions);

    /* Payloads: printable filler, distinct per record in the first bytes (a counter). */
    char *value = malloc(value_bytes + 1), *key = malloc(key_bytes + 1), *header = malloc(header_bytes + 1);
    memset(value, 'v', value_bytes);
    memset(key, 'k', key_bytes);
    memset(header, 'x', header_bytes);
    size_t header_value_bytes = header_bytes > 1 ? header_bytes - 1 : 0;

    double started = now();
    for (long long i = 0; i < count; i++) {
        char counter[24];
        int n = snprintf(counter, sizeof counter, "%lld", i);
        if ((size_t)n <= value_bytes) memcpy(value, counter, n);
        if ((size_t)n <= key_bytes) memcpy(key, counter, n);
        for (;;) {
            rd_kafka_headers_t *headers = NULL;
            if (header_bytes > 0) {
                headers = rd_kafka_headers_new(1);
                rd_kafka_header_add(headers, "h", 1, header, (ssize_t)header_value_bytes);
            }
            rd_kafka_resp_err_t e;
            if (headers)
                e = rd_kafka_producev(rk, RD_KAFKA_V_TOPIC(topic_name), RD_KAFKA_V_PARTITION((int32_t)(i % partitions)),
                                      RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_VALUE(value, value_bytes),
                                      RD_KAFKA_V_KEY(key_bytes ? key : NULL, key_bytes), RD_KAFKA_V_HEADERS(headers), RD_KAFKA_V_END);
            else
                e = rd_kafka_producev(rk, RD_KAFKA_V_TOPIC(topic_name), RD_KAFKA_V_PARTITION((int32_t)(i % partitions)),
                                      RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_VALUE(value, value_bytes),
                                      RD_KAFKA_V_KEY(key_bytes ? key : NULL, key_bytes), RD_KAFKA_V_END);
            if (!e) break; /* headers now belong to the message */
            if (headers) rd_kafka_headers_destroy(headers);
            if (e != RD_KAFKA_RESP_ERR__QUEUE_FULL) {
                fprintf(stderr, "rawproduce: produce: %s\n", rd_kafka_err2str(e));
                return 1;
            }
            rd_kafka_poll(rk, 1); /* serve delivery reports to make room */
        }
        rd_kafka_poll(rk, 0);
    }
    while (delivered + failed < count) {
        rd_kafka_flush(rk, 1000);
        if (now() - started > 600) {
            fprintf(stderr, "rawproduce: %lld of %lld delivery reports after 600 s\n", delivered + failed, count);
            return 1;
        }
    }
    double seconds = last_report - started;
    long long bytes = count * (long long)(value_bytes + key_bytes + header_bytes);
    printf("RAWPRODUCE records=%lld bytes=%lld partitions=%d seconds=%.3f rps=%.0f errors=%lld\n", delivered, bytes, partitions,
           seconds, seconds > 0 ? delivered / seconds : 0.0, failed);
    fflush(stdout);
    free(value);
    free(key);
    free(header);
    rd_kafka_destroy(rk);
    return failed ? 1 : 0;
}
