// clang-format off
#include <librdkafka/rdkafka.h> // rdkafka_mock.h must come after it
#include <librdkafka/rdkafka_mock.h>
// clang-format on

#include <algorithm>
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

// What the cluster says of its topics: partitions and replicas of each.
struct cluster_topics {
    struct shape {
        int32_t partitions = 0;
        int32_t replication = 0; // replicas of partition 0
    };
    std::map<std::string, shape> topics;
    int brokers = 0;
};

// The first authentication or TLS failure the admin client met, from
// librdkafka's error callback (served by rd_kafka_poll on the caller's
// thread). librdkafka retries those for ever; a start must not.
struct refusal_watch {
    rd_kafka_resp_err_t err = RD_KAFKA_RESP_ERR_NO_ERROR;
    std::string reason;

    static void on_error(rd_kafka_t*, int err, const char* reason, void* opaque) {
        auto* w = static_cast<refusal_watch*>(opaque);
        auto e = static_cast<rd_kafka_resp_err_t>(err);
        bool refused = e == RD_KAFKA_RESP_ERR__AUTHENTICATION || e == RD_KAFKA_RESP_ERR__SSL
                       || e == RD_KAFKA_RESP_ERR_SASL_AUTHENTICATION_FAILED;
        if (refused && w->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
            w->err = e;
            w->reason = reason != nullptr ? reason : rd_kafka_err2str(e);
        }
    }
};

std::string property(const kafka_config& cfg, const std::string& name, std::string_view otherwise = "") {
    auto it = cfg.properties.find(name);
    return it != cfg.properties.end() ? it->second : std::string(otherwise);
}

// What the user should change after the brokers refused the connection.
mdsp::error refused_error(const kafka_config& cfg, const refusal_watch& w) {
    if (w.err == RD_KAFKA_RESP_ERR__SSL) {
        return make_error(
            errc::refused,
            "the TLS connection to {} failed: {}; if the brokers' certificate is signed by your "
            "own CA, set kafka.properties.ssl.ca.location to that CA's PEM file (otherwise the "
            "system's CAs must trust it, and the certificate must name the host in kafka.brokers)",
            cfg.brokers, w.reason);
    }
    std::string mech = property(cfg, "sasl.mechanism", property(cfg, "sasl.mechanisms", "GSSAPI"));
    std::string scram;
    // librdkafka before 2.6.1 sends a SCRAM nonce that Kafka 4 brokers refuse.
    if (mech.starts_with("SCRAM") && rd_kafka_version() < 0x02060100) {
        scram = fmt::format(
            "; note: this mdsp uses librdkafka {}, whose SCRAM Apache Kafka 4 brokers refuse even "
            "with the right password (fixed in librdkafka 2.6.1): use "
            "kafka.properties.sasl.mechanism = PLAIN over SASL_SSL, or build mdsp with librdkafka "
            "2.6.1 or later",
            rd_kafka_version_str());
    }
    return make_error(
        errc::refused,
        "the brokers at {} refused mdsp's credentials ({}): check kafka.properties.sasl.username "
        "({}), the password (MDSP_KAFKA_PROPERTIES_SASL_PASSWORD, or kafka.properties.sasl.password) "
        "and kafka.properties.sasl.mechanism ({}){}",
        cfg.brokers, w.reason, property(cfg, "sasl.username", "not set"), mech, scram);
}

// The metadata, asked in short tries so that a refusal ends the wait at once.
result<const rd_kafka_metadata_t*> metadata(rd_kafka_t* rk, const kafka_config& cfg, refusal_watch& watch,
                                            std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        const rd_kafka_metadata_t* md = nullptr;
        auto err = rd_kafka_metadata(rk, 1, nullptr, &md, 500);
        if (err == RD_KAFKA_RESP_ERR_NO_ERROR) {
            return md;
        }
        rd_kafka_poll(rk, 0); // serves the error callback
        if (watch.err != RD_KAFKA_RESP_ERR_NO_ERROR) {
            return refused_error(cfg, watch);
        }
        bool transient = err == RD_KAFKA_RESP_ERR__TIMED_OUT || err == RD_KAFKA_RESP_ERR__TRANSPORT
                         || err == RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN;
        if (!transient || std::chrono::steady_clock::now() > deadline) {
            return kafka_error(err, "cannot read the cluster's metadata");
        }
    }
}

