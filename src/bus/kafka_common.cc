#include <array>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "bus/internal/rdkafka.h"
#include "bus/kafka.h"

namespace mdsp::bus {

std::string_view kafka_library_version() noexcept {
    return rd_kafka_version_str();
}

bool is_secret_property(std::string_view name) noexcept {
    for (std::string_view w :
         {"password", "secret", "token", "key.pem", "keystore", "sasl.jaas", "oauthbearer.config"}) {
        if (name.find(w) != std::string_view::npos) {
            return true;
        }
    }
    return false;
}

namespace internal {

result<conf_ptr> make_conf(const kafka_config& cfg, const std::map<std::string, std::string>& defaults) {
    if (cfg.brokers.empty()) {
        return make_error(errc::config,
                          "no Kafka brokers given: pass --kafka HOST:PORT[,HOST:PORT] or set kafka.brokers");
    }
    conf_ptr conf(rd_kafka_conf_new());
    std::array<char, 512> err{};
    auto put = [&](const std::string& k, const std::string& v) -> result<void> {
        if (rd_kafka_conf_set(conf.get(), k.c_str(), v.c_str(), err.data(), err.size()) != RD_KAFKA_CONF_OK) {
            return make_error(errc::config, "Kafka property {} = {}: {}; see librdkafka's CONFIGURATION.md",
                              k, is_secret_property(k) ? std::string("***") : v, err.data());
        }
        return ok();
    };
    for (const auto& [k, v] : defaults) {
        if (auto r = put(k, v); !r) {
            return r.error();
        }
    }
    for (const auto& [k, v] : cfg.properties) {
        if (auto r = put(k, v); !r) {
            return r.error();
        }
    }
    if (auto r = put("bootstrap.servers", cfg.brokers); !r) {
        return r.error();
    }
    if (auto r = put("client.id", cfg.client_id); !r) {
        return r.error();
    }
    route_logs(conf.get());
    return conf;
}

result<rk_ptr> make_client(rd_kafka_type_t type, conf_ptr conf) {
    std::array<char, 512> err{};
    rd_kafka_t* rk = rd_kafka_new(type, conf.get(), err.data(), err.size());
    if (rk == nullptr) {
        return make_error(errc::config, "cannot create a Kafka {}: {}",
                          type == RD_KAFKA_PRODUCER ? "producer" : "consumer", err.data());
    }
    (void)conf.release(); // rd_kafka_new owns it now
    return rk_ptr(rk);
}

void route_logs(rd_kafka_conf_t* conf) {
    rd_kafka_conf_set_log_cb(conf, [](const rd_kafka_t*, int level, const char* fac, const char* buf) {
        // syslog levels: 0..3 error, 4 warning, 5..6 info, 7 debug. One
        // [kafka.properties] table serves producer and consumer, so "a
        // consumer property ignored by this producer" is expected.
        if (std::string_view(fac) == "CONFWARN"
            && std::string_view(buf).find("will be ignored") != std::string_view::npos) {
            spdlog::debug("kafka: {}: {}", fac, buf);
        } else if (level <= 3) {
            spdlog::error("kafka: {}: {}", fac, buf);
        } else if (level == 4) {
            spdlog::warn("kafka: {}: {}", fac, buf);
        } else if (level <= 6) {
            spdlog::info("kafka: {}: {}", fac, buf);
        } else {
            spdlog::debug("kafka: {}: {}", fac, buf);
        }
    });
}

mdsp::error kafka_error(rd_kafka_resp_err_t err, std::string_view what) {
    std::string hint;
    switch (err) {
    case RD_KAFKA_RESP_ERR__TRANSPORT:
    case RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN:
    case RD_KAFKA_RESP_ERR__TIMED_OUT:
        hint = "; check that the brokers in kafka.brokers are up and reachable";
        break;
    case RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED:
    case RD_KAFKA_RESP_ERR_GROUP_AUTHORIZATION_FAILED:
    case RD_KAFKA_RESP_ERR_CLUSTER_AUTHORIZATION_FAILED:
    case RD_KAFKA_RESP_ERR_SASL_AUTHENTICATION_FAILED:
        hint = "; check the credentials and ACLs (kafka.properties, MDSP_KAFKA_PROPERTIES_*)";
        break;
    case RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC:
    case RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART:
        hint = "; create the topic, or let mdsp create it (kafka.create_topics = true)";
        break;
    default:
        break;
    }
    auto code = errc::io_error;
    switch (err) {
    case RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC:
    case RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART:
        code = errc::unknown_topic;
        break;
    case RD_KAFKA_RESP_ERR_REBALANCE_IN_PROGRESS:
    case RD_KAFKA_RESP_ERR_ILLEGAL_GENERATION:
    case RD_KAFKA_RESP_ERR_UNKNOWN_MEMBER_ID:
    case RD_KAFKA_RESP_ERR__ASSIGNMENT_LOST:
    case RD_KAFKA_RESP_ERR__STATE:
    case RD_KAFKA_RESP_ERR_COORDINATOR_NOT_AVAILABLE:
    case RD_KAFKA_RESP_ERR_NOT_COORDINATOR:
    case RD_KAFKA_RESP_ERR_COORDINATOR_LOAD_IN_PROGRESS:
    case RD_KAFKA_RESP_ERR__WAIT_COORD:
        code = errc::rebalance;
        break;
    default:
        break;
    }
    return make_error(code, "{}: {} ({}){}", what, rd_kafka_err2str(err), rd_kafka_err2name(err), hint);
}

} // namespace internal
} // namespace mdsp::bus
