#include "app/config.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdlib>
#include <functional>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <toml++/toml.h>
#include <unistd.h>

#include "app/quality_config.h"
#include "base/time.h"
#include "bus/kafka.h"
#include "registry/client.h"

namespace {
std::string errc_message(mdsp::app::errc e) {
    switch (e) {
    case mdsp::app::errc::bad_config:
        return "bad configuration";
    case mdsp::app::errc::bad_flag:
        return "bad command-line flag";
    case mdsp::app::errc::io_error:
        return "i/o error";
    }
    return "unknown app error";
}
} // namespace

MDSP_DEFINE_ERRC_CATEGORY(mdsp::app, "mdsp.app", errc_message)

namespace mdsp::app {

namespace {

using parse_fn =
    std::function<std::optional<std::string>(config&, const std::string&)>; // error text or nullopt
using print_fn = std::function<std::string(const config&)>;

struct setting {
    const char* path;
    const char* help;
    parse_fn parse;
    print_fn print;
};

std::string trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) {
        s.remove_prefix(1);
    }
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) {
        s.remove_suffix(1);
    }
    return std::string(s);
}

std::vector<std::string> split_list(const std::string& s) {
    std::vector<std::string> out;
    size_t start = 0;
    while (start <= s.size()) {
        size_t comma = s.find(',', start);
        std::string item = trim(std::string_view(s).substr(
            start, comma == std::string::npos ? std::string::npos : comma - start));
        if (!item.empty()) {
            out.push_back(item);
        }
        if (comma == std::string::npos) {
            break;
        }
        start = comma + 1;
    }
    return out;
}

template<typename T>
std::optional<T> parse_number(const std::string& s) {
    T v{};
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || p != s.data() + s.size()) {
        return std::nullopt;
    }
    return v;
}

parse_fn string_setting(std::string config::*unused, std::function<std::string&(config&)> field,
                        std::vector<std::string> allowed = {}) {
    return [field, allowed](config& c, const std::string& v) -> std::optional<std::string> {
        if (!allowed.empty() && std::find(allowed.begin(), allowed.end(), v) == allowed.end()) {
            return fmt::format("'{}' is not one of {}", v, fmt::join(allowed, ", "));
        }
        field(c) = v;
        return std::nullopt;
    };
}

template<typename T>
parse_fn number_setting(std::function<T&(config&)> field, T lo, T hi, const char* what) {
    return [=](config& c, const std::string& v) -> std::optional<std::string> {
        auto n = parse_number<T>(v);
        if (!n || *n < lo || *n > hi) {
            return fmt::format("'{}' is not {} from {} to {}", v, what, lo, hi);
        }
        field(c) = *n;
        return std::nullopt;
    };
}

parse_fn duration_setting(std::function<int64_t&(config&)> field, bool allow_off) {
    return [=](config& c, const std::string& v) -> std::optional<std::string> {
        if (allow_off && (v == "-1" || v == "off" || v == "0")) {
            field(c) = v == "0" ? 0 : -1;
            return std::nullopt;
        }
        auto d = parse_duration_micros(v);
        if (!d) {
            return fmt::format("'{}' is not a duration: write a number and a unit, like 500ms, 2s, 1m, 7d{}",
                               v, allow_off ? " (or off)" : "");
        }
        field(c) = *d;
        return std::nullopt;
    };
}

parse_fn bool_setting(std::function<bool&(config&)> field) {
    return [=](config& c, const std::string& v) -> std::optional<std::string> {
        if (v == "true" || v == "1" || v == "yes" || v == "on") {
            field(c) = true;
        } else if (v == "false" || v == "0" || v == "no" || v == "off") {
            field(c) = false;
        } else {
            return fmt::format("'{}' is not true or false", v);
        }
        return std::nullopt;
    };
}

parse_fn symbols_setting(std::function<std::vector<std::string>&(config&)> field) {
    return [=](config& c, const std::string& v) -> std::optional<std::string> {
        auto l = split_list(v);
        if (l.empty()) {
            return std::string("the list of symbols is empty: give at least one, like AAPL,EUR/USD");
        }
        field(c) = l;
        return std::nullopt;
    };
}

