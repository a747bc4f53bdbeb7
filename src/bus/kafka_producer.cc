#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <unordered_map>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "base/metrics.h"
#include "bus/internal/rdkafka.h"
#include "bus/kafka.h"

namespace mdsp::bus {

using internal::kafka_error;

struct kafka_producer::impl {
    kafka_producer_config cfg;
    internal::rk_ptr rk;
    struct topic_handle {
        rd_kafka_topic_t* rkt = nullptr;
        metrics::counter* ok = nullptr;
        metrics::counter* failed = nullptr;
    };
    std::unordered_map<std::string, topic_handle> topics;
    std::optional<mdsp::error> failure; // the first failed delivery, returned once
    metrics::counter* queue_full_waits = nullptr;
    uint32_t unpolled = 0; // sends since delivery reports were last served
    // Delivery by send number (1, 2, ...; each record's opaque), for
    // mark()/delivered(): every record below `undelivered` has its report,
    // and done[i] tells whether record undelivered + i has.
    uint64_t sent = 0;
    uint64_t undelivered = 1;
    std::deque<uint8_t> done;

    void reported(uint64_t n) {
        if (n < undelivered || n - undelivered >= done.size()) {
            return;
        }
        done[n - undelivered] = 1;
        while (!done.empty() && done.front() != 0) {
            done.pop_front();
            ++undelivered;
        }
    }

    ~impl() {
        for (auto& [_, t] : topics) {
            rd_kafka_topic_destroy(t.rkt);
        }
    }

    result<topic_handle*> handle(std::string_view topic) {
        auto it = topics.find(std::string(topic));
        if (it != topics.end()) {
            return &it->second;
        }
        std::string name(topic);
        rd_kafka_topic_conf_t* tc = rd_kafka_topic_conf_new();
        std::array<char, 256> err{};
        // The Java client's partitioner: murmur2 of the key, so partitions
        // agree with bus::partition_for and with every Kafka client.
        if (rd_kafka_topic_conf_set(tc, "partitioner", "murmur2_random", err.data(), err.size())
            != RD_KAFKA_CONF_OK) {
            rd_kafka_topic_conf_destroy(tc);
            return make_error(errc::config, "partitioner: {}", err.data());
        }
        rd_kafka_topic_t* rkt = rd_kafka_topic_new(rk.get(), name.c_str(), tc);
        if (rkt == nullptr) {
            return kafka_error(rd_kafka_last_error(), fmt::format("cannot open topic {}", name));
        }
        topic_handle h;
        h.rkt = rkt;
        const char* help = "Records the Kafka brokers acknowledged or failed, by topic";
        h.ok = &metrics::global().get_counter("mdsp_kafka_delivered_total", help,
                                              {{"topic", name}, {"outcome", "ok"}});
        h.failed = &metrics::global().get_counter("mdsp_kafka_delivered_total", help,
                                                  {{"topic", name}, {"outcome", "failed"}});
        return &topics.emplace(name, h).first->second;
    }

    static void on_delivery(rd_kafka_t*, const rd_kafka_message_t* m, void* opaque) {
        auto* self = static_cast<impl*>(opaque);
        self->reported(reinterpret_cast<uintptr_t>(m->_private));
        auto it = self->topics.find(rd_kafka_topic_name(m->rkt));
        if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
            if (it != self->topics.end()) {
                it->second.ok->inc();
            }
            return;
        }
        if (it != self->topics.end()) {
            it->second.failed->inc();
        }
        if (!self->failure) {
            self->failure = kafka_error(m->err, fmt::format("a record to {} [{}] was not delivered",
                                                            rd_kafka_topic_name(m->rkt), m->partition));
        }
    }

    result<void> take_failure() {
        if (failure) {
            auto e = std::move(*failure);
            failure.reset();
            return e;
        }
        // A fatal error (e.g. idempotence the broker does not support) stops the producer.
        std::array<char, 512> err{};
        if (auto f = rd_kafka_fatal_error(rk.get(), err.data(), err.size());
            f != RD_KAFKA_RESP_ERR_NO_ERROR) {
            return make_error(errc::io_error,
                              "the Kafka producer stopped: {}; with a broker that does not support "
                              "idempotence, set kafka.properties.\"enable.idempotence\" = false",
                              err.data());
        }
        return ok();
    }
};

kafka_producer::kafka_producer(std::unique_ptr<impl> i)
  : _impl(std::move(i)) {}