result<cluster_topics> list_topics(rd_kafka_t* rk, const kafka_config& cfg, refusal_watch& watch,
                                   std::chrono::milliseconds timeout) {
    auto got = metadata(rk, cfg, watch, timeout);
    if (!got) {
        return got.error();
    }
    const rd_kafka_metadata_t* md = *got;
    cluster_topics out;
    out.brokers = md->broker_cnt;
    for (int i = 0; i < md->topic_cnt; ++i) {
        const auto& t = md->topics[i];
        if (t.err == RD_KAFKA_RESP_ERR_NO_ERROR) {
            out.topics[t.topic] = {t.partition_cnt, t.partition_cnt > 0 ? t.partitions[0].replica_cnt : 0};
        }
    }
    rd_kafka_metadata_destroy(md);
    return out;
}

std::string how_to_create(const topic_spec& t) {
    return fmt::format("kafka-topics.sh --bootstrap-server BROKERS --create --topic {} --partitions {}{}",
                       t.name, t.partitions,
                       t.replication_factor > 0
                           ? fmt::format(" --replication-factor {}", t.replication_factor)
                           : std::string());
}

std::string principal(const kafka_config& cfg) {
    auto user = property(cfg, "sasl.username");
    return user.empty() ? std::string("mdsp's principal") : "User:" + user;
}

// A broker's refusal of one topic, as what to change: the setting that
// asked for it, or the permission that is missing.
mdsp::error refusal(const kafka_config& cfg, const topic_spec& t, rd_kafka_resp_err_t e, std::string_view msg,
                    int brokers) {
    const auto name = rd_kafka_err2name(e);
    switch (e) {
    case RD_KAFKA_RESP_ERR_INVALID_REPLICATION_FACTOR:
        return make_error(
            errc::config,
            "cannot create topic {}: kafka.replication_factor = {} but the cluster has {} broker(s) "
            "({}: {}); set kafka.replication_factor to at most {}, or -1 for the brokers' "
            "default.replication.factor",
            t.name, t.replication_factor, brokers, name, msg, brokers);
    case RD_KAFKA_RESP_ERR_INVALID_PARTITIONS:
        return make_error(errc::config, "cannot create topic {}: kafka.partitions = {} was refused ({}: {})",
                          t.name, t.partitions, name, msg);
    case RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED:
    case RD_KAFKA_RESP_ERR_CLUSTER_AUTHORIZATION_FAILED:
        return make_error(
            errc::unknown_topic,
            "{} may not create topic {} ({}); grant it CREATE (kafka-acls.sh --bootstrap-server BROKERS "
            "--add "
            "--allow-principal {} --operation Create --topic {}), or have an administrator create it ({}) "
            "and set kafka.create_topics = false",
            principal(cfg), t.name, name, principal(cfg).starts_with("User:") ? principal(cfg) : "User:NAME",
            t.name, how_to_create(t));
    case RD_KAFKA_RESP_ERR_POLICY_VIOLATION:
        return make_error(
            errc::config,
            "the cluster's topic policy refused topic {} with kafka.partitions = {} and "
            "kafka.replication_factor = {}: {}; change those settings to what the policy allows, "
            "or create the topic yourself ({})",
            t.name, t.partitions, t.replication_factor, msg, how_to_create(t));
    default:
        return make_error(errc::unknown_topic, "cannot create topic {}: {} ({}); create it yourself ({})",
                          t.name, msg, name, how_to_create(t));
    }
}