std::string dur(int64_t us) {
    return us < 0 ? "off" : format_duration(us);
}

// quality.<key>: the defaults of the data-quality checks (key must be a literal).
setting quality_default(const char* path, const char* help, const char* key) {
    return {path, help,
            [key](config& c, const std::string& v) {
                return internal::set_quality_threshold(c.quality.defaults, key, v);
            },
            [key](const config& c) { return internal::quality_threshold_text(c.quality.defaults, key); }};
}

const std::vector<setting>& settings() {
    static const std::vector<setting> all = {
        {"data_dir", "Folder for the log, the store and checkpoints",
         string_setting(nullptr, [](config& c) -> std::string& { return c.data_dir; }),
         [](const config& c) { return c.data_dir; }},
        {"log_level", "trace, debug, info, warn, error or off",
         string_setting(nullptr, [](config& c) -> std::string& { return c.log_level; },
                        {"trace", "debug", "info", "warn", "error", "off"}),
         [](const config& c) { return c.log_level; }},
        {"http.address", "Address the HTTP server binds to (0.0.0.0 to listen on every interface)",
         string_setting(nullptr, [](config& c) -> std::string& { return c.http.address; }),
         [](const config& c) { return c.http.address; }},
        {"http.port", "HTTP port (0 picks a free one)",
         number_setting<int>([](config& c) -> int& { return c.http.port; }, 0, 65535, "a port"),
         [](const config& c) { return std::to_string(c.http.port); }},
        {"source.spec", "Where ticks come from: sim, replay:FILE, twelvedata or binance",
         [](config& c, const std::string& v) -> std::optional<std::string> {
             if (v != "sim" && v != "twelvedata" && v != "binance"
                 && !(v.rfind("replay:", 0) == 0 && v.size() > 7)) {
                 return fmt::format("'{}' is not a source: use sim, replay:FILE, twelvedata or binance", v);
             }
             c.source.spec = v;
             return std::nullopt;
         },
         [](const config& c) { return c.source.spec; }},
        {"sim.symbols", "Simulated symbols, comma-separated",
         [](config& c, const std::string& v) -> std::optional<std::string> {
             auto l = split_list(v);
             if (l.empty()) {
                 return std::string("the list of symbols is empty: give at least one, like BTC/USD,AAPL");
             }
             c.sim.symbols = l;
             return std::nullopt;
         },
         [](const config& c) { return fmt::format("{}", fmt::join(c.sim.symbols, ",")); }},
        {"sim.rate", "Simulated ticks per second over all symbols (0 = as fast as possible)",
         number_setting<double>([](config& c) -> double& { return c.sim.rate; }, 0, 1e9, "a rate"),
         [](const config& c) { return fmt::format("{}", c.sim.rate); }},
        {"sim.seed", "Seed of the simulator's random walk",
         number_setting<uint64_t>([](config& c) -> uint64_t& { return c.sim.seed; }, 0, UINT64_MAX, "a seed"),
         [](const config& c) { return std::to_string(c.sim.seed); }},
        {"replay.speed", "Replay pace: max, or a factor of real time (60 = a minute a second)",
         [](config& c, const std::string& v) -> std::optional<std::string> {
             if (v == "max" || v == "0") {
                 c.replay.speed = 0;
                 return std::nullopt;
             }
             std::string s = v;
             if (!s.empty() && s.back() == 'x') {
                 s.pop_back();
             }
             auto n = parse_number<double>(s);
             if (!n || *n <= 0) {
                 return fmt::format("'{}' is not a speed: use max or a positive factor like 60", v);
             }
             c.replay.speed = *n;
             return std::nullopt;
         },
         [](const config& c) {
             return c.replay.speed == 0 ? std::string("max") : fmt::format("{}", c.replay.speed);
         }},
        {"replay.symbol",
         "Symbol of every tick of a replay file without a symbol column or key (Binance trades CSV: "
         "default from a binance-<pair> folder name)",
         string_setting(nullptr, [](config& c) -> std::string& { return c.replay.symbol; }),
         [](const config& c) { return c.replay.symbol; }},
        {"replay.format", "auto, binance, csv or jsonl (twelvedata: the same as jsonl)",
         string_setting(nullptr, [](config& c) -> std::string& { return c.replay.format; },
                        {"auto", "binance", "csv", "jsonl", "twelvedata"}),
         [](const config& c) { return c.replay.format; }},
        {"log.partitions", "Partitions of market.ticks (ticks of a symbol stay in one)",
         number_setting<int>([](config& c) -> int& { return c.log.partitions; }, 1, 1024,
                             "a partition count"),
         [](const config& c) { return std::to_string(c.log.partitions); }},
        {"log.fsync", "When the log fsyncs: always (each append), interval, or never (the OS decides)",
         string_setting(nullptr, [](config& c) -> std::string& { return c.log.fsync; },
                        {"always", "interval", "never"}),
         [](const config& c) { return c.log.fsync; }},
        {"log.fsync_interval", "Time between fsyncs with fsync = interval",
         duration_setting([](config& c) -> int64_t& { return c.log.fsync_interval_us; }, false),
         [](const config& c) { return dur(c.log.fsync_interval_us); }},
        {"log.segment_bytes", "Size at which a log segment is closed and a new one started",
         number_setting<int64_t>([](config& c) -> int64_t& { return c.log.segment_bytes; }, 1 << 20,
                                 1LL << 40, "a byte count"),
         [](const config& c) { return std::to_string(c.log.segment_bytes); }},
        {"log.retention", "Age after which whole log segments are deleted (off = keep)",
         duration_setting([](config& c) -> int64_t& { return c.log.retention_us; }, true),
         [](const config& c) { return dur(c.log.retention_us); }},
        {"log.retention_bytes", "Bytes a partition keeps before its oldest segments go (-1 = keep)",
         number_setting<int64_t>([](config& c) -> int64_t& { return c.log.retention_bytes; }, -1, INT64_MAX,
                                 "a byte count"),
         [](const config& c) { return std::to_string(c.log.retention_bytes); }},
        {"engine.intervals", "Candle intervals, comma-separated",
         [](config& c, const std::string& v) -> std::optional<std::string> {
             std::vector<model::interval> out;
             for (const auto& s : split_list(v)) {
                 auto iv = model::interval::parse(s);
                 if (!iv) {
                     return fmt::format("'{}' is not an interval: use forms like 1s, 1m, 5m, 1h, 1d", s);
                 }
                 if (std::find(out.begin(), out.end(), *iv) != out.end()) {
                     return fmt::format("interval {} is listed twice: list each interval once", iv->name());
                 }
                 out.push_back(*iv);
             }
             if (out.empty()) {
                 return std::string("the list of intervals is empty: give at least one, like 1m");
             }
             c.engine.intervals = out;
             return std::nullopt;
         },
         [](const config& c) {
             std::vector<std::string> n;
             for (const auto& iv : c.engine.intervals) {
                 n.push_back(iv.name());
             }
             return fmt::format("{}", fmt::join(n, ","));
         }},
        {"engine.out_of_orderness", "How far behind the newest tick the watermark trails",
         duration_setting([](config& c) -> int64_t& { return c.engine.out_of_orderness_us; }, false),
         [](const config& c) { return dur(c.engine.out_of_orderness_us); }},
        {"engine.allowed_lateness",
         "How long a final window still takes late ticks (later ones are dead-lettered)",
         duration_setting([](config& c) -> int64_t& { return c.engine.allowed_lateness_us; }, false),
         [](const config& c) { return dur(c.engine.allowed_lateness_us); }},
        {"engine.fill_gaps",
         "Answer empty windows between windows with ticks as fillers (previous close, volume 0)",
         bool_setting([](config& c) -> bool& { return c.engine.fill_gaps; }),
         [](const config& c) { return std::string(c.engine.fill_gaps ? "true" : "false"); }},
        {"engine.max_future",
         "Ticks whose event time is further ahead of the wall clock than this are dead-lettered (off = keep "
         "all)",
         duration_setting([](config& c) -> int64_t& { return c.engine.max_future_us; }, true),
         [](const config& c) { return dur(c.engine.max_future_us); }},
        {"process.commit_interval", "Longest a processed tick waits for its store write",
         duration_setting([](config& c) -> int64_t& { return c.process.commit_interval_us; }, false),
         [](const config& c) { return dur(c.process.commit_interval_us); }},
        {"process.max_batch", "Most ticks in one store write",
         number_setting<int64_t>([](config& c) -> int64_t& { return c.process.max_batch; }, 1, 10'000'000,
                                 "a count"),
         [](const config& c) { return std::to_string(c.process.max_batch); }},
        {"process.store_ticks", "Keep every raw tick in the ticks table",
         bool_setting([](config& c) -> bool& { return c.process.store_ticks; }),
         [](const config& c) { return std::string(c.process.store_ticks ? "true" : "false"); }},
        {"store.ticks_retention",
         "Raw ticks older than this behind the newest stored tick are deleted (off = keep)",
         duration_setting([](config& c) -> int64_t& { return c.store.ticks_retention_us; }, true),
         [](const config& c) { return dur(c.store.ticks_retention_us); }},
        {"store.uri",
         "Empty = the embedded store in the data folder; or cassandra://HOST[,HOST][:PORT]/KEYSPACE "
         "(password from MDSP_CASSANDRA_PASSWORD)",
         string_setting(nullptr, [](config& c) -> std::string& { return c.store.uri; }),
         [](const config& c) { return c.store.uri; }},
        {"store.cassandra_init", "Create the Cassandra keyspace and tables when missing, at start",
         bool_setting([](config& c) -> bool& { return c.store.cassandra_init; }),
         [](const config& c) { return std::string(c.store.cassandra_init ? "true" : "false"); }},
        {"store.cassandra_replication", "Replication of the keyspace store.cassandra_init creates (CQL map)",
         string_setting(nullptr, [](config& c) -> std::string& { return c.store.cassandra_replication; }),
         [](const config& c) { return c.store.cassandra_replication; }},
        {"twelvedata.symbols", "TwelveData symbols, comma-separated (key: TWELVEDATA_API_KEY)",
         symbols_setting([](config& c) -> std::vector<std::string>& { return c.twelvedata.symbols; }),
         [](const config& c) { return fmt::format("{}", fmt::join(c.twelvedata.symbols, ",")); }},
        {"twelvedata.ws_url", "TwelveData price WebSocket endpoint",
         string_setting(nullptr, [](config& c) -> std::string& { return c.twelvedata.ws_url; }),
         [](const config& c) { return c.twelvedata.ws_url; }},
        {"twelvedata.ca_file", "Extra trusted CA certificate (PEM) for the TwelveData endpoint",
         string_setting(nullptr, [](config& c) -> std::string& { return c.twelvedata.ca_file; }),
         [](const config& c) { return c.twelvedata.ca_file; }},
        {"twelvedata.heartbeat", "Time between heartbeats sent to TwelveData",
         duration_setting([](config& c) -> int64_t& { return c.twelvedata.heartbeat_us; }, false),
         [](const config& c) { return dur(c.twelvedata.heartbeat_us); }},
        {"twelvedata.watchdog", "Reconnect when TwelveData sends nothing for this long",
         duration_setting([](config& c) -> int64_t& { return c.twelvedata.watchdog_us; }, false),
         [](const config& c) { return dur(c.twelvedata.watchdog_us); }},
        {"twelvedata.backoff_min", "First wait before reconnecting (doubles per failure, with jitter)",
         duration_setting([](config& c) -> int64_t& { return c.twelvedata.backoff_min_us; }, false),
         [](const config& c) { return dur(c.twelvedata.backoff_min_us); }},
        {"twelvedata.backoff_max", "Longest wait before reconnecting",
         duration_setting([](config& c) -> int64_t& { return c.twelvedata.backoff_max_us; }, false),
         [](const config& c) { return dur(c.twelvedata.backoff_max_us); }},
        {"twelvedata.future_tolerance",
         "How far ahead of the clock a timestamp may be before it counts as bad",
         duration_setting([](config& c) -> int64_t& { return c.twelvedata.future_tolerance_us; }, false),
         [](const config& c) { return dur(c.twelvedata.future_tolerance_us); }},
        {"twelvedata.clamp_future", "Clamp too-new timestamps to now (false: dead-letter them)",
         bool_setting([](config& c) -> bool& { return c.twelvedata.clamp_future; }),
         [](const config& c) { return std::string(c.twelvedata.clamp_future ? "true" : "false"); }},
        {"twelvedata.rest_url", "TwelveData REST endpoint, for gap repair and mdsp backfill",
         string_setting(nullptr, [](config& c) -> std::string& { return c.twelvedata.rest_url; }),
         [](const config& c) { return c.twelvedata.rest_url; }},
        {"twelvedata.gap_repair",
         "After a reconnect or restart, fetch the missed minutes as 1m bars from the REST API",
         bool_setting([](config& c) -> bool& { return c.twelvedata.gap_repair; }),
         [](const config& c) { return std::string(c.twelvedata.gap_repair ? "true" : "false"); }},
        {"twelvedata.gap_repair_max",
         "Gaps longer than this are cut to their newest part (use mdsp backfill)",
         duration_setting([](config& c) -> int64_t& { return c.twelvedata.gap_repair_max_us; }, false),
         [](const config& c) { return dur(c.twelvedata.gap_repair_max_us); }},
        {"twelvedata.credits_per_minute",
         "REST requests per minute at most (your plan's API credits; the free plan has 8); 0 = no limit",
         number_setting<int>([](config& c) -> int& { return c.twelvedata.credits_per_minute; }, 0, 100000,
                             "a number of credits"),
         [](const config& c) { return std::to_string(c.twelvedata.credits_per_minute); }},
        {"binance.symbols", "Binance pairs, comma-separated, like btcusdt,ethusdt (no key needed)",
         symbols_setting([](config& c) -> std::vector<std::string>& { return c.binance.symbols; }),
         [](const config& c) { return fmt::format("{}", fmt::join(c.binance.symbols, ",")); }},
        {"binance.ws_url", "Binance combined-stream WebSocket endpoint",
         string_setting(nullptr, [](config& c) -> std::string& { return c.binance.ws_url; }),
         [](const config& c) { return c.binance.ws_url; }},
        {"binance.ca_file", "Extra trusted CA certificate (PEM) for the Binance endpoint",
         string_setting(nullptr, [](config& c) -> std::string& { return c.binance.ca_file; }),
         [](const config& c) { return c.binance.ca_file; }},
        {"binance.watchdog", "Reconnect when Binance sends nothing (no trade, no ping) for this long",
         duration_setting([](config& c) -> int64_t& { return c.binance.watchdog_us; }, false),
         [](const config& c) { return dur(c.binance.watchdog_us); }},
        {"binance.max_connection_age", "Open a successor connection after this long (Binance closes at 24h)",
         duration_setting([](config& c) -> int64_t& { return c.binance.max_connection_age_us; }, false),
         [](const config& c) { return dur(c.binance.max_connection_age_us); }},
        {"schema_registry.url",
         "External Confluent-compatible schema registry, http://HOST:PORT (empty: mdsp serves its own at "
         "/subjects)",
         [](config& c, const std::string& v) -> std::optional<std::string> {
             if (!v.empty()) {
                 if (auto r = registry::client::create(v); !r) {
                     return r.error().what();
                 }
             }
             c.schema_registry.url = v;
             return std::nullopt;
         },
         [](const config& c) { return c.schema_registry.url; }},
        {"kafka.brokers", "Kafka bootstrap servers, HOST:PORT[,HOST:PORT]; empty = the local log",
         string_setting(nullptr, [](config& c) -> std::string& { return c.kafka.brokers; }),
         [](const config& c) { return c.kafka.brokers; }},
        {"kafka.group", "Consumer group of `mdsp process` (its replicas share the partitions)",
         string_setting(nullptr, [](config& c) -> std::string& { return c.kafka.group; }),
         [](const config& c) { return c.kafka.group; }},
        {"kafka.partitions", "Partitions of market.ticks when mdsp creates it",
         number_setting<int>([](config& c) -> int& { return c.kafka.partitions; }, 1, 10000,
                             "a partition count"),
         [](const config& c) { return std::to_string(c.kafka.partitions); }},
        {"kafka.replication_factor", "Replication factor of topics mdsp creates (-1 = the broker's default)",
         number_setting<int>([](config& c) -> int& { return c.kafka.replication_factor; }, -1, 32,
                             "a replication factor"),
         [](const config& c) { return std::to_string(c.kafka.replication_factor); }},
        {"kafka.topic_prefix",
         "Prefix of the topic names on Kafka (PREFIXmarket.ticks, ...), for pipelines sharing a cluster",
         [](config& c, const std::string& v) -> std::optional<std::string> {
             // Kafka's legal topic characters, and room for the longest name (249 in all).
             bool legal = std::all_of(v.begin(), v.end(), [](char ch) {
                 return std::isalnum(static_cast<unsigned char>(ch)) != 0 || ch == '.' || ch == '_'
                        || ch == '-';
             });
             if (!legal || v.size() > 200) {
                 return fmt::format("'{}' is not a topic prefix: at most 200 of a-z, A-Z, 0-9, '.', '_', '-'",
                                    v);
             }
             c.kafka.topic_prefix = v;
             return std::nullopt;
         },
         [](const config& c) { return c.kafka.topic_prefix; }},
        {"kafka.create_topics", "Create missing topics through the Admin API",
         bool_setting([](config& c) -> bool& { return c.kafka.create_topics; }),
         [](const config& c) { return std::string(c.kafka.create_topics ? "true" : "false"); }},
        {"kafka.commit_interval", "Longest between two consumer-offset commits to Kafka",
         duration_setting([](config& c) -> int64_t& { return c.kafka.commit_interval_us; }, false),
         [](const config& c) { return dur(c.kafka.commit_interval_us); }},
        {"quality.enabled", "Run the data-quality checks on every tick (spikes, stalls, clock skew, order)",
         bool_setting([](config& c) -> bool& { return c.quality.enabled; }),
         [](const config& c) { return std::string(c.quality.enabled ? "true" : "false"); }},
        {"quality.top", "Symbols kept per check in /api/v1/quality (the most frequent)",
         number_setting<size_t>([](config& c) -> size_t& { return c.quality.top; }, 1, 1000, "a count"),
         [](const config& c) { return std::to_string(c.quality.top); }},
        quality_default("quality.spike_k",
                        "A return beyond this many robust deviations of the recent ones is a spike (0 = off)",
                        "spike_k"),
        quality_default("quality.min_jump", "...and only when beyond this fraction (0.02 = 2 %)", "min_jump"),
        quality_default("quality.max_jump", "A jump beyond this fraction is a spike in any case (0 = off)",
                        "max_jump"),
        quality_default("quality.warmup", "Returns of a symbol before the spike_k rule and stalls apply",
                        "warmup"),
        quality_default("quality.stall_factor",
                        "A symbol silent this many times its usual gap while its source goes on is stalled "
                        "(0 = off)",
                        "stall_factor"),
        quality_default("quality.stall_min", "...and silent at least this long", "stall_min"),
        quality_default(
            "quality.max_skew",
            "Ingest time minus event time beyond this is clock skew (live sources; off = no check)",
            "max_skew"),
    };
    return all;
}

