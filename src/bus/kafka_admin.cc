// clang-format off
#include <librdkafka/rdkafka.h> // rdkafka_mock.h must come after it
#include <librdkafka/rdkafka_mock.h>
// clang-format on

#include <array>
#include <map>
#include <thread>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "bus/internal/rdkafka.h"
#include "bus/kafka.h"

namespace mdsp::bus {

using internal::kafka_error;

namespace {

// The partition count of every topic the cluster has.
result<std::map<std::string, int32_t>> list_topics(rd_kafka_t* rk, std::chrono::milliseconds timeout) {
    const rd_kafka_metadata_t* md = nullptr;
    auto err = rd_kafka_metadata(rk, 1, nullptr, &md, static_cast<int>(timeout.count()));
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        return kafka_error(err, "cannot read the cluster's metadata");
    }
    std::map<std::string, int32_t> out;
    for (int i = 0; i < md->topic_cnt; ++i) {
        if (md->topics[i].err == RD_KAFKA_RESP_ERR_NO_ERROR) {
            out[md->topics[i].topic] = md->topics[i].partition_cnt;
        }
    }
    rd_kafka_metadata_destroy(md);
    return out;
}

std::string how_to_create(const topic_spec& t) {
    return fmt::format("kafka-topics.sh --bootstrap-server BROKERS --create --topic {} --partitions {}",
                       t.name, t.partitions);
}

result<void> create_topics(rd_kafka_t* rk, const std::vector<const topic_spec*>& missing,
                           std::chrono::milliseconds timeout) {
    std::vector<rd_kafka_NewTopic_t*> nts;
    std::array<char, 512> err{};
    for (const auto* t : missing) {
        auto* nt = rd_kafka_NewTopic_new(t->name.c_str(), t->partitions, t->replication_factor, err.data(),
                                         err.size());
        if (nt == nullptr) {
            for (auto* n : nts) {
                rd_kafka_NewTopic_destroy(n);
            }
            return make_error(errc::config, "cannot describe topic {}: {}", t->name, err.data());
        }
        nts.push_back(nt);
    }
    rd_kafka_queue_t* q = rd_kafka_queue_new(rk);
    rd_kafka_AdminOptions_t* opts = rd_kafka_AdminOptions_new(rk, RD_KAFKA_ADMIN_OP_CREATETOPICS);
    rd_kafka_AdminOptions_set_operation_timeout(opts, static_cast<int>(timeout.count()), err.data(),
                                                err.size());
    rd_kafka_CreateTopics(rk, nts.data(), nts.size(), opts, q);
    rd_kafka_event_t* ev = rd_kafka_queue_poll(q, static_cast<int>(timeout.count()) + 1000);
    result<void> res = ok();
    if (ev == nullptr) {
        res = make_error(errc::io_error, "creating topics timed out after {} ms", timeout.count());
    } else if (rd_kafka_event_error(ev) != RD_KAFKA_RESP_ERR_NO_ERROR) {
        res = kafka_error(rd_kafka_event_error(ev), "CreateTopics failed");
    } else {
        const auto* cr = rd_kafka_event_CreateTopics_result(ev);
        size_t n = 0;
        const rd_kafka_topic_result_t** trs = rd_kafka_CreateTopics_result_topics(cr, &n);
        for (size_t i = 0; i < n && res; ++i) {
            auto e = rd_kafka_topic_result_error(trs[i]);
            if (e == RD_KAFKA_RESP_ERR_NO_ERROR || e == RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS) {
                spdlog::info("kafka: created topic {}", rd_kafka_topic_result_name(trs[i]));
                continue;
            }
            const char* msg = rd_kafka_topic_result_error_string(trs[i]);
            res = make_error(errc::unknown_topic, "cannot create topic {}: {} ({})",
                             rd_kafka_topic_result_name(trs[i]), msg != nullptr ? msg : rd_kafka_err2str(e),
                             rd_kafka_err2name(e));
        }
    }
    if (ev != nullptr) {
        rd_kafka_event_destroy(ev);
    }
    rd_kafka_AdminOptions_destroy(opts);
    rd_kafka_queue_destroy(q);
    for (auto* n : nts) {
        rd_kafka_NewTopic_destroy(n);
    }
    return res;
}

} // namespace

