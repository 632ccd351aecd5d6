/* Peer for `tideline bench consume`: librdkafka's own batch consumer in C, doing nothing with the records
 * but counting their bytes. usage: rdkafka_consume BOOTSTRAP TOPIC PARTITIONS [property=value ...]
 * Prints one JSON object. Build: cc -O2 -o rdkafka_consume rdkafka_consume.c $(pkg-config --cflags --libs rdkafka) */
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

int main(int argc, char **argv) {
    if (argc < 4) { fprintf(stderr, "usage: %s BOOTSTRAP TOPIC PARTITIONS\n", argv[0]); return 2; }
    const char *topic = argv[2];
    int partitions = atoi(argv[3]);
    char err[512];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "bootstrap.servers", argv[1], err, sizeof err);
    rd_kafka_conf_set(conf, "group.id", "rdkafka-peer", err, sizeof err);
    rd_kafka_conf_set(conf, "enable.auto.commit", "false", err, sizeof err);
    rd_kafka_conf_set(conf, "fetch.max.bytes", "52428800", err, sizeof err);
    rd_kafka_conf_set(conf, "queued.max.messages.kbytes", "262144", err, sizeof err);
    /* Extra properties as key=value arguments after PARTITIONS. */
    for (int i = 4; i < argc; i++) {
        char *eq = strchr(argv[i], '=');
        if (!eq) continue;
        *eq = 0;
        if (rd_kafka_conf_set(conf, argv[i], eq + 1, err, sizeof err) != RD_KAFKA_CONF_OK) { fprintf(stderr, "%s\n", err); return 2; }
    }
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof err);
    if (!rk) { fprintf(stderr, "%s\n", err); return 1; }
    rd_kafka_poll_set_consumer(rk);
    long long retained = 0;
    for (int p = 0; p < partitions; p++) {
        int64_t lo, hi;
        if (rd_kafka_query_watermark_offsets(rk, topic, p, &lo, &hi, 10000) == 0) retained += hi - lo;
    }
    rd_kafka_topic_partition_list_t *list = rd_kafka_topic_partition_list_new(partitions);
    for (int p = 0; p < partitions; p++) rd_kafka_topic_partition_list_add(list, topic, p)->offset = RD_KAFKA_OFFSET_BEGINNING;
    double start = now();
    rd_kafka_assign(rk, list);
    rd_kafka_queue_t *q = rd_kafka_queue_get_consumer(rk);
    rd_kafka_message_t *batch[2048];
    long long n = 0, bytes = 0, first_count = 0;
    double first_at = 0;
    while (n < retained) {
        /* Block for one record, then take whatever else is queued without waiting (a timed batch call
         * would wait for a full batch). */
        ssize_t got = rd_kafka_consume_batch_queue(q, 1000, batch, 1);
        if (got == 1) {
            ssize_t more = rd_kafka_consume_batch_queue(q, 0, batch + 1, 2047);
            if (more > 0) got += more;
        }
        if (got > 0 && first_at == 0) { first_at = now() - start; first_count = got; }
        for (ssize_t i = 0; i < got; i++) {
            if (!batch[i]->err) { n++; bytes += batch[i]->len + batch[i]->key_len; }
            rd_kafka_message_destroy(batch[i]);
        }
    }
    double seconds = now() - start;
    printf("{\"benchmark\": \"consume\", \"peer\": \"librdkafka %s (C, consume_batch_queue: block for 1, drain the rest)\", \"count\": %lld, \"seconds\": %.6f, \"rate\": %.0f, \"bytes\": %lld, \"first_record_seconds\": %.6f, \"steady_rate\": %.0f}\n",
           rd_kafka_version_str(), n, seconds, n / seconds, bytes, first_at, (n - first_count) / (seconds - first_at));
    rd_kafka_queue_destroy(q);
    rd_kafka_topic_partition_list_destroy(list);
    rd_kafka_destroy(rk);
    return 0;
}