// [kafka.properties] "name" = value: passed to librdkafka as they are.
constexpr std::string_view kafka_properties_prefix = "kafka.properties.";

std::string env_name(std::string_view path) {
    std::string out = "MDSP_";
    for (char ch : path) {
        out += ch == '.' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
    }
    return out;
}

const setting* find(std::string_view path) {
    for (const auto& s : settings()) {
        if (path == s.path) {
            return &s;
        }
    }
    return nullptr;
}

std::string known_paths() {
    std::vector<std::string> p;
    for (const auto& s : settings()) {
        p.emplace_back(s.path);
    }
    return fmt::format("{}", fmt::join(p, ", "));
}

// TOML values as the text a flag would give.
std::optional<std::string> node_text(const toml::node& n) {
    if (auto s = n.value<std::string>(); s && n.is_string()) {
        return *s;
    }
    if (n.is_integer()) {
        return std::to_string(*n.value<int64_t>());
    }
    if (n.is_floating_point()) {
        return fmt::format("{}", *n.value<double>());
    }
    if (n.is_boolean()) {
        return *n.value<bool>() ? "true" : "false";
    }
    if (const auto* a = n.as_array()) {
        std::vector<std::string> parts;
        for (const auto& e : *a) {
            auto t = node_text(e);
            if (!t || e.is_array()) {
                return std::nullopt;
            }
            parts.push_back(*t);
        }
        return fmt::format("{}", fmt::join(parts, ","));
    }
    return std::nullopt;
}

