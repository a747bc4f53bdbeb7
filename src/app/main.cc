// mdsp: one binary for every stage of the market-data pipeline.
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "app/commands.h"
#include "app/config.h"
#include "app/kafka_commands.h"
#include "base/logging.h"

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
        "Symbol of a Binance trades CSV (default: from a binance-<pair> folder)");
    cmd->add_option_function<std::string>(
        "--format", [&fs](const std::string& v) { fs.values.emplace_back("replay.format", v); },
        "auto, binance, csv (time,symbol,price,size) or twelvedata (JSON lines) [auto]");
}

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

} // namespace

int main(int argc, char** argv) {
    CLI::App app{"mdsp - a real-time market-data pipeline: ticks in, exact candles out.\n"
                 "Run `mdsp up` for the whole pipeline on this machine, with a live API on 127.0.0.1:8080."};
    app.require_subcommand(1);
    app.set_version_flag("--version", "mdsp 0.1.0");
    app.footer("Settings come from defaults, a TOML file (--config), MDSP_* variables, then flags;\n"
               "`mdsp config` lists them all. Every subcommand has --help.");

    flag_settings fs;
    mdsp::app::run_options opts;

    auto* up =
        app.add_subcommand("up", "Run the whole pipeline: source, log, candle engine, store and HTTP API");
    add_common(up, fs);
    add_http(up, fs);
    add_replay_flags(up, fs);
    add_schema_registry(up, fs);
    up->add_option_function<std::string>(
        "-s,--source", [&fs](const std::string& v) { fs.values.emplace_back("source.spec", v); },
        "Where ticks come from: sim, replay:FILE, twelvedata (live; needs TWELVEDATA_API_KEY) or binance "
        "(live trades, no key) [sim]");
    up->add_option_function<std::string>(
        "--symbols",
        [&fs](const std::string& v) {
            fs.values.emplace_back("sim.symbols", v);
            fs.values.emplace_back("twelvedata.symbols", v);
            fs.values.emplace_back("binance.symbols", v);
        },
        "Symbols, comma-separated: simulated [BTC/USD,ETH/USD,AAPL,MSFT,EUR/USD], TwelveData [AAPL,EUR/USD] "
        "or Binance pairs [btcusdt]");
    up->add_option_function<std::string>(
        "--rate", [&fs](const std::string& v) { fs.values.emplace_back("sim.rate", v); },
        "Simulated ticks per second, 0 = as fast as possible [1000]");
    up->add_option_function<std::string>(
        "--seed", [&fs](const std::string& v) { fs.values.emplace_back("sim.seed", v); },
        "Seed of the simulator [42]");
    up->add_flag("--exit-when-done", opts.exit_when_done,
                 "With a replay source: exit once the file is fully processed");

    auto* replay = app.add_subcommand(
        "replay", "Replay a file through log, engine and store, finalize every candle, and exit");
    add_common(replay, fs);
    add_replay_flags(replay, fs);
    replay->add_option("FILE", opts.replay_file, "Binance trades CSV, generic CSV or TwelveData JSON lines")
        ->required()
        ->check(CLI::ExistingFile);

    auto* serve = app.add_subcommand("serve", "Serve the HTTP API over the store of a data folder");
    add_common(serve, fs);
    add_http(serve, fs);
    add_schema_registry(serve, fs);

    auto* bench =
        app.add_subcommand("bench", "Measure throughput and latency of the pipeline on this machine");
    add_common(bench, fs);
    bench->add_option("--seconds", opts.bench_seconds, "Length of each timed phase [5]")
        ->check(CLI::PositiveNumber);
    bench->add_option("--latency-rate", opts.bench_latency_rate, "Tick rate of the latency phase [50000]")
        ->check(CLI::PositiveNumber);
    bench->add_option(
        "--only", opts.bench_only,
        "Comma-separated subset of pipeline,latency,engine,log,twelvedata; kafka (only when named) runs "
        "the Kafka bus on a mock cluster beside kcat");

    auto* cfgcmd =
        app.add_subcommand("config", "Print every setting: value, environment variable and meaning");
    add_common(cfgcmd, fs);

    auto* dl = app.add_subcommand("deadletters", "Print the dead letters of a data folder as JSON lines");
    add_common(dl, fs);
    dl->add_option("-n,--limit", opts.limit, "Print at most this many, newest last [100]");

    mdsp::app::backfill_options bopts;
    auto* backfill = app.add_subcommand(
        "backfill", "Fetch history from TwelveData's REST API into the store as candles marked backfilled "
                    "(needs TWELVEDATA_API_KEY; paced by your plan's credits)");
    add_common(backfill, fs);
    backfill
        ->add_option_function<std::string>(
            "--symbols", [&fs](const std::string& v) { fs.values.emplace_back("twelvedata.symbols", v); },
            "TwelveData symbols, comma-separated: AAPL,EUR/USD")
        ->required();
    backfill->add_option("--from", bopts.from, "Start: 2024-01-02, 2024-01-02T15:30:00Z or Unix seconds")
        ->required();
    backfill->add_option("--to", bopts.to, "End (exclusive), same forms [now]");
    backfill->add_option("--interval", bopts.interval,
                         "Bar width: 1m, 5m, 15m, 30m, 45m, 1h, 2h, 4h, 8h, 1d [1m]");
    backfill->add_option_function<std::string>(
        "--credits-per-minute",
        [&fs](const std::string& v) { fs.values.emplace_back("twelvedata.credits_per_minute", v); },
        "Requests per minute at most: your plan's API credits [8, the free plan's]");

    // Kafka as the bus (README "Kafka").
    mdsp::app::kafka_options kopts;
    auto add_kafka = [&fs](CLI::App* cmd) {
        cmd->add_option_function<std::string>(
            "--kafka", [&fs](const std::string& v) { fs.values.emplace_back("kafka.brokers", v); },
            "Kafka bootstrap servers HOST:PORT[,HOST:PORT]: use Kafka as the bus instead of the local log "
            "(also kafka.brokers; librdkafka properties under [kafka.properties])");
    };
    add_kafka(up);
    auto* ingest = app.add_subcommand("ingest", "Read the source into Kafka's market.ticks (needs --kafka)");
    add_common(ingest, fs);
    add_replay_flags(ingest, fs);
    add_kafka(ingest);
    ingest->add_option_function<std::string>(
        "-s,--source", [&fs](const std::string& v) { fs.values.emplace_back("source.spec", v); },
        "Where ticks come from: sim, or replay:FILE [sim]");
    ingest->add_option_function<std::string>(
        "--rate", [&fs](const std::string& v) { fs.values.emplace_back("sim.rate", v); },
        "Simulated ticks per second, 0 = as fast as possible [1000]");
    ingest->add_option_function<std::string>(
        "--symbols", [&fs](const std::string& v) { fs.values.emplace_back("sim.symbols", v); },
        "Simulated symbols, comma-separated");
    auto* process = app.add_subcommand(
        "process",
        "Consume Kafka's market.ticks in a consumer group into this data folder's store (needs --kafka)");
    add_common(process, fs);
    add_kafka(process);
    process->add_option_function<std::string>(
        "--group", [&fs](const std::string& v) { fs.values.emplace_back("kafka.group", v); },
        "Consumer group; replicas in one group share the partitions [mdsp-process]");
    process->add_option_function<std::string>(
        "--http",
        [&fs, &kopts](const std::string& v) {
            kopts.serve_http = true;
            set_http_address(fs, v);
        },
        "Also serve the API and /metrics over this replica's store at ADDR:PORT or PORT (0 = any)");
    process->add_flag("--exit-when-done", kopts.exit_when_done,
                      "Once every assigned partition is read to its end: finalize every window, commit, exit "
                      "(for a bounded input already in the topic)");
    auto* kmock = app.add_subcommand(
        "kafka-mock",
        "Run librdkafka's mock Kafka cluster on loopback, print its bootstrap address, run until "
        "Ctrl-C (for tests; no Java)");
    add_common(kmock, fs);
    kmock->add_option("--brokers", kopts.mock_brokers, "Number of brokers [3]")->check(CLI::Range(1, 64));
    kmock->add_option_function<std::string>(
        "--partitions", [&fs](const std::string& v) { fs.values.emplace_back("kafka.partitions", v); },
        "Partitions of market.ticks and market.candles [8]");

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        return app.exit(e);
    }

    config cfg;
    if (int rc = build_config(fs, cfg); rc != 0) {
        return rc;
    }
    mdsp::init_logging(cfg.log_level);

    if (up->parsed() && !cfg.kafka.brokers.empty()) {
        return mdsp::app::cmd_up_kafka(cfg, opts);
    }
    if (ingest->parsed()) {
        return mdsp::app::cmd_ingest_kafka(cfg, opts);
    }
    if (process->parsed()) {
        return mdsp::app::cmd_process_kafka(cfg, kopts);
    }
    if (kmock->parsed()) {
        return mdsp::app::cmd_kafka_mock(cfg, kopts);
    }
    if (up->parsed()) {
        if (cfg.source.spec == "twelvedata" && !std::getenv("TWELVEDATA_API_KEY")) {
            std::fprintf(stderr, "mdsp: the twelvedata source needs an API key: set the environment variable "
                                 "TWELVEDATA_API_KEY (get one at https://twelvedata.com/account/api-keys), "
                                 "or use --source binance, which needs no key\n");
            return 2;
        }
        return mdsp::app::cmd_up(cfg, opts);
    }
    if (replay->parsed()) {
        return mdsp::app::cmd_replay(cfg, opts);
    }
    if (serve->parsed()) {
        return mdsp::app::cmd_serve(cfg, opts);
    }
    if (bench->parsed()) {
        return mdsp::app::cmd_bench(cfg, opts);
    }
    if (cfgcmd->parsed()) {
        return mdsp::app::cmd_config(cfg);
    }
    if (dl->parsed()) {
        return mdsp::app::cmd_deadletters(cfg, opts);
    }
    if (backfill->parsed()) {
        if (!std::getenv("TWELVEDATA_API_KEY")) {
            std::fprintf(
                stderr, "mdsp backfill: TwelveData's REST API needs an API key: set the environment "
                        "variable TWELVEDATA_API_KEY (get one at https://twelvedata.com/account/api-keys)\n");
            return 2;
        }
        return mdsp::app::cmd_backfill(cfg, bopts);
    }
    return 2;
}
