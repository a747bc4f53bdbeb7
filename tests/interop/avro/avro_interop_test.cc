// Avro interop with Debian's python3-avro, both directions: records encoded by
// mdsp are read by python3-avro with schemas/*.avsc and compared field by
// field (avro_interop.py), and python3-avro's encodings of the same values are
// decoded by mdsp and compared here.
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <string>
#include <variant>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/time.h"
#include "model/codec.h"

namespace mdsp::model {
namespace {

namespace fs = std::filesystem;

// Debian's interpreter: the pyenv python3 on PATH does not have python3-avro.
constexpr const char* python = "/usr/bin/python3";

// The oldest and newest instants a Python datetime can hold (years 1 and 9999).
constexpr int64_t min_datetime_us = -62'135'596'800'000'000;
constexpr int64_t max_datetime_us = 253'402'300'799'999'999;

// ---- JSON of the expected values, in the forms avro_interop.py reads -------

std::string json_string(std::string_view s) {
    std::string out = "\"";
    for (char ch : s) {
        auto c = static_cast<unsigned char>(ch);
        if (c == '"' || c == '\\') {
            out += '\\';
            out += ch;
        } else if (c < 0x20) {
            out += fmt::format("\\u{:04x}", c);
        } else {
            out += ch; // UTF-8 passes through
        }
    }
    return out + "\"";
}
std::string json_double(double v) {
    return fmt::format("\"{:a}\"", v);
} // hex keeps every bit
std::string json_long(int64_t v) {
    return fmt::format("{}", v);
}
std::string json_bytes(std::string_view b) {
    std::string hex;
    for (char c : b) {
        hex += fmt::format("{:02x}", static_cast<unsigned char>(c));
    }
    return "\"" + hex + "\"";
}
template<typename T, typename F>
std::string json_opt(const std::optional<T>& v, F f) {
    return v ? f(*v) : "null";
}
std::string json_opt_string(const std::optional<std::string>& v) {
    return v ? json_string(*v) : "null";
}

std::string values_json(const tick& t) {
    return fmt::format(
        R"({{"symbol":{},"source":{},"exchange":{},"mic_code":{},"asset_type":{},"currency":{},)"
        R"("event_time":{},"ingest_time":{},"price":{},"size":{},"day_volume":{},"bid":{},"ask":{},)"
        R"("trade_id":{},"seq":{}}})",
        json_string(t.symbol), json_string(t.source), json_opt_string(t.exchange),
        json_opt_string(t.mic_code), json_opt_string(t.asset_type), json_opt_string(t.currency),
        json_long(t.event_time()), json_long(t.ingest_time()), json_double(t.price),
        json_opt(t.size, json_double), json_opt(t.day_volume, json_double), json_opt(t.bid, json_double),
        json_opt(t.ask, json_double), json_opt(t.trade_id, json_long), json_long(t.seq()));
}

std::string values_json(const candle& c) {
    return fmt::format(R"({{"symbol":{},"interval":{},"window_start":{},"open":{},"high":{},"low":{},)"
                       R"("close":{},"volume":{},"vwap":{},"trade_count":{},"first_event_time":{},)"
                       R"("last_event_time":{},"final":{},"revision":{},"backfilled":{},"spike":{}}})",
                       json_string(c.symbol), json_string(c.interval.name()), json_long(c.window_start()),
                       json_double(c.open), json_double(c.high), json_double(c.low), json_double(c.close),
                       json_double(c.volume), json_double(c.vwap), json_long(c.trade_count),
                       json_long(c.first_event_time()), json_long(c.last_event_time()),
                       c.final ? "true" : "false", json_long(c.revision), c.backfilled ? "true" : "false",
                       c.spike ? "true" : "false");
}

std::string values_json(const dead_letter& d) {
    return fmt::format(R"({{"source_topic":{},"source_partition":{},"source_offset":{},"error_kind":{},)"
                       R"("message":{},"raw":{},"time":{}}})",
                       json_string(d.source_topic), d.source_partition, json_long(d.source_offset),
                       json_string(d.error_kind), json_string(d.message), json_bytes(d.raw),
                       json_long(d.time));
}

const char* kind_name(const tick&) {
    return "tick";
}
const char* kind_name(const candle&) {
    return "candle";
}
const char* kind_name(const dead_letter&) {
    return "dead_letter";
}

// ---- the records: typical ones and the edges of every type --------------

std::vector<tick> ticks() {
    std::vector<tick> out;
    tick t;
    t.symbol = "XRPETH";
    t.source = "replay:/x/trades.csv";
    t.event_time = mdsp::event_time(1'570'752'000'123'456);
    t.ingest_time = mdsp::ingest_time(1'700'000'000'654'321);
    t.price = 0.00123456;
    t.size = 250.5;
    t.trade_id = 123'456'789;
    t.seq = mdsp::sequence(1'234'567);
    out.push_back(t);

    tick f = t;
    f.symbol = "EUR/USD";
    f.source = "twelvedata";
    f.exchange = "PHYSICAL CURRENCY";
    f.mic_code = "XNGS";
    f.asset_type = "Physical Currency";
    f.currency = "Euro \xe2\x82\xac \xf0\x9f\x93\x88"; // 3- and 4-byte UTF-8
    f.size = -0.0;
    f.day_volume = std::numeric_limits<double>::infinity();
    f.bid = 4.9e-324; // the smallest subnormal
    f.ask = std::numeric_limits<double>::max();
    f.trade_id = std::numeric_limits<int64_t>::min();
    f.seq = mdsp::sequence(std::numeric_limits<int64_t>::max());
    out.push_back(f);

    tick edge;
    edge.symbol = std::string("nul\0inside\ttab\"quote\\", 21);
    edge.source = "";
    edge.event_time = mdsp::event_time(min_datetime_us);
    edge.ingest_time = mdsp::ingest_time(max_datetime_us);
    edge.price = -std::numeric_limits<double>::infinity();
    edge.seq = mdsp::sequence(std::numeric_limits<int64_t>::min());
    out.push_back(edge);

    tick one_each = t;
    one_each.size.reset();
    one_each.trade_id.reset();
    one_each.currency = "USD";
    one_each.bid = 1.0;
    one_each.event_time = mdsp::event_time(-1); // just before the epoch
    out.push_back(one_each);
    return out;
}

std::vector<candle> candles() {
    std::vector<candle> out;
    candle c;
    c.symbol = "XRPETH";
    c.interval = interval(micros_per_minute);
    c.window_start = mdsp::event_time(1'570'752'000'000'000);
    c.open = 0.00123;
    c.high = 0.00125;
    c.low = 0.00121;
    c.close = 0.00124;
    c.volume = 1234.5;
    c.vwap = 0.001231;
    c.trade_count = 17;
    c.first_event_time = mdsp::event_time(1'570'752'000'000'001);
    c.last_event_time = mdsp::event_time(1'570'752'059'999'999);
    c.final = true;
    c.revision = 2;
    out.push_back(c);
    for (int64_t us : {int64_t{1'000'000}, 5 * micros_per_minute, micros_per_hour, micros_per_day,
                       90 * micros_per_second, int64_t{250}}) {
        candle o = c;
        o.interval = interval(us);
        o.final = false;
        o.revision = 0;
        o.volume = 0;
        o.backfilled = us == micros_per_day; // a vendor's daily bar
        o.spike = us == micros_per_hour;     // a price spike in it
        out.push_back(o);
    }
    candle edge;
    edge.symbol = "\xc3\xa9t\xc3\xa9";
    edge.window_start = mdsp::event_time(min_datetime_us);
    edge.first_event_time = mdsp::event_time(max_datetime_us);
    edge.trade_count = std::numeric_limits<int64_t>::max();
    edge.revision = std::numeric_limits<int64_t>::min();
    out.push_back(edge);
    return out;
}

std::vector<dead_letter> dead_letters() {
    std::vector<dead_letter> out;
    dead_letter d;
    d.source_topic = "market.ticks";
    d.source_partition = 3;
    d.source_offset = 123'456'789'012;
    d.error_kind = "decode";
    d.message = "tick.size: union branch 5 at byte 40 is not one of the schema's 2 branches";
    for (int i = 0; i < 256; ++i) {
        d.raw.push_back(static_cast<char>(i));
    }
    d.time = 1'700'000'000'000'000;
    out.push_back(d);

    dead_letter edge;
    edge.source_topic = "file:/data/trades.csv";
    edge.source_partition = std::numeric_limits<int32_t>::min();
    edge.source_offset = std::numeric_limits<int64_t>::max();
    edge.error_kind = "malformed";
    edge.message = std::string(70'000, 'm'); // a multi-byte length
    edge.raw = std::string(100'000, '\xff');
    edge.time = min_datetime_us;
    out.push_back(edge);

    dead_letter empty;
    empty.source_partition = std::numeric_limits<int32_t>::max();
    empty.time = max_datetime_us;
    out.push_back(empty);
    return out;
}

// ---- the test --------------------------------------------------------------

std::string read_all(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    EXPECT_TRUE(in) << p;
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

void write_all(const fs::path& p, std::string_view bytes) {
    std::ofstream out(p, std::ios::binary);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    ASSERT_TRUE(out) << p;
}

class avro_interop : public ::testing::Test {
protected:
    void SetUp() override {
        if (!fs::exists(python)) {
            GTEST_SKIP() << python << " is missing: apt-get install python3-avro";
        }
        _dir = fs::temp_directory_path() / fmt::format("mdsp-avro-interop-{}", ::getpid());
        fs::remove_all(_dir);
        fs::create_directories(_dir);
    }
    void TearDown() override {
        if (!_dir.empty() && !HasFailure()) {
            fs::remove_all(_dir); // kept on failure, for a look at the bytes
        }
    }

    template<typename T>
    void add(const T& v) {
        std::string file = fmt::format("{}_{}.avro", kind_name(v), _cases.size());
        std::string bytes;
        encode(v, bytes);
        write_all(_dir / file, bytes);
        if (!_manifest.empty()) {
            _manifest += ",\n";
        }
        _manifest +=
            fmt::format(R"({{"kind":"{}","file":"{}","values":{}}})", kind_name(v), file, values_json(v));
        _cases.push_back({file, v});
    }

    fs::path _dir;
    std::string _manifest;
    struct entry {
        std::string file;
        std::variant<tick, candle, dead_letter> record;
    };
    std::vector<entry> _cases;
};

TEST_F(avro_interop, python3_avro_reads_ours_and_we_read_python3_avros) {
    for (const auto& t : ticks()) {
        add(t);
    }
    for (const auto& c : candles()) {
        add(c);
    }
    for (const auto& d : dead_letters()) {
        add(d);
    }
    write_all(_dir / "cases.json", "[\n" + _manifest + "\n]\n");

    // Ours -> python3-avro (compared in the script), and python3-avro's own encodings.
    std::string cmd =
        fmt::format("{} {}/tests/interop/avro/avro_interop.py --schemas {}/schemas --dir {} 2>&1", python,
                    MDSP_SOURCE_DIR, MDSP_SOURCE_DIR, _dir.string());
    FILE* p = ::popen(cmd.c_str(), "r");
    ASSERT_NE(p, nullptr) << cmd;
    std::string output;
    char buf[4096];
    while (size_t n = std::fread(buf, 1, sizeof buf, p)) {
        output.append(buf, n);
    }
    int status = ::pclose(p);
    ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << cmd << "\n" << output;
    EXPECT_NE(output.find(fmt::format("{} records checked, 0 mismatches", _cases.size())), std::string::npos)
        << output;

    // python3-avro -> ours.
    for (const auto& c : _cases) {
        std::string theirs = read_all(_dir / ("py_" + c.file));
        std::visit(
            [&](const auto& want) {
                using T = std::decay_t<decltype(want)>;
                result<T> got = [&] {
                    if constexpr (std::is_same_v<T, tick>) {
                        return decode_tick(theirs);
                    } else if constexpr (std::is_same_v<T, candle>) {
                        return decode_candle(theirs);
                    } else {
                        return decode_dead_letter(theirs);
                    }
                }();
                ASSERT_TRUE(got) << c.file << ": " << got.error().what();
                EXPECT_TRUE(*got == want)
                    << c.file << ": decoded differently from what python3-avro was given";
                // Avro's binary encoding of a value is unique with minimal
                // varints, which both sides write: the bytes must agree too.
                std::string ours;
                encode(want, ours);
                EXPECT_EQ(theirs, ours) << c.file << ": python3-avro and mdsp encode differently";
            },
            c.record);
    }
}

} // namespace
} // namespace mdsp::model