// [quality.symbols."SYM"] / [quality.asset_types."TYPE"]: the names may hold
// dots, so they are not setting paths; applied after the whole file, each
// starting from the file's [quality] values.
struct quality_override {
    bool symbol = false;
    std::string name;
    const toml::table* values = nullptr;
};

result<void> apply_overrides(config& c, const std::vector<quality_override>& all, const std::string& file) {
    for (const auto& o : all) {
        auto& into = o.symbol ? c.quality.symbols : c.quality.asset_types;
        stream::quality_thresholds t = c.quality.defaults;
        for (const auto& [k, v] : *o.values) {
            const char* where = o.symbol ? "symbols" : "asset_types";
            auto text = node_text(v);
            if (!text || v.is_table()) {
                return make_error(errc::bad_config,
                                  "{}:{}: quality.{}.\"{}\".{} needs a number or a duration", file,
                                  v.source().begin.line, where, o.name, k.str());
            }
            if (auto err = internal::set_quality_threshold(t, k.str(), *text)) {
                return make_error(errc::bad_config, "{}:{}: quality.{}.\"{}\".{}: {}", file,
                                  v.source().begin.line, where, o.name, k.str(), *err);
            }
        }
        into[o.name] = t;
    }
    return ok();
}

result<void> walk(config& c, const toml::table& t, const std::string& prefix, const std::string& file,
                  std::vector<quality_override>& overrides) {
    for (const auto& [k, v] : t) {
        std::string path = prefix.empty() ? std::string(k.str()) : prefix + "." + std::string(k.str());
        if (path == "quality.symbols" || path == "quality.asset_types") {
            const auto* names = v.as_table();
            if (!names) {
                return make_error(errc::bad_config, "{}:{}: {} must be a table of tables, like [{}.\"NAME\"]",
                                  file, v.source().begin.line, path, path);
            }
            for (const auto& [name, values] : *names) {
                const auto* vt = values.as_table();
                if (!vt) {
                    return make_error(errc::bad_config, "{}:{}: {}.\"{}\" must be a table of settings", file,
                                      values.source().begin.line, path, name.str());
                }
                overrides.push_back({path == "quality.symbols", std::string(name.str()), vt});
            }
            continue;
        }
        if (const auto* sub = v.as_table()) {
            if (auto r = walk(c, *sub, path, file, overrides); !r) {
                return r;
            }
            continue;
        }
        const auto& src = v.source();
        if (path.rfind(kafka_properties_prefix, 0) == 0) {
            auto text = node_text(v);
            if (!text || path.size() == kafka_properties_prefix.size()) {
                return make_error(errc::bad_config, "{}:{}: {} needs a text, number or boolean value", file,
                                  src.begin.line, path);
            }
            c.kafka.properties[path.substr(kafka_properties_prefix.size())] = *text;
            continue;
        }
        const setting* s = find(path);
        if (!s) {
            return make_error(errc::bad_config, "{}:{}: unknown setting '{}'; the settings are: {}", file,
                              src.begin.line, path, known_paths());
        }
        auto text = node_text(v);
        if (!text) {
            return make_error(errc::bad_config, "{}:{}: {} has a value of the wrong type: {}", file,
                              src.begin.line, path, s->help);
        }
        if (auto err = s->parse(c, *text)) {
            return make_error(errc::bad_config, "{}:{}: {}: {}", file, src.begin.line, path, *err);
        }
    }
    return ok();
}

} // namespace

