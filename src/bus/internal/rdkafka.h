#pragma once

#include <map>
#include <memory>
#include <string>

#include <librdkafka/rdkafka.h>

#include "base/result.h"
#include "bus/kafka.h"

// Small RAII and configuration helpers over librdkafka's C API, shared by the
// producer, the consumer, the admin calls and the mock cluster.
namespace mdsp::bus::internal {

struct rk_deleter {
    void operator()(rd_kafka_t* rk) const noexcept { rd_kafka_destroy(rk); }
};
using rk_ptr = std::unique_ptr<rd_kafka_t, rk_deleter>;

struct queue_deleter {
    void operator()(rd_kafka_queue_t* q) const noexcept { rd_kafka_queue_destroy(q); }
};
using queue_ptr = std::unique_ptr<rd_kafka_queue_t, queue_deleter>;

struct conf_deleter {
    void operator()(rd_kafka_conf_t* c) const noexcept { rd_kafka_conf_destroy(c); }
};
using conf_ptr = std::unique_ptr<rd_kafka_conf_t, conf_deleter>;

struct tpl_deleter {
    void operator()(rd_kafka_topic_partition_list_t* l) const noexcept {
        rd_kafka_topic_partition_list_destroy(l);
    }
};
using tpl_ptr = std::unique_ptr<rd_kafka_topic_partition_list_t, tpl_deleter>;

// A configuration of our defaults, then cfg.properties over them, then
// bootstrap.servers and client.id. An unknown property or a bad value is an
// errc::config error naming the property (its value only when not secret).
result<conf_ptr> make_conf(const kafka_config& cfg, const std::map<std::string, std::string>& defaults);

// Creates the client; takes the conf (librdkafka owns it on success).
result<rk_ptr> make_client(rd_kafka_type_t type, conf_ptr conf);

// librdkafka's log lines into spdlog (they never carry property values).
void route_logs(rd_kafka_conf_t* conf);

// A Kafka error as a bus error with what the user should do.
mdsp::error kafka_error(rd_kafka_resp_err_t err, std::string_view what);

} // namespace mdsp::bus::internal