kafka_producer::~kafka_producer() {
    if (_impl && _impl->rk) {
        if (rd_kafka_flush(_impl->rk.get(), 10'000) != RD_KAFKA_RESP_ERR_NO_ERROR) {
            spdlog::warn("kafka: {} records were not acknowledged when the producer closed",
                         rd_kafka_outq_len(_impl->rk.get()));
        }
    }
}

result<std::unique_ptr<kafka_producer>> kafka_producer::open(const kafka_producer_config& cfg) {
    auto im = std::make_unique<impl>();
    im->cfg = cfg;
    std::map<std::string, std::string> defaults{
        {"acks", "all"},
        {"enable.idempotence", "true"},
        {"compression.type", cfg.compression},
        {"linger.ms", std::to_string(cfg.linger_ms)},
        {"batch.size", std::to_string(cfg.batch_bytes)},
        {"queue.buffering.max.messages", "1000000"},
        {"queue.buffering.max.kbytes", "262144"},
    };
    auto conf = internal::make_conf(cfg.kafka, defaults);
    if (!conf) {
        return conf.error();
    }
    rd_kafka_conf_set_dr_msg_cb(conf->get(), &impl::on_delivery);
    rd_kafka_conf_set_opaque(conf->get(), im.get());
    auto rk = internal::make_client(RD_KAFKA_PRODUCER, std::move(*conf));
    if (!rk) {
        return rk.error();
    }
    im->rk = std::move(*rk);
    im->queue_full_waits = &metrics::global().get_counter(
        "mdsp_kafka_queue_full_total", "Times send() waited because the producer's local queue was full");
    return std::unique_ptr<kafka_producer>(new kafka_producer(std::move(im)));
}

result<void> kafka_producer::send(std::string_view topic, std::string_view key, std::string_view value,
                                  int64_t timestamp_ms, std::optional<partition_id> partition) {
    if (auto r = _impl->take_failure(); !r) {
        return r;
    }
    auto h = _impl->handle(topic);
    if (!h) {
        return h.error();
    }
    int32_t part = partition ? (*partition)() : RD_KAFKA_PARTITION_UA;
    const uint64_t n = _impl->sent + 1;
    for (;;) {
        rd_kafka_resp_err_t err = rd_kafka_producev(
            _impl->rk.get(), RD_KAFKA_V_RKT((*h)->rkt), RD_KAFKA_V_PARTITION(part),
            RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
            RD_KAFKA_V_KEY(const_cast<char*>(key.data()), key.size()),
            RD_KAFKA_V_VALUE(const_cast<char*>(value.data()), value.size()),
            RD_KAFKA_V_TIMESTAMP(timestamp_ms),
            RD_KAFKA_V_OPAQUE(reinterpret_cast<void*>(static_cast<uintptr_t>(n))), RD_KAFKA_V_END);
        if (err == RD_KAFKA_RESP_ERR_NO_ERROR) {
            _impl->sent = n;
            _impl->done.push_back(0);
            break;
        }
        if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL) {
            return kafka_error(err, fmt::format("cannot send a record to {}", topic));
        }
        // Back-pressure: serve delivery reports until there is room.
        _impl->queue_full_waits->inc();
        rd_kafka_poll(_impl->rk.get(), 10);
        if (auto r = _impl->take_failure(); !r) {
            return r;
        }
    }
    // Delivery reports every 256 sends, not after each: serving the queue
    // takes librdkafka's locks, which cost as much as the send itself.
    if (++_impl->unpolled >= 256) {
        _impl->unpolled = 0;
        rd_kafka_poll(_impl->rk.get(), 0);
    }
    return ok();
}

result<void> kafka_producer::flush() {
    auto deadline = std::chrono::steady_clock::now() + _impl->cfg.flush_timeout;
    while (rd_kafka_outq_len(_impl->rk.get()) > 0) {
        if (std::chrono::steady_clock::now() > deadline) {
            return make_error(errc::io_error,
                              "{} records sent to Kafka were not acknowledged within {} ms; check that the "
                              "brokers in kafka.brokers are up",
                              rd_kafka_outq_len(_impl->rk.get()), _impl->cfg.flush_timeout.count());
        }
        rd_kafka_flush(_impl->rk.get(), 100);
        if (auto r = _impl->take_failure(); !r) {
            return r;
        }
    }
    return _impl->take_failure();
}

uint64_t kafka_producer::mark() {
    return _impl->sent;
}

result<bool> kafka_producer::delivered(uint64_t mark) {
    rd_kafka_poll(_impl->rk.get(), 0);
    _impl->unpolled = 0;
    if (auto r = _impl->take_failure(); !r) {
        return r.error();
    }
    return _impl->undelivered > mark;
}

result<int32_t> kafka_producer::partition_count(std::string_view topic) {
    auto h = _impl->handle(topic);
    if (!h) {
        return h.error();
    }
    const rd_kafka_metadata_t* md = nullptr;
    auto err = rd_kafka_metadata(_impl->rk.get(), 0, (*h)->rkt, &md, 10'000);
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        return kafka_error(err, fmt::format("cannot read the metadata of {}", topic));
    }
    int32_t n = 0;
    rd_kafka_resp_err_t terr = RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART;
    if (md->topic_cnt == 1) {
        n = md->topics[0].partition_cnt;
        terr = md->topics[0].err;
    }
    rd_kafka_metadata_destroy(md);
    if (terr != RD_KAFKA_RESP_ERR_NO_ERROR || n <= 0) {
        return kafka_error(terr, fmt::format("topic {}", topic));
    }
    return n;
}

void kafka_producer::poll() {
    rd_kafka_poll(_impl->rk.get(), 0);
}

int64_t kafka_producer::in_flight() const {
    return rd_kafka_outq_len(_impl->rk.get());
}

} // namespace mdsp::bus