result<void> create_topics(rd_kafka_t* rk, const kafka_config& cfg,
                           const std::vector<const topic_spec*>& missing, int brokers,
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
        for (const auto& [k, v] : t->config) {
            if (rd_kafka_NewTopic_set_config(nt, k.c_str(), v.c_str()) != RD_KAFKA_RESP_ERR_NO_ERROR) {
                for (auto* n : nts) {
                    rd_kafka_NewTopic_destroy(n);
                }
                return make_error(errc::config, "cannot set {} = {} on topic {}", k, v, t->name);
            }
        }
    }
    rd_kafka_queue_t* q = rd_kafka_queue_new(rk);
    rd_kafka_AdminOptions_t* opts = rd_kafka_AdminOptions_new(rk, RD_KAFKA_ADMIN_OP_CREATETOPICS);
    rd_kafka_AdminOptions_set_operation_timeout(opts, static_cast<int>(timeout.count()), err.data(),
                                                err.size());
    rd_kafka_CreateTopics(rk, nts.data(), nts.size(), opts, q);
    rd_kafka_event_t* ev = rd_kafka_queue_poll(q, static_cast<int>(timeout.count()) + 1000);
    result<void> res = ok();
    if (ev == nullptr) {
        res = make_error(errc::unknown_topic,
                         "cannot create topic {}: no answer to CreateTopics within {} ms (brokers down, or "
                         "without that API); create it yourself ({}) or check kafka.brokers",
                         missing.front()->name, timeout.count(), how_to_create(*missing.front()));
    } else if (rd_kafka_event_error(ev) != RD_KAFKA_RESP_ERR_NO_ERROR) {
        res = refusal(cfg, *missing.front(), rd_kafka_event_error(ev), rd_kafka_event_error_string(ev),
                      brokers);
    } else {
        const auto* cr = rd_kafka_event_CreateTopics_result(ev);
        size_t n = 0;
        const rd_kafka_topic_result_t** trs = rd_kafka_CreateTopics_result_topics(cr, &n);
        for (size_t i = 0; i < n && res; ++i) {
            auto e = rd_kafka_topic_result_error(trs[i]);
            std::string_view topic = rd_kafka_topic_result_name(trs[i]);
            if (e == RD_KAFKA_RESP_ERR_NO_ERROR || e == RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS) {
                spdlog::info("kafka: created topic {}", topic);
                continue;
            }
            const char* msg = rd_kafka_topic_result_error_string(trs[i]);
            auto it =
                std::find_if(missing.begin(), missing.end(), [&](const auto* t) { return t->name == topic; });
            res = refusal(cfg, it != missing.end() ? **it : *missing.front(), e,
                          msg != nullptr ? msg : rd_kafka_err2str(e), brokers);
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

// A topic that exists is used as it is: mdsp never changes a topic it did not
// just create. A shape other than the settings ask for is said once.
void report_shape(const topic_spec& t, const cluster_topics::shape& have) {
    bool parts = have.partitions != t.partitions;
    bool repl = t.replication_factor > 0 && have.replication != t.replication_factor;
    if (!parts && !repl) {
        return;
    }
    spdlog::warn("kafka: topic {} exists with {} partition(s) and replication factor {}, not the {} and {} "
                 "mdsp would create it with; it is used as it is (kafka.partitions and "
                 "kafka.replication_factor apply only to topics mdsp creates; kafka-topics.sh --alter "
                 "--partitions or kafka-reassign-partitions.sh change a topic)",
                 t.name, have.partitions, have.replication, t.partitions,
                 t.replication_factor > 0 ? std::to_string(t.replication_factor) : "default");
}

} // namespace

result<std::vector<int32_t>> ensure_topics(const kafka_config& cfg, const std::vector<topic_spec>& topics,
                                           bool create, std::chrono::milliseconds timeout) {
    auto conf = internal::make_conf(cfg, {});
    if (!conf) {
        return conf.error();
    }
    refusal_watch watch;
    rd_kafka_conf_set_error_cb(conf->get(), &refusal_watch::on_error);
    rd_kafka_conf_set_opaque(conf->get(), &watch);
    auto rk = internal::make_client(RD_KAFKA_PRODUCER, std::move(*conf));
    if (!rk) {
        return rk.error();
    }
    auto have = list_topics(rk->get(), cfg, watch, timeout);
    if (!have) {
        return have.error();
    }
    std::vector<const topic_spec*> missing;
    for (const auto& t : topics) {
        if (!have->topics.contains(t.name)) {
            missing.push_back(&t);
        } else {
            report_shape(t, have->topics.at(t.name));
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
        if (auto r = create_topics(rk->get(), cfg, missing, have->brokers, timeout); !r) {
            return r.error();
        }
        // New topics take a moment to show in every broker's metadata.
        auto deadline = std::chrono::steady_clock::now() + timeout;
        for (;;) {
            have = list_topics(rk->get(), cfg, watch, timeout);
            if (!have) {
                return have.error();
            }
            bool all = std::all_of(missing.begin(), missing.end(),
                                   [&](const topic_spec* t) { return have->topics.contains(t->name); });
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
        out.push_back(have->topics.at(t.name).partitions);
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

void kafka_mock_cluster::fail_requests(int16_t api_key, const std::vector<int32_t>& codes) {
    std::vector<rd_kafka_resp_err_t> errs;
    for (auto c : codes) {
        errs.push_back(static_cast<rd_kafka_resp_err_t>(c));
    }
    rd_kafka_mock_push_request_errors_array(_impl->mc, api_key, errs.size(), errs.data());
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
