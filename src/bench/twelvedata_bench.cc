// `mdsp bench --only twelvedata`: the per-message work of the TwelveData
// connector (JSON event -> model::tick -> framed Avro) against what a Python
// producer does with the standard json module and Debian's python3-avro.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <string_view>
#include <vector>

#include <fcntl.h>
#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/time.h"
#include "bench/bench.h"
// The connector's own parser (feed/twelvedata.cc's on_message), so the figure
// is the live path's and not a bench-only copy.
#include "feed/internal/line_parser.h"
#include "model/framing.h"
#include "model/schemas.h"

namespace mdsp::bench {

std::string_view twelvedata_python_script(); // generated from src/bench/twelvedata_python.py

namespace {

constexpr const char* python = "/usr/bin/python3";
constexpr size_t event_count = 100'000;
constexpr double python_max_seconds = 2.0;

// One instrument as TwelveData's price stream sends it: the fixed fields of
// its events, a starting price and how it moves.
struct instrument {
    const char* fixed; // {"event":"price","symbol":...  up to before "timestamp"
    double price;
    int decimals;
    enum { stock, quoted } kind; // stocks have day_volume; forex and crypto bid and ask
};

const instrument instruments[] = {
    {R"("event":"price","symbol":"AAPL","currency":"USD","exchange":"NASDAQ","mic_code":"XNGS","type":"Common Stock")",
     189.91, 2, instrument::stock},
    {R"("event":"price","symbol":"MSFT","currency":"USD","exchange":"NASDAQ","mic_code":"XNGS","type":"Common Stock")",
     370.27, 2, instrument::stock},
    {R"("event":"price","symbol":"NVDA","currency":"USD","exchange":"NASDAQ","mic_code":"XNGS","type":"Common Stock")",
     467.70, 2, instrument::stock},
    {R"("event":"price","symbol":"TSLA","currency":"USD","exchange":"NASDAQ","mic_code":"XNGS","type":"Common Stock")",
     234.30, 2, instrument::stock},
    {R"("event":"price","symbol":"JPM","currency":"USD","exchange":"NYSE","mic_code":"XNYS","type":"Common Stock")",
     145.52, 2, instrument::stock},
    {R"("event":"price","symbol":"IBM","currency":"USD","exchange":"NYSE","mic_code":"XNYS","type":"Common Stock")",
     152.61, 2, instrument::stock},
    {R"("event":"price","symbol":"EUR/USD","currency_base":"Euro","currency_quote":"US Dollar","exchange":"PHYSICAL CURRENCY","type":"Physical Currency")",
     1.08912, 5, instrument::quoted},
    {R"("event":"price","symbol":"GBP/USD","currency_base":"British Pound","currency_quote":"US Dollar","exchange":"PHYSICAL CURRENCY","type":"Physical Currency")",
     1.25034, 5, instrument::quoted},
    {R"("event":"price","symbol":"USD/JPY","currency_base":"US Dollar","currency_quote":"Japanese Yen","exchange":"PHYSICAL CURRENCY","type":"Physical Currency")",
     149.832, 3, instrument::quoted},
    {R"("event":"price","symbol":"BTC/USD","currency_base":"Bitcoin","currency_quote":"US Dollar","exchange":"Coinbase Pro","type":"Digital Currency")",
     37250.12, 2, instrument::quoted},
    {R"("event":"price","symbol":"ETH/USD","currency_base":"Ethereum","currency_quote":"US Dollar","exchange":"Coinbase Pro","type":"Digital Currency")",
     2045.33, 2, instrument::quoted},
};
constexpr size_t instrument_count = std::size(instruments);

// `n` events, the same on every run: instruments in random order, prices on
// a random walk at each instrument's precision, a new second every 10 events.
std::vector<std::string> make_events(size_t n) {
    std::mt19937_64 rng(20231114);
    std::uniform_int_distribution<size_t> pick(0, instrument_count - 1);
    std::uniform_real_distribution<double> step(-1e-4, 1e-4);
    std::uniform_int_distribution<int> traded(1, 500);
    std::vector<double> price(instrument_count);
    std::vector<int64_t> volume(instrument_count, 1'000'000);
    for (size_t i = 0; i < instrument_count; ++i) {
        price[i] = instruments[i].price;
    }
    std::vector<std::string> out;
    out.reserve(n);
    int64_t ts = 1'700'000'000;
    for (size_t k = 0; k < n; ++k) {
        size_t i = pick(rng);
        const auto& in = instruments[i];
        price[i] *= 1 + step(rng);
        ts += k % 10 == 9 ? 1 : 0;
        std::string e =
            fmt::format("{{{},\"timestamp\":{},\"price\":{:.{}f}", in.fixed, ts, price[i], in.decimals);
        if (in.kind == instrument::stock) {
            volume[i] += traded(rng);
            fmt::format_to(std::back_inserter(e), ",\"day_volume\":{}", volume[i]);
        } else {
            double half = price[i] * 5e-5;
            fmt::format_to(std::back_inserter(e), ",\"bid\":{:.{}f},\"ask\":{:.{}f}", price[i] - half,
                           in.decimals, price[i] + half, in.decimals);
        }
        e += '}';
        out.push_back(std::move(e));
    }
    return out;
}

struct side {
    double rate = 0;    // ticks per second
    uint64_t ticks = 0; // encoded
    uint64_t bytes = 0; // framed bytes out, so the work cannot be optimised away
};

// The connector's per-message path, one thread, for about `seconds`. Sets
// `failure` when the parser refuses one of the events (a bug in one of the two).
side run_ours(const std::vector<std::string>& events, double seconds, std::string& failure) {
    feed::internal::json_line_parser parser(feed::internal::json_objects::twelvedata);
    model::tick t;
    std::string error;
    std::string frame;
    side s;
    int64_t seq = 0;
    int64_t t0 = mono_nanos();
    int64_t until = t0 + static_cast<int64_t>(seconds * 1e9);
    bool done = false;
    while (!done) {
        for (const auto& e : events) {
            if (parser.parse(e, t, error) != feed::internal::line_outcome::tick) {
                failure = fmt::format("the TwelveData parser refused the event {}: {}", e, error);
                return s;
            }
            // What twelvedata::on_price adds before the tick is pushed.
            t.source = "twelvedata";
            t.ingest_time = ingest_time(now_micros());
            t.seq = sequence(++seq);
            frame.clear();
            model::encode_framed(t, frame);
            s.bytes += frame.size();
            ++s.ticks;
            if ((s.ticks & 1023) == 0 && mono_nanos() >= until) {
                done = true;
                break;
            }
        }
    }
    s.rate = static_cast<double>(s.ticks) / (static_cast<double>(mono_nanos() - t0) / 1e9);
    return s;
}

struct python_side {
    side figures;
    std::string avro_version;
    std::string why_not; // set when there is no Python figure
};

std::string read_file(const std::filesystem::path& p) {
    std::ifstream f(p, std::ios::binary);
    return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
}

bool write_file(const std::filesystem::path& p, std::string_view text) {
    std::ofstream f(p, std::ios::binary);
    f.write(text.data(), static_cast<std::streamsize>(text.size()));
    return static_cast<bool>(f.flush());
}

// The value of `key=` in the script's result line, or "".
std::string field(std::string_view line, std::string_view key) {
    std::string k = std::string(key) + "=";
    auto at = line.find(k);
    if (at == std::string_view::npos) {
        return "";
    }
    auto v = line.substr(at + k.size());
    return std::string(v.substr(0, v.find_first_of(" \n")));
}

python_side run_python(const std::filesystem::path& dir, const std::filesystem::path& events,
                       double seconds) {
    python_side p;
    const char* install =
        "install Debian's python3 and python3-avro (`sudo apt-get install python3 python3-avro`; "
        "scripts/setup does)";
    if (access(python, X_OK) != 0) {
        p.why_not = fmt::format("{} is missing: {}", python, install);
        return p;
    }
    auto script = dir / "twelvedata_python.py";
    auto schema = dir / "tick.avsc";
    auto out = dir / "python.out";
    if (!write_file(script, twelvedata_python_script()) || !write_file(schema, model::tick_schema())) {
        p.why_not = fmt::format("cannot write the Python script into {}", dir.string());
        return p;
    }
    std::string secs = fmt::format("{}", seconds);
    std::vector<std::string> args{python, "-s", script.string(), schema.string(), events.string(), secs};
    std::vector<char*> argv;
    for (auto& a : args) {
        argv.push_back(a.data());
    }
    argv.push_back(nullptr);
    std::fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        int fd = open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fd < 0 || dup2(fd, STDOUT_FILENO) < 0) {
            _exit(126);
        }
        execv(python, argv.data());
        _exit(127);
    }
    if (pid < 0) {
        p.why_not = fmt::format("cannot start {}", python);
        return p;
    }
    int status = 0;
    waitpid(pid, &status, 0);
    int code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    if (code == 3) {
        p.why_not = fmt::format("python3-avro is missing: {}", install);
        return p;
    }
    std::string line = read_file(out);
    auto rate = field(line, "events_per_second");
    if (code != 0 || rate.empty()) {
        p.why_not =
            fmt::format("the Python baseline failed (exit {}, output {:?}); its error is above", code, line);
        return p;
    }
    p.figures.rate = std::strtod(rate.c_str(), nullptr);
    p.figures.ticks = std::strtoull(field(line, "events").c_str(), nullptr, 10);
    p.figures.bytes = std::strtoull(field(line, "bytes").c_str(), nullptr, 10);
    p.avro_version = field(line, "avro");
    return p;
}

