#ifndef TIDELINE_CRDKAFKA_SHIM_H
#define TIDELINE_CRDKAFKA_SHIM_H
// rdkafka_mock.h uses types from rdkafka.h without including it: the order matters.
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#endif
