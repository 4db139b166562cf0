/*
 * rawconsume: the ceiling for `encore replay` on this machine -- a plain librdkafka consumer
 * loop that reads every partition of the given topics from the beginning to the log end and
 * decodes nothing.
 *
 * Usage: rawconsume BROKERS TOPIC...
 * Prints one line: RAW records=N bytes=B partitions=P seconds=S rps=R
 *
 * The log end per partition comes from partition EOF events (enable.partition.eof), which
 * librdkafka derives from the Fetch response's high watermark. We do not use
 * rd_kafka_query_watermark_offsets: on Tansu, ListOffsets(latest) answers the last batch's
 * base offset rather than the log end. As a safety net, the loop also stops (with a warning)
 * when nothing arrives for IDLE_MS after data had been flowing.
 *
 * Build: cc -O2 rawconsume.c -o rawconsume $(pkg-config --cflags --libs rdkafka)
 */
#include <librdkafka/rdkafka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define BATCH 10000
#define IDLE_MS 10000

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void set(rd_kafka_conf_t *conf, const char *key, const char *value) {
    char err[512];
    if (rd_kafka_conf_set(conf, key, value, err, sizeof err) != RD_KAFKA_CONF_OK) {
        fprintf(stderr, "rawconsume: %s=%s: %s\n", key, value, err);
        exit(2);
    }
}

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: %s BROKERS TOPIC...\n", argv[0]);
        return 2;
    }
    char err[512];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    set(conf, "bootstrap.servers", argv[1]);
    /* assign() and the consumer queue need a group handle; we never join or commit. */
    set(conf, "group.id", "encore-bench-rawconsume");
    set(conf, "enable.auto.commit", "false");
    set(conf, "enable.auto.offset.store", "false");
    set(conf, "enable.partition.eof", "true");
    /* Generous fetches so the broker, not the client's buffering, sets the pace. */
    set(conf, "fetch.max.bytes", "52428800");
    set(conf, "max.partition.fetch.bytes", "8388608");
    set(conf, "receive.message.max.bytes", "104857600");
    set(conf, "queued.max.messages.kbytes", "1048576");
    set(conf, "queued.min.messages", "1000000");
    /* librdkafka signals EOF only on an empty Fetch at the high watermark, which the broker
     * holds for fetch.wait.max.ms (default 500 ms) -- keep that tail short. */
    set(conf, "fetch.wait.max.ms", "10");
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof err);
    if (!rk) {
        fprintf(stderr, "rawconsume: %s\n", err);
        return 1;
    }

    /* Every partition of every topic, as the broker's metadata has them. */
    rd_kafka_topic_partition_list_t *assignment = rd_kafka_topic_partition_list_new(64);
    for (int t = 2; t < argc; t++) {
        rd_kafka_topic_t *topic = rd_kafka_topic_new(rk, argv[t], NULL);
        const struct rd_kafka_metadata *md = NULL;
        rd_kafka_resp_err_t e = rd_kafka_metadata(rk, 0, topic, &md, 10000);
        if (e || md->topic_cnt != 1 || md->topics[0].err || md->topics[0].partition_cnt == 0) {
            fprintf(stderr, "rawconsume: metadata for %s: %s\n", argv[t],
                    rd_kafka_err2str(e ? e : md->topic_cnt ? md->topics[0].err : RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC));
            return 1;
        }
        for (int p = 0; p < md->topics[0].partition_cnt; p++)
            rd_kafka_topic_partition_list_add(assignment, argv[t], md->topics[0].partitions[p].id)->offset =
                RD_KAFKA_OFFSET_BEGINNING;
        rd_kafka_metadata_destroy(md);
        rd_kafka_topic_destroy(topic);
    }
    int partitions = assignment->cnt;
    /* eof[i]: partition i (in assignment order) has reached its end. */
    char *eof = calloc(partitions, 1);
    int remaining = partitions;

    rd_kafka_queue_t *queue = rd_kafka_queue_get_consumer(rk);
    double started = now();
    rd_kafka_resp_err_t e = rd_kafka_assign(rk, assignment);
    if (e) {
        fprintf(stderr, "rawconsume: assign: %s\n", rd_kafka_err2str(e));
        return 1;
    }

    long long records = 0, bytes = 0;
    double last = started, end = started, first = 0;
    int idle_stop = 0;
    rd_kafka_message_t *batch[BATCH];
    while (remaining > 0) {
        /* Drain what is queued without waiting (a batch call with a timeout would hold on to
         * a partial batch until the timeout, adding up to a second at the tail); when nothing
         * is queued, block for the next message. */
        ssize_t n = rd_kafka_consume_batch_queue(queue, 0, batch, BATCH);
        if (n < 0) {
            fprintf(stderr, "rawconsume: consume: %s\n", rd_kafka_err2str(rd_kafka_last_error()));
            return 1;
        }
        if (n == 0 && (batch[0] = rd_kafka_consume_queue(queue, 1000)) != NULL) n = 1;
        double t = now();
        if (n == 0) {
            if (records > 0 && (t - last) * 1000 > IDLE_MS) {
                idle_stop = 1;
                break;
            }
            continue;
        }
        for (ssize_t i = 0; i < n; i++) {
            rd_kafka_message_t *m = batch[i];
            if (!m->err) {
                if (records++ == 0) first = t - started;
                bytes += m->len + m->key_len;
                end = last = t;
            } else if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
                const char *name = rd_kafka_topic_name(m->rkt);
                for (int k = 0; k < partitions; k++) {
                    if (!eof[k] && assignment->elems[k].partition == m->partition &&
                        strcmp(assignment->elems[k].topic, name) == 0) {
                        eof[k] = 1;
                        remaining--;
                        end = last = t;
                    }
                }
            } else {
                fprintf(stderr, "rawconsume: %s [%d]: %s\n", m->rkt ? rd_kafka_topic_name(m->rkt) : "-",
                        m->partition, rd_kafka_message_errstr(m));
                if (rd_kafka_fatal_error(rk, NULL, 0)) return 1;
            }
            rd_kafka_message_destroy(m);
        }
    }
    double seconds = end - started;
    if (idle_stop)
        fprintf(stderr, "rawconsume: warning: %d of %d partitions never reported EOF; stopped after %d ms idle\n",
                remaining, partitions, IDLE_MS);
    printf("RAW records=%lld bytes=%lld partitions=%d seconds=%.3f rps=%.0f first_record_s=%.3f\n", records, bytes, partitions,
           seconds, seconds > 0 ? records / seconds : 0.0, first);
    fflush(stdout);

    rd_kafka_queue_destroy(queue);
    rd_kafka_topic_partition_list_destroy(assignment);
    free(eof);
    /* No rd_kafka_consumer_close: there is no membership or offset to hand back, and the
     * measurement is done; destroying without close avoids a pointless group round trip. */
    rd_kafka_destroy_flags(rk, RD_KAFKA_DESTROY_F_NO_CONSUMER_CLOSE);
    return 0;
}
