#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "model/interval.h"
#include "stream/quality.h"

namespace mdsp::pipeline {

// Every setting of mdsp, with its default. Loaded in this order, later wins:
// defaults, the TOML file (--config or MDSP_CONFIG), MDSP_* environment
// variables (MDSP_<SECTION>_<KEY>, e.g. MDSP_HTTP_PORT), command-line flags.
struct config {
    std::string data_dir = "data";
    std::string log_level = "info";

    struct http_t {
        std::string address = "127.0.0.1";
        int port = 8080;
    } http;

    struct source_t {
        // "sim" or "replay:FILE".
        std::string spec = "sim";
    } source;

    struct sim_t {
        std::vector<std::string> symbols{"BTC/USD", "ETH/USD", "AAPL", "MSFT", "EUR/USD"};
        double rate = 1000; // ticks/s over all symbols; 0 = as fast as possible
        uint64_t seed = 42;
    } sim;

    struct replay_t {
        double speed = 0;   // 0 = as fast as possible, else real time times this factor
        std::string symbol; // for Binance CSVs; empty = from the folder name
        std::string format = "auto";
    } replay;

    struct log_t {
        int partitions = 4;
        std::string fsync = "interval"; // always | interval | never
        int64_t fsync_interval_us = 1'000'000;
        int64_t segment_bytes = 128LL << 20;
        int64_t retention_us = 7 * 24 * 3600LL * 1'000'000; // -1 = keep
        int64_t retention_bytes = -1;                       // per partition; -1 = keep
    } log;

    struct engine_t {
        std::vector<model::interval> intervals = model::default_intervals();
        int64_t out_of_orderness_us = 2'000'000;
        int64_t allowed_lateness_us = 60'000'000;
        bool fill_gaps = true;
        // A tick further ahead of the wall clock than this is dead-lettered
        // (a bad print from the far future would otherwise move the
        // watermark past every real tick); 0 = off.
        int64_t max_future_us = 24 * 3600LL * 1'000'000;
    } engine;

    // [quality]: the data-quality checks of the processing stage (stream/quality.h);
    // [quality.symbols."SYM"] and [quality.asset_types."TYPE"] override them.
    stream::quality_config quality;

    struct process_t {
        int64_t commit_interval_us = 2'000; // longest a processed tick waits for its store write
        int64_t max_batch = 20'000;         // ticks per store write at most
        bool store_ticks = true;            // keep raw ticks in the ticks table
    } process;

    struct store_t {
        int64_t ticks_retention_us = 30 * 24 * 3600LL * 1'000'000; // 0 = keep
        // Empty: the embedded RocksDB store in the data folder. Or
        // cassandra://HOST[,HOST][:PORT]/KEYSPACE[?dc=&user=&tls=&protocol_version=...]
        // (cql/uri.h; the password only from MDSP_CASSANDRA_PASSWORD).
        std::string uri;
        bool cassandra_init = false; // create the keyspace and tables when missing
        std::string cassandra_replication = "{'class': 'NetworkTopologyStrategy', 'replication_factor': 3}";
    } store;

    // Live feeds (source.spec twelvedata / binance). The TwelveData key comes
    // only from the environment variable TWELVEDATA_API_KEY, never from here.
    struct twelvedata_t {
        std::vector<std::string> symbols{"AAPL", "EUR/USD"};
        std::string ws_url = "wss://ws.twelvedata.com/v1/quotes/price";
        std::string ca_file; // extra trusted CA (PEM), added to the system store
        int64_t heartbeat_us = 10'000'000;
        int64_t watchdog_us = 30'000'000;
        int64_t backoff_min_us = 1'000'000;
        int64_t backoff_max_us = 60'000'000;
        int64_t future_tolerance_us = 5'000'000;
        bool clamp_future = false;
        // Gap repair and mdsp backfill: REST /time_series bars.
        std::string rest_url = "https://api.twelvedata.com";
        bool gap_repair = true;
        int64_t gap_repair_max_us = 7 * 86'400'000'000LL; // longer gaps: mdsp backfill
        int credits_per_minute = 8;                       // the free plan's
    } twelvedata;

    struct binance_t {
        std::vector<std::string> symbols{"btcusdt"};
        std::string ws_url = "wss://stream.binance.com:9443/stream";
        std::string ca_file;
        int64_t watchdog_us = 60'000'000;
        int64_t max_connection_age_us = 23 * 3600LL * 1'000'000;
    } binance;
    struct schema_registry_t {
        // An external Confluent-compatible registry (http://HOST:PORT); empty:
        // mdsp's own, served with the HTTP API.
        std::string url;
    } schema_registry;

    // The distributed bus (`--kafka BROKERS`); empty brokers = the local log.
    struct kafka_t {
        std::string brokers;                    // bootstrap.servers
        std::string group = "mdsp-process";     // consumer group of `mdsp process`
        int partitions = 8;                     // of market.ticks when mdsp creates it
        int replication_factor = -1;            // of topics mdsp creates; -1 = the broker's default
        bool create_topics = true;              // create missing topics through the Admin API
        int64_t commit_interval_us = 1'000'000; // longest between two offset commits to Kafka
        // Put before market.ticks, market.candles and market.deadletter, so
        // several pipelines (or tests) share one cluster; "" = the plain names.
        std::string topic_prefix;
        // librdkafka properties as they are ([kafka.properties] in TOML,
        // --set kafka.properties.NAME=V, MDSP_KAFKA_PROPERTIES_NAME with _ for .).
        std::map<std::string, std::string> properties;
    } kafka;
};

} // namespace mdsp::pipeline
