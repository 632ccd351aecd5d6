#ifndef TIDELINE_CRDKAFKA_SHIM_PUBLIC_H
#define TIDELINE_CRDKAFKA_SHIM_PUBLIC_H
#include <librdkafka/rdkafka.h>
#include <stddef.h>
#include <stdint.h>

/// Wraps the variadic `rd_kafka_producev` (Swift cannot call variadic C functions).
/// The payload and key are copied (RD_KAFKA_MSG_F_COPY). On success librdkafka owns `headers`;
/// on failure the caller still owns them.
rd_kafka_resp_err_t tideline_produce(rd_kafka_t *rk,
                                     rd_kafka_topic_t *rkt,
                                     int32_t partition,
                                     const void *key,
                                     size_t key_len,
                                     const void *value,
                                     size_t value_len,
                                     rd_kafka_headers_t *headers,
                                     int64_t timestamp_ms,
                                     void *opaque);

#endif
