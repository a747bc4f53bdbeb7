// mdsp: one binary for every stage of the market-data pipeline.
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "app/cassandra_commands.h"
#include "app/commands.h"
#include "app/config.h"
#include "app/kafka_commands.h"
#include "base/logging.h"
#include "bus/kafka.h"

namespace {

using mdsp::app::config;

// Flags that map onto settings; applied after the config file and MDSP_*.
struct flag_settings {
    std::vector<std::pair<std::string, std::string>> values; // path, value
    std::vector<std::string> sets;                           // --set KEY=VALUE
    std::string config_file;
};

void add_common(CLI::App* cmd, flag_settings& fs) {
    cmd->add_option("-c,--config", fs.config_file, "TOML config file (also MDSP_CONFIG)");
    cmd->add_option_function<std::string>(
        "-d,--data-dir", [&fs](const std::string& v) { fs.values.emplace_back("data_dir", v); },
        "Data folder: log, store, checkpoints [data]");
    cmd->add_option_function<std::string>(
        "--log-level", [&fs](const std::string& v) { fs.values.emplace_back("log_level", v); },
        "trace, debug, info, warn, error or off [info]");
    cmd->add_option("--set", fs.sets,
                    "Any setting as KEY=VALUE, e.g. --set engine.allowed_lateness=5m (see `mdsp config`)");
}

// --http ADDR:PORT or PORT as the settings http.address and http.port.
void set_http_address(flag_settings& fs, const std::string& v) {
    auto colon = v.rfind(':');
    if (colon == std::string::npos) {
        fs.values.emplace_back("http.port", v);
        return;
    }
    if (colon > 0) {
        fs.values.emplace_back("http.address", v.substr(0, colon));
    }
    fs.values.emplace_back("http.port", v.substr(colon + 1));
}

void add_http(CLI::App* cmd, flag_settings& fs) {
    cmd->add_option_function<std::string>(
        "--http", [&fs](const std::string& v) { set_http_address(fs, v); },
        "HTTP listen address, ADDR:PORT or PORT [127.0.0.1:8080]");
}

void add_schema_registry(CLI::App* cmd, flag_settings& fs) {
    cmd->add_option_function<std::string>(
        "--schema-registry",
        [&fs](const std::string& v) { fs.values.emplace_back("schema_registry.url", v); },
        "External Confluent-compatible schema registry, http://HOST:PORT; the model schemas are registered "
        "there (default: mdsp serves its own at /subjects on the HTTP port)");
}

void add_replay_flags(CLI::App* cmd, flag_settings& fs) {
    cmd->add_option_function<std::string>(
        "--speed", [&fs](const std::string& v) { fs.values.emplace_back("replay.speed", v); },
        "Replay pace: max, or a factor of real time like 60 [max]");
    cmd->add_option_function<std::string>(
        "--symbol", [&fs](const std::string& v) { fs.values.emplace_back("replay.symbol", v); },
        "Symbol of every tick of a file without a symbol column or key (a Binance trades CSV defaults to "
        "the <PAIR> of a binance-<pair> folder)");
    cmd->add_option_function<std::string>(
        "--format", [&fs](const std::string& v) { fs.values.emplace_back("replay.format", v); },
        "auto, binance, csv or jsonl [auto: from the first line]");
}

// What `mdsp replay --help` says the file may hold (README: What mdsp replay reads).
constexpr const char* replay_forms =
    "FILE holds one of:\n"
    "  Binance aggregate trades: agg_trade_id,price,qty,first_trade_id,last_trade_id,time_ms,is_buyer_maker\n"
    "    (header optional; symbol from a binance-<pair> folder or --symbol)\n"
    "  CSV with a header naming, in any order and any case (other columns ignored):\n"
    "    time: time|timestamp|ts   price: price|p   size (optional): size|qty|quantity|amount|volume\n"
    "    symbol (or --symbol): symbol|pair|instrument\n"
    "  JSON lines: TwelveData events, or objects with the same keys as the CSV columns\n"
    "Times: ISO 8601 (2024-01-02T03:04:05.123456789Z, T or space, any fraction digits, Z, +02:00,\n"
    "  +0200, -05 or none = UTC), or a Unix time, integer or fractional, plain or 1.7e9: up to 11\n"
    "  integer digits seconds, 12-14 ms, 15-17 us, 18+ ns; a name suffix such as _s, _ms, _us, _ns\n"
    "  (time_ms, ts_ns) sets the unit. Kept to the microsecond (finer digits cut), 1970 to 9999.\n"
    "Prices and sizes: plain or exponent notation (0.00141342, 1e-5, 2.5E+3).\n"
    "gzip files (told by their first bytes, not the name) are read directly.\n"
    "A line that cannot be read is dead-lettered with file, line and reason; the replay goes on.";

// Defaults, then the file, then the environment, then the flags.
int build_config(const flag_settings& fs, config& cfg) {
    std::string file = fs.config_file;
    if (file.empty()) {
        if (const char* e = std::getenv("MDSP_CONFIG")) {
            file = e;
        }
    }
    if (!file.empty()) {
        if (auto r = mdsp::app::load_file(cfg, file); !r) {
            std::fprintf(stderr, "mdsp: %s\n", r.error().what().c_str());
            return 2;
        }
    }
    if (auto r = mdsp::app::load_env(cfg); !r) {
        std::fprintf(stderr, "mdsp: %s\n", r.error().what().c_str());
        return 2;
    }
    for (const auto& [path, value] : fs.values) {
        if (auto r = mdsp::app::set(cfg, path, value); !r) {
            std::fprintf(stderr, "mdsp: %s\n", r.error().what().c_str());
            return 2;
        }
    }
    for (const auto& kv : fs.sets) {
        auto eq = kv.find('=');
        if (eq == std::string::npos) {
            std::fprintf(stderr, "mdsp: --set %s: write KEY=VALUE, e.g. --set http.port=9090\n", kv.c_str());
            return 2;
        }
        if (auto r = mdsp::app::set(cfg, kv.substr(0, eq), kv.substr(eq + 1)); !r) {
            std::fprintf(stderr, "mdsp: --set: %s\n", r.error().what().c_str());
            return 2;
        }
    }
    return 0;
}

// Every subcommand, its flags, and what the command line asked.
struct cli {
    flag_settings fs;
    mdsp::app::run_options opts;
    mdsp::app::backfill_options bopts;
    mdsp::app::kafka_options kopts;
    CLI::App* up = nullptr;
    CLI::App* replay = nullptr;
    CLI::App* serve = nullptr;
    CLI::App* bench = nullptr;
    CLI::App* cfgcmd = nullptr;
    CLI::App* dl = nullptr;
    CLI::App* backfill = nullptr;
    CLI::App* ingest = nullptr;
    CLI::App* process = nullptr;
    CLI::App* kmock = nullptr;
    CLI::App* cassandra_init = nullptr;
    mdsp::app::cassandra_options copts;
};

void add_up(CLI::App& app, cli& c) {
    c.up = app.add_subcommand("up", "Run the whole pipeline: source, log, candle engine, store and HTTP API");
    add_common(c.up, c.fs);
    add_http(c.up, c.fs);
    add_replay_flags(c.up, c.fs);
    add_schema_registry(c.up, c.fs);
    c.up->add_option_function<std::string>(
        "-s,--source", [&fs = c.fs](const std::string& v) { fs.values.emplace_back("source.spec", v); },
        "Where ticks come from: sim, replay:FILE, twelvedata (live; needs TWELVEDATA_API_KEY) or binance "
        "(live trades, no key) [sim]");
    c.up->add_option_function<std::string>(
        "--symbols",
        [&fs = c.fs](const std::string& v) {
            fs.values.emplace_back("sim.symbols", v);
            fs.values.emplace_back("twelvedata.symbols", v);
            fs.values.emplace_back("binance.symbols", v);
        },
        "Symbols, comma-separated: simulated [BTC/USD,ETH/USD,AAPL,MSFT,EUR/USD], TwelveData [AAPL,EUR/USD] "
        "or Binance pairs [btcusdt]");
    c.up->add_option_function<std::string>(
        "--rate", [&fs = c.fs](const std::string& v) { fs.values.emplace_back("sim.rate", v); },
        "Simulated ticks per second, 0 = as fast as possible [1000]");
    c.up->add_option_function<std::string>(
        "--seed", [&fs = c.fs](const std::string& v) { fs.values.emplace_back("sim.seed", v); },
        "Seed of the simulator [42]");
    c.up->add_flag("--exit-when-done", c.opts.exit_when_done,
                   "With a replay source: exit once the file is fully processed");
}

void add_local_commands(CLI::App& app, cli& c) {
    c.replay = app.add_subcommand(
        "replay", "Replay a file through log, engine and store, finalize every candle, and exit");
    add_common(c.replay, c.fs);
    add_replay_flags(c.replay, c.fs);
    c.replay
        ->add_option("FILE", c.opts.replay_file,
                     "Binance trades CSV, CSV with a header, or JSON lines; plain or gzip (see below)")
        ->required()
        ->check(CLI::ExistingFile);
    c.replay->footer(replay_forms);

    c.serve = app.add_subcommand("serve", "Serve the HTTP API over the store of a data folder");
    add_common(c.serve, c.fs);
    add_http(c.serve, c.fs);
    add_schema_registry(c.serve, c.fs);

    c.bench = app.add_subcommand("bench", "Measure throughput and latency of the pipeline on this machine");
    add_common(c.bench, c.fs);
    c.bench->add_option("--seconds", c.opts.bench_seconds, "Length of each timed phase [5]")
        ->check(CLI::PositiveNumber);
    c.bench->add_option("--latency-rate", c.opts.bench_latency_rate, "Tick rate of the latency phase [50000]")
        ->check(CLI::PositiveNumber);
    c.bench->add_option(
        "--only", c.opts.bench_only,
        "Comma-separated subset of pipeline,latency,engine,log,twelvedata; kafka (only when named) runs "
        "the Kafka bus on a real Apache Kafka beside Kafka's own ProducerPerformance and "
        "ConsumerPerformance; "
        "cassandra (only when named) runs candle and tick upserts into a real Apache Cassandra beside "
        "the DataStax Python driver, then ingest -> Kafka -> process -> Cassandra; "
        "universe (only when named) replays the same ticks over 10 to 100,000 symbols");
    c.bench->add_option(
        "--kafka", c.opts.bench_kafka,
        "The Kafka of the kafka phase and of the cassandra phase's cluster path: HOST:PORT[,...] of one that "
        "runs, or mock (librdkafka's mock "
        "cluster, no baselines) [a 1-node Apache Kafka started with tests/cluster/kafka_cluster.py; "
        "its jars come from scripts/setup]");
    c.bench->add_option(
        "--cassandra", c.opts.bench_cassandra,
        "The cassandra phase's cluster: cassandra://HOST[,HOST][:PORT]/KEYSPACE[?user=..] of one that runs "
        "(keyspaces KEYSPACE_<pid>_* are made and dropped; password from MDSP_CASSANDRA_PASSWORD) [a 1-node "
        "Apache Cassandra started with tests/cluster/cassandra_cluster.py; its jars come from scripts/setup; "
        "the Python driver from .venv]");
    c.bench
        ->add_option("--universe-ticks", c.opts.bench_universe_ticks,
                     "Ticks of each replay of the universe phase [1000000]")
        ->check(CLI::Range(size_t{1000}, size_t{100'000'000}));

    c.cfgcmd = app.add_subcommand("config", "Print every setting: value, environment variable and meaning");
    add_common(c.cfgcmd, c.fs);

    c.dl = app.add_subcommand("deadletters",
                              "Print the dead letters of a data folder (or, with --kafka, the cluster's "
                              "market.deadletter) as JSON lines");
    add_common(c.dl, c.fs);
    c.dl->add_option("-n,--limit", c.opts.limit, "Print at most this many, newest last [100]");
}

void add_backfill(CLI::App& app, cli& c) {
    c.backfill = app.add_subcommand(
        "backfill", "Fetch history from TwelveData's REST API into the store as candles marked backfilled "
                    "(needs TWELVEDATA_API_KEY; paced by your plan's credits)");
    add_common(c.backfill, c.fs);
    c.backfill
        ->add_option_function<std::string>(
            "--symbols",
            [&fs = c.fs](const std::string& v) { fs.values.emplace_back("twelvedata.symbols", v); },
            "TwelveData symbols, comma-separated: AAPL,EUR/USD")
        ->required();
    c.backfill->add_option("--from", c.bopts.from, "Start: 2024-01-02, 2024-01-02T15:30:00Z or Unix seconds")
        ->required();
    c.backfill->add_option("--to", c.bopts.to, "End (exclusive), same forms [now]");
    c.backfill->add_option("--interval", c.bopts.interval,
                           "Bar width: 1m, 5m, 15m, 30m, 45m, 1h, 2h, 4h, 8h, 1d [1m]");
    c.backfill->add_option_function<std::string>(
        "--credits-per-minute",
        [&fs = c.fs](const std::string& v) { fs.values.emplace_back("twelvedata.credits_per_minute", v); },
        "Requests per minute at most: your plan's API credits [8, the free plan's]");
}

// Kafka as the bus (README "Kafka").
void add_kafka_commands(CLI::App& app, cli& c) {
    auto add_kafka = [&c](CLI::App* cmd) {
        cmd->add_option_function<std::string>(
            "--kafka", [&fs = c.fs](const std::string& v) { fs.values.emplace_back("kafka.brokers", v); },
            "Kafka bootstrap servers HOST:PORT[,HOST:PORT]: use Kafka as the bus instead of the local log "
            "(also kafka.brokers; librdkafka properties under [kafka.properties])");
    };
    add_kafka(c.up);
    add_kafka(c.dl);
    // The store (README "Cassandra"): the embedded one unless --store names a cluster.
    auto add_store = [&c](CLI::App* cmd) {
        cmd->add_option_function<std::string>(
            "--store", [&fs = c.fs](const std::string& v) { fs.values.emplace_back("store.uri", v); },
            "cassandra://HOST[,HOST][:PORT]/KEYSPACE: store candles, ticks and state in Cassandra instead of "
            "the data folder (also store.uri; password from MDSP_CASSANDRA_PASSWORD)");
    };
    for (CLI::App* cmd : {c.up, c.serve, c.replay, c.backfill}) {
        add_store(cmd);
    }
    c.ingest = app.add_subcommand("ingest", "Read the source into Kafka's market.ticks (needs --kafka)");
    add_common(c.ingest, c.fs);
    add_replay_flags(c.ingest, c.fs);
    add_kafka(c.ingest);
    c.ingest->add_option_function<std::string>(
        "-s,--source", [&fs = c.fs](const std::string& v) { fs.values.emplace_back("source.spec", v); },
        "Where ticks come from: sim, or replay:FILE [sim]");
    c.ingest->add_option_function<std::string>(
        "--rate", [&fs = c.fs](const std::string& v) { fs.values.emplace_back("sim.rate", v); },
        "Simulated ticks per second, 0 = as fast as possible [1000]");
    c.ingest->add_option_function<std::string>(
        "--symbols", [&fs = c.fs](const std::string& v) { fs.values.emplace_back("sim.symbols", v); },
        "Simulated symbols, comma-separated");
    c.process = app.add_subcommand(
        "process",
        "Consume Kafka's market.ticks in a consumer group into this data folder's store (needs --kafka)");
    add_common(c.process, c.fs);
    add_kafka(c.process);
    add_store(c.process);
    c.process->add_option_function<std::string>(
        "--group", [&fs = c.fs](const std::string& v) { fs.values.emplace_back("kafka.group", v); },
        "Consumer group; replicas in one group share the partitions [mdsp-process]");
    c.process->add_option_function<std::string>(
        "--http",
        [&fs = c.fs, &kopts = c.kopts](const std::string& v) {
            kopts.serve_http = true;
            set_http_address(fs, v);
        },
        "Also serve the API and /metrics over this replica's store at ADDR:PORT or PORT (0 = any)");
    c.process->add_flag(
        "--exit-when-done", c.kopts.exit_when_done,
        "Once every assigned partition is read to its end: finalize every window, commit, exit "
        "(for a bounded input already in the topic)");
    c.kmock = app.add_subcommand(
        "kafka-mock",
        "Run librdkafka's mock Kafka cluster on loopback, print its bootstrap address, run until "
        "Ctrl-C (for tests; no Java)");
    add_common(c.kmock, c.fs);
    c.kmock->add_option("--brokers", c.kopts.mock_brokers, "Number of brokers [3]")->check(CLI::Range(1, 64));
    c.kmock->add_option_function<std::string>(
        "--partitions", [&fs = c.fs](const std::string& v) { fs.values.emplace_back("kafka.partitions", v); },
        "Partitions of market.ticks and market.candles [8]");
}

void add_cassandra_commands(CLI::App& app, cli& c) {
    auto* cass = app.add_subcommand("cassandra", "Manage the Cassandra store (README \"Cassandra\")");
    cass->require_subcommand(1);
    c.cassandra_init = cass->add_subcommand(
        "init", "Create the keyspace and tables of the Cassandra store when missing (idempotent) and check "
                "that mdsp's statements prepare");
    add_common(c.cassandra_init, c.fs);
    c.cassandra_init->add_option_function<std::string>(
        "--store", [&fs = c.fs](const std::string& v) { fs.values.emplace_back("store.uri", v); },
        "cassandra://HOST[,HOST][:PORT]/KEYSPACE?user=NAME (also store.uri; password from "
        "MDSP_CASSANDRA_PASSWORD)");
    c.cassandra_init->add_option_function<std::string>(
        "--replication",
        [&fs = c.fs](const std::string& v) { fs.values.emplace_back("store.cassandra_replication", v); },
        "The keyspace's replication as a CQL map, e.g. \"{'class': 'NetworkTopologyStrategy', 'dc1': 3}\" "
        "(also store.cassandra_replication)");
    c.cassandra_init->add_flag("--print", c.copts.print,
                               "Print the CQL statements instead of running them (for cqlsh or a review)");
}

int dispatch(const cli& c, const config& cfg) {
    if (c.cassandra_init->parsed()) {
        return mdsp::app::cmd_cassandra_init(cfg, c.copts);
    }
    if (c.up->parsed() && !cfg.kafka.brokers.empty()) {
        return mdsp::app::cmd_up_kafka(cfg, c.opts);
    }
    // Checked before any store or Kafka is opened, so that the first message
    // names what is missing rather than a consequence of it.
    if ((c.ingest->parsed() || c.process->parsed()) && cfg.kafka.brokers.empty()) {
        std::fprintf(stderr,
                     "mdsp %s: needs a Kafka: pass --kafka HOST:PORT[,HOST:PORT] or set kafka.brokers "
                     "(for one machine without Kafka, `mdsp up` runs the whole pipeline)\n",
                     c.ingest->parsed() ? "ingest" : "process");
        return 2;
    }
    if (c.ingest->parsed()) {
        return mdsp::app::cmd_ingest_kafka(cfg, c.opts);
    }
    if (c.process->parsed()) {
        return mdsp::app::cmd_process_kafka(cfg, c.kopts);
    }
    if (c.kmock->parsed()) {
        return mdsp::app::cmd_kafka_mock(cfg, c.kopts);
    }
    if (c.up->parsed()) {
        if (cfg.source.spec == "twelvedata" && !std::getenv("TWELVEDATA_API_KEY")) {
            std::fprintf(stderr, "mdsp: the twelvedata source needs an API key: set the environment variable "
                                 "TWELVEDATA_API_KEY (get one at https://twelvedata.com/account/api-keys), "
                                 "or use --source binance, which needs no key\n");
            return 2;
        }
        return mdsp::app::cmd_up(cfg, c.opts);
    }
    if (c.replay->parsed()) {
        return mdsp::app::cmd_replay(cfg, c.opts);
    }
    if (c.serve->parsed()) {
        return mdsp::app::cmd_serve(cfg, c.opts);
    }
    if (c.bench->parsed()) {
        return mdsp::app::cmd_bench(cfg, c.opts);
    }
    if (c.cfgcmd->parsed()) {
        return mdsp::app::cmd_config(cfg);
    }
    if (c.dl->parsed()) {
        return mdsp::app::cmd_deadletters(cfg, c.opts);
    }
    if (c.backfill->parsed()) {
        if (!std::getenv("TWELVEDATA_API_KEY")) {
            std::fprintf(
                stderr, "mdsp backfill: TwelveData's REST API needs an API key: set the environment "
                        "variable TWELVEDATA_API_KEY (get one at https://twelvedata.com/account/api-keys)\n");
            return 2;
        }
        return mdsp::app::cmd_backfill(cfg, c.bopts);
    }
    return 2;
}

} // namespace

int main(int argc, char** argv) {
    CLI::App app{"mdsp - a real-time market-data pipeline: ticks in, exact candles out.\n"
                 "Run `mdsp up` for the whole pipeline on this machine, with a live API on 127.0.0.1:8080."};
    app.require_subcommand(1);
    app.set_version_flag("--version",
                         fmt::format("mdsp 0.1.0 (librdkafka {})", mdsp::bus::kafka_library_version()));
    app.footer("Settings come from defaults, a TOML file (--config), MDSP_* variables, then flags;\n"
               "`mdsp config` lists them all. Every subcommand has --help.");
    cli c;
    add_up(app, c);
    add_local_commands(app, c);
    add_backfill(app, c);
    add_kafka_commands(app, c);
    add_cassandra_commands(app, c);
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        return app.exit(e);
    }

    config cfg;
    if (int rc = build_config(c.fs, cfg); rc != 0) {
        return rc;
    }
    mdsp::init_logging(cfg.log_level);
    return dispatch(c, cfg);
}