double per_tick(const side& s) {
    return s.ticks ? static_cast<double>(s.bytes) / static_cast<double>(s.ticks) : 0;
}

} // namespace

int bench_twelvedata(const std::string& dir, double seconds) {
    std::filesystem::create_directories(dir);
    auto events = make_events(event_count);
    auto events_file = std::filesystem::path(dir) / "events.jsonl";
    {
        std::string all;
        for (const auto& e : events) {
            all += e;
            all += '\n';
        }
        if (!write_file(events_file, all)) {
            spdlog::error("bench twelvedata: cannot write {}", events_file.string());
            return 1;
        }
    }
    std::string failure;
    auto ours = run_ours(events, seconds, failure);
    if (!failure.empty()) {
        spdlog::error("bench twelvedata: {}", failure);
        return 1;
    }
    auto py = run_python(dir, events_file, std::min(seconds, python_max_seconds));

    std::printf("twelvedata TwelveData price events -> tick -> Avro with Confluent header, %zu symbols, "
                "%zu events, one core\n",
                instrument_count, event_count);
    std::printf("          mdsp      %12.0f ticks/s per core (the connector's parser and model codec; "
                "%.1f bytes/tick)\n",
                ours.rate, per_tick(ours));
    if (!py.why_not.empty()) {
        std::printf("          python3   not measured: %s\n", py.why_not.c_str());
        return 0;
    }
    std::printf("          python3   %12.0f ticks/s (json + python3-avro %s, same events, same run; "
                "%.1f bytes/tick)\n",
                py.figures.rate, py.avro_version.c_str(), per_tick(py.figures));
    double ratio = py.figures.rate > 0 ? ours.rate / py.figures.rate : 0;
    std::printf("          ratio     %12.1f  goal >= 100 -> %s\n", ratio, ratio >= 100 ? "met" : "NOT met");
    return 0;
}

} // namespace mdsp::bench