result<std::vector<int32_t>> ensure_topics(const kafka_config& cfg, const std::vector<topic_spec>& topics,
                                           bool create, std::chrono::milliseconds timeout) {
    auto conf = internal::make_conf(cfg, {});
    if (!conf) {
        return conf.error();
    }
    auto rk = internal::make_client(RD_KAFKA_PRODUCER, std::move(*conf));
    if (!rk) {
        return rk.error();
    }
    auto have = list_topics(rk->get(), timeout);
    if (!have) {
        return have.error();
    }
    std::vector<const topic_spec*> missing;
    for (const auto& t : topics) {
        if (!have->contains(t.name)) {
            missing.push_back(&t);
        }
    }
    if (!missing.empty()) {
        if (!create) {
            return make_error(
                errc::unknown_topic,
                "topic {} does not exist on {} and kafka.create_topics is false; create it ({}) "
                "or set kafka.create_topics = true",
                missing.front()->name, cfg.brokers, how_to_create(*missing.front()));
        }
        if (auto r = create_topics(rk->get(), missing, timeout); !r) {
            return make_error(
                errc::unknown_topic,
                "{} is missing on {} and mdsp could not create it: {}; create it yourself ({}) or "
                "grant mdsp's principal CREATE on the cluster",
                missing.front()->name, cfg.brokers, r.error().what(), how_to_create(*missing.front()));
        }
        // New topics take a moment to show in every broker's metadata.
        auto deadline = std::chrono::steady_clock::now() + timeout;
        for (;;) {
            have = list_topics(rk->get(), timeout);
            if (!have) {
                return have.error();
            }
            bool all = std::all_of(missing.begin(), missing.end(),
                                   [&](const topic_spec* t) { return have->contains(t->name); });
            if (all) {
                break;
            }
            if (std::chrono::steady_clock::now() > deadline) {
                return make_error(errc::unknown_topic,
                                  "topics created on {} did not appear in its metadata within {} ms",
                                  cfg.brokers, timeout.count());
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
        }
    }
    std::vector<int32_t> out;
    for (const auto& t : topics) {
        int32_t n = have->at(t.name);
        if (n != t.partitions) {
            spdlog::info("kafka: {} has {} partitions (mdsp would create it with {})", t.name, n,
                         t.partitions);
        }
        out.push_back(n);
    }
    return out;
}

struct kafka_mock_cluster::impl {
    internal::rk_ptr rk; // the handle that owns the cluster
    rd_kafka_mock_cluster_t* mc = nullptr;
    ~impl() {
        if (mc != nullptr) {
            rd_kafka_mock_cluster_destroy(mc);
        }
    }
};

kafka_mock_cluster::kafka_mock_cluster(std::unique_ptr<impl> i)
  : _impl(std::move(i)) {}
kafka_mock_cluster::~kafka_mock_cluster() = default;

result<std::unique_ptr<kafka_mock_cluster>> kafka_mock_cluster::start(int brokers) {
    if (brokers < 1 || brokers > 64) {
        return make_error(errc::config, "a mock cluster has 1 to 64 brokers, not {}", brokers);
    }
    internal::conf_ptr conf(rd_kafka_conf_new());
    // The handle only hosts the cluster: its own chatter (no bootstrap.servers) is noise.
    rd_kafka_conf_set_log_cb(conf.get(), [](const rd_kafka_t*, int, const char* fac, const char* buf) {
        spdlog::debug("kafka-mock: {}: {}", fac, buf);
    });
    auto rk = internal::make_client(RD_KAFKA_PRODUCER, std::move(conf));
    if (!rk) {
        return rk.error();
    }
    auto im = std::make_unique<impl>();
    im->rk = std::move(*rk);
    im->mc = rd_kafka_mock_cluster_new(im->rk.get(), brokers);
    if (im->mc == nullptr) {
        return make_error(errc::io_error, "librdkafka could not start a mock cluster of {} brokers", brokers);
    }
    return std::unique_ptr<kafka_mock_cluster>(new kafka_mock_cluster(std::move(im)));
}

std::string kafka_mock_cluster::bootstrap() const {
    return rd_kafka_mock_cluster_bootstraps(_impl->mc);
}

result<void> kafka_mock_cluster::create_topic(const std::string& name, int32_t partitions,
                                              int32_t replication_factor) {
    auto e = rd_kafka_mock_topic_create(_impl->mc, name.c_str(), partitions, replication_factor);
    if (e != RD_KAFKA_RESP_ERR_NO_ERROR) {
        return kafka_error(e, fmt::format("cannot create topic {} in the mock cluster", name));
    }
    return ok();
}

} // namespace mdsp::bus
