#include "pipeline/data_folder.h"

#include <cctype>
#include <filesystem>
#include <functional>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "bus/bus.h"
#include "cql/uri.h"
#include "pipeline/errc.h"
#include "store/cassandra.h"

namespace mdsp::pipeline {

namespace {
log::fsync_policy fsync_of(const config& c) {
    if (c.log.fsync == "always") {
        return log::fsync_policy::always();
    }
    if (c.log.fsync == "never") {
        return log::fsync_policy::never();
    }
    return log::fsync_policy::interval(
        std::chrono::milliseconds(std::max<int64_t>(1, c.log.fsync_interval_us / 1000)));
}
} // namespace

result<std::unique_ptr<store::store>> open_store(const config& cfg) {
    if (!cfg.store.uri.empty()) {
        if (!cfg.store.uri.starts_with("cassandra://")) {
            return make_error(
                errc::bad_setting,
                "store.uri '{}' is not a store mdsp knows: leave it empty for the embedded store "
                "in the data folder, or give cassandra://HOST[,HOST][:PORT]/KEYSPACE",
                cfg.store.uri);
        }
        const char* pw = std::getenv("MDSP_CASSANDRA_PASSWORD");
        auto u = cql::parse_cluster_uri(cfg.store.uri, pw != nullptr ? pw : "");
        if (!u) {
            return make_error(errc::bad_setting, "store.uri: {}", u.error().what());
        }
        store::cassandra_options co;
        co.session = std::move(u->options);
        co.keyspace = u->keyspace;
        co.apply_schema = cfg.store.cassandra_init;
        co.replication = cfg.store.cassandra_replication;
        auto st = store::cassandra_store::open(std::move(co));
        if (!st) {
            return st.error();
        }
        return std::unique_ptr<store::store>(std::move(*st));
    }
    std::error_code ec;
    std::filesystem::create_directories(cfg.data_dir, ec);
    if (ec) {
        return make_error(errc::io_error,
                          "cannot create the data folder {}: {}; choose another with --data-dir",
                          cfg.data_dir, ec.message());
    }
    store::rocks_options so;
    so.ticks_retention = cfg.store.ticks_retention_us > 0 ? cfg.store.ticks_retention_us : 0;
    auto st = store::rocks_store::open(std::filesystem::path(cfg.data_dir) / "store", so);
    if (!st) {
        return st.error();
    }
    return std::unique_ptr<store::store>(std::move(*st));
}

result<std::unique_ptr<log::log>> open_log(const config& cfg) {
    log::config lc;
    lc.fsync = fsync_of(cfg);
    lc.segment_max_bytes = static_cast<uint64_t>(cfg.log.segment_bytes);
    lc.retention_ms = cfg.log.retention_us < 0 ? -1 : cfg.log.retention_us / 1000;
    lc.retention_bytes = cfg.log.retention_bytes;
    auto lg = log::log::open(std::filesystem::path(cfg.data_dir) / "log", lc);
    if (!lg) {
        return lg.error();
    }
    for (auto topic : {bus::ticks_topic, bus::deadletter_topic}) {
        int32_t n = topic == bus::ticks_topic ? cfg.log.partitions : 1;
        auto t = (*lg)->ensure_topic(topic, n);
        if (!t) {
            return t.error();
        }
        if (*t != n && topic == bus::ticks_topic) {
            spdlog::warn("market.ticks has {} partitions in {}; log.partitions = {} applies to new logs only",
                         *t, cfg.data_dir, n);
        }
    }
    return lg;
}

std::string checkpoint_path_for(const std::string& data_dir, const std::string& source_id) {
    std::string name;
    for (char c : source_id) {
        name += std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.' ? c : '_';
    }
    if (name.size() > 100) {
        name = name.substr(name.size() - 100);
    }
    size_t h = std::hash<std::string>{}(source_id);
    return fmt::format("{}/ingest/{}-{:08x}.pos", data_dir, name, static_cast<uint32_t>(h));
}

std::string position_key(int32_t partition) {
    return fmt::format("pos/{}/{:05}", bus::ticks_topic, partition);
}

std::string be64(int64_t v) {
    std::string s(8, '\0');
    auto u = static_cast<uint64_t>(v);
    for (int i = 7; i >= 0; --i) {
        s[static_cast<size_t>(i)] = static_cast<char>(u & 0xff);
        u >>= 8;
    }
    return s;
}

int64_t from_be64(std::string_view s) {
    uint64_t u = 0;
    for (char c : s.substr(0, 8)) {
        u = (u << 8) | static_cast<uint8_t>(c);
    }
    return static_cast<int64_t>(u);
}

} // namespace mdsp::pipeline