std::vector<setting_info> describe(const config& c) {
    std::vector<setting_info> out;
    for (const auto& s : settings()) {
        out.push_back({s.path, env_name(s.path), s.help, s.print(c)});
    }
    for (const auto& [k, v] : c.kafka.properties) {
        std::string path = std::string(kafka_properties_prefix) + k;
        std::string env = "MDSP_KAFKA_PROPERTIES_";
        for (char ch : k) {
            env += ch == '.' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
        }
        out.push_back({path, env, "librdkafka property, passed as it is",
                       bus::is_secret_property(k) ? std::string("***") : v});
    }
    return out;
}

result<void> set(config& c, const std::string& path, const std::string& value) {
    if (path.rfind(kafka_properties_prefix, 0) == 0 && path.size() > kafka_properties_prefix.size()) {
        c.kafka.properties[path.substr(kafka_properties_prefix.size())] = value;
        return ok();
    }
    const setting* s = find(path);
    if (!s) {
        return make_error(errc::bad_config, "unknown setting '{}'; the settings are: {}", path,
                          known_paths());
    }
    if (auto err = s->parse(c, value)) {
        return make_error(errc::bad_config, "{}: {}", path, *err);
    }
    return ok();
}

result<void> load_file(config& c, const std::string& path) {
    toml::table t;
    try {
        t = toml::parse_file(path);
    } catch (const toml::parse_error& e) {
        const auto& src = e.source();
        if (!src.begin) {
            return make_error(errc::io_error, "cannot read the config file {}: {}", path, e.description());
        }
        return make_error(errc::bad_config, "{}:{}:{}: {}", path, src.begin.line, src.begin.column,
                          e.description());
    }
    std::vector<quality_override> overrides;
    if (auto r = walk(c, t, "", path, overrides); !r) {
        return r;
    }
    if (auto r = apply_overrides(c, overrides, path); !r) {
        return r;
    }
    if (auto r = stream::quality_config::validate(c.quality); !r) {
        return make_error(errc::bad_config, "{}: {}", path, r.error().what());
    }
    return ok();
}

result<void> load_env(config& c) {
    for (const auto& s : settings()) {
        std::string name = env_name(s.path);
        if (const char* v = std::getenv(name.c_str())) {
            if (auto err = s.parse(c, v)) {
                return make_error(errc::bad_config, "environment variable {}: {}", name, *err);
            }
        }
    }
    // MDSP_KAFKA_PROPERTIES_SASL_PASSWORD=... sets sasl.password: how secrets
    // reach librdkafka without a file.
    constexpr std::string_view prop_env = "MDSP_KAFKA_PROPERTIES_";
    for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
        std::string_view kv(*e);
        auto eq = kv.find('=');
        if (kv.rfind(prop_env, 0) != 0 || eq == std::string_view::npos || eq == prop_env.size()) {
            continue;
        }
        std::string name;
        for (char ch : kv.substr(prop_env.size(), eq - prop_env.size())) {
            name += ch == '_' ? '.' : static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
        }
        c.kafka.properties[name] = std::string(kv.substr(eq + 1));
    }
    return ok();
}

} // namespace mdsp::app
