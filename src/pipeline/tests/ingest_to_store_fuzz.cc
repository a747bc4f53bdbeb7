// The whole path of one outside record, from bytes to the store, through
// every step a tick takes in `mdsp replay`: the replay source (its line
// parsers) or a tick of raw field values -> the ingest stage (validation,
// Avro, Confluent frame, dead letters) -> a Kafka RecordBatch v2, encoded and
// decoded as the log keeps it -> the process stage (its own validation, the
// candle engine, late ticks) -> the store: engine state and positions in
// memory, ticks, candles and latest prices in a real RocksDB store.
//
// Input: the first byte picks the form, the rest is the record:
//   0  a generic CSV line (header time,symbol,price,size)
//   1  a TwelveData JSON line
//   2  a Binance trades CSV line (symbol XRPETH)
//   3  a tick of raw values (symbol, labels, time, doubles, seq), as a live
//      connector could build from a bad message
// A valid tick of the same form comes before it (so the record meets a
// watermark) and one 90 s later after it (fillers, revisions, lateness).
//
// What must hold, beyond no crash, leak or undefined behaviour: the stages
// never fail; what ingest sends passes model::check_tick and decodes; every
// dead letter decodes and says why; the process stage dead-letters only late
// ticks (ingest let nothing else through); every candle has a valid symbol
// and reads back from RocksDB exactly as written.
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>

#include <spdlog/spdlog.h>
#include <unistd.h>

#include "base/time.h"
#include "feed/replay.h"
#include "log/record_batch.h"
#include "model/framing.h"
#include "model/text.h"
#include "model/validate.h"
#include "pipeline/ingest_stage.h"
#include "pipeline/process_stage.h"
#include "pipeline/tests/memory.h"
#include "store/rocks_store.h"

namespace {

using namespace mdsp;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

constexpr int64_t t0 = 1'709'510'400'000'000; // 2024-03-04T00:00:00Z

[[noreturn]] void fail(const std::string& what) {
    std::fprintf(stderr, "ingest_to_store_fuzz: %s\n", what.c_str());
    std::abort();
}

void expect(bool ok, const std::string& what) {
    if (!ok) {
        fail(what);
    }
}

bool same(double a, double b) {
    return a == b || (std::isnan(a) && std::isnan(b));
}

// The memory bus, but every record passes through a RecordBatch v2 as the
// log writes it, and comes back from its decoder.
class batch_producer final : public bus::producer {
public:
    explicit batch_producer(bus::producer& inner)
      : _inner(inner) {}
    result<void> send(std::string_view topic, std::string_view key, std::string_view value, int64_t ts,
                      std::optional<partition_id> p) override {
        _builder.reset();
        expect(_builder.add(key, value, ts), "a record does not fit an empty batch");
        auto batch = _builder.finish();
        auto reader = log::record_reader::open(batch, log::default_max_batch_bytes);
        expect(bool(reader), "a batch we built does not open");
        log::record_view rec;
        auto got = reader->next(rec);
        expect(got && *got && rec.key && rec.value, "a batch we built has no record");
        expect(*rec.key == key && *rec.value == value && rec.timestamp_ms == ts,
               "a record changed in its batch");
        return _inner.send(topic, *rec.key, *rec.value, rec.timestamp_ms, p);
    }
    result<void> flush() override { return _inner.flush(); }
    result<int32_t> partition_count(std::string_view topic) override { return _inner.partition_count(topic); }

private:
    bus::producer& _inner;
    log::batch_builder _builder;
};

// Writes to memory (what the stage restores from) and, for the tables a
// reader sees, to RocksDB too; a write RocksDB refuses is a finding.
class tee_store final : public mdsp::store::store {
public:
    tee_store(pipeline::testing::memory_store& mem, mdsp::store::rocks_store& rocks)
      : _mem(mem)
      , _rocks(rocks) {}
    result<void> write(const mdsp::store::write_batch& b) override {
        if (auto r = _rocks.write(mdsp::store::write_batch{b.ticks, b.candles, b.latest, {}}); !r) {
            fail("RocksDB refused a write: " + std::string(r.error().what()));
        }
        return _mem.write(b);
    }
    result<mdsp::store::backfill_outcome>
    write_backfill(std::span<const model::candle> c, std::span<const mdsp::store::state_change> s) override {
        return _mem.write_backfill(c, s);
    }
    result<std::vector<model::candle>> candles(std::string_view sym, model::interval iv,
                                               const mdsp::store::range& r) override {
        return _mem.candles(sym, iv, r);
    }
    result<std::vector<model::tick>> ticks(std::string_view sym, const mdsp::store::range& r) override {
        return _mem.ticks(sym, r);
    }
    result<std::vector<model::tick>> latest() override { return _mem.latest(); }
    result<std::optional<model::tick>> latest(std::string_view sym) override { return _mem.latest(sym); }
    result<std::vector<std::string>> symbols() override { return _mem.symbols(); }
    result<std::vector<std::pair<std::string, std::string>>> load_state(std::string_view prefix) override {
        return _mem.load_state(prefix);
    }
    result<void> sync() override { return _mem.sync(); }

private:
    pipeline::testing::memory_store& _mem;
    mdsp::store::rocks_store& _rocks;
};

// Hands out the ticks it was given, then ends: the source of form 3.
class given_source final : public feed::source {
public:
    explicit given_source(std::vector<model::tick> ticks)
      : _ticks(std::move(ticks)) {}
    result<feed::poll_status> poll(std::vector<model::tick>& out, size_t) override {
        out.insert(out.end(), _ticks.begin(), _ticks.end());
        _ticks.clear();
        return feed::poll_status::end;
    }
    std::string id() const override { return "fuzz"; }
    std::string position() const override { return ""; }
    result<void> resume(std::string_view) override { return ok(); }
    std::optional<double> progress() const override { return std::nullopt; }

private:
    std::vector<model::tick> _ticks;
};

// Reads field values off the input, zeros once it runs out.
struct cursor {
    const uint8_t* p;
    size_t n;
    template<class T>
    T take() {
        T v{};
        size_t k = std::min(sizeof(T), n);
        std::memcpy(&v, p, k);
        p += k;
        n -= k;
        return v;
    }
    std::string text() {
        size_t len = std::min<size_t>(take<uint8_t>() % 160, n);
        std::string s(reinterpret_cast<const char*>(p), len);
        p += len;
        n -= len;
        return s;
    }
    std::optional<std::string> maybe_text() {
        return take<uint8_t>() & 1 ? std::optional(text()) : std::nullopt;
    }
    std::optional<double> maybe_double() {
        return take<uint8_t>() & 1 ? std::optional(take<double>()) : std::nullopt;
    }
};

model::tick raw_tick(cursor& c) {
    model::tick t;
    t.symbol = c.text();
    t.source = "fuzz";
    t.exchange = c.maybe_text();
    t.mic_code = c.maybe_text();
    t.asset_type = c.maybe_text();
    t.currency = c.maybe_text();
    // Near the context mostly; anywhere at all when the top bit says so.
    auto delta = c.take<int64_t>();
    t.event_time = event_time(delta < 0 && (delta & 1) ? delta : t0 + (delta % 200'000'000));
    t.ingest_time = ingest_time(now_micros());
    t.price = c.take<double>();
    t.size = c.maybe_double();
    t.day_volume = c.maybe_double();
    t.bid = c.maybe_double();
    t.ask = c.maybe_double();
    t.seq = sequence(c.take<int64_t>());
    return t;
}

// The scratch folder and the RocksDB store, for the whole process. Never
// destroyed: the store is closed by an exit handler registered after RocksDB
// made its own statics, so that it runs before their destructors.
struct files {
    fs::path dir;
    std::unique_ptr<mdsp::store::rocks_store> rocks;
    int uses = 0;

    files() {
        spdlog::set_level(spdlog::level::off); // a warning per dead letter would be most of the time
        dir = fs::temp_directory_path() / ("mdsp-ingest-to-store-fuzz-" + std::to_string(::getpid()));
        fs::remove_all(dir);
        fs::create_directories(dir);
    }
    static files& the() {
        static auto* f = new files;
        return *f;
    }
    // A fresh RocksDB now and then, so that its files stay small.
    mdsp::store::rocks_store& db() {
        if (!rocks || ++uses % 20'000 == 0) {
            rocks.reset();
            fs::remove_all(dir / "rocks");
            mdsp::store::rocks_options o;
            o.write_buffer_bytes = size_t{4} << 20;
            o.block_cache_bytes = size_t{1} << 20;
            auto r = mdsp::store::rocks_store::open(dir / "rocks", o);
            expect(bool(r), "cannot open RocksDB");
            rocks = std::move(*r);
            static bool closes_at_exit = false;
            if (!std::exchange(closes_at_exit, true)) {
                std::atexit([] {
                    the().rocks.reset();
                    fs::remove_all(the().dir);
                });
            }
        }
        return *rocks;
    }
};

// The replay file of forms 0-2: header, context, the record, context.
std::string replay_text(uint8_t form, std::string_view record) {
    switch (form) {
    case 0:
        return "time,symbol,price,size\n2024-03-04T00:00:00Z,AAA,100,1\n" + std::string(record)
               + "\n2024-03-04T00:01:30Z,AAA,101,2\n";
    case 1:
        return R"({"event":"price","symbol":"AAA","timestamp":1709510400,"price":100})"
               "\n"
               + std::string(record)
               + "\n"
                 R"({"event":"price","symbol":"AAA","timestamp":1709510490,"price":101})"
                 "\n";
    default:
        return "agg_trade_id,price,qty,first_trade_id,last_trade_id,time_ms,is_buyer_maker\n"
               "1,100,1,1,1,1709510400000,true\n"
               + std::string(record) + "\n1000000000,101,2,1,1,1709510490000,false\n";
    }
}

void check_bus(const pipeline::testing::memory_topics& topics, const pipeline::process_stage& process) {
    for (const auto& part : topics.topics.at(std::string(bus::ticks_topic))) {
        for (const auto& r : part) {
            auto t = model::decode_framed_tick(r.value);
            expect(bool(t),
                   "ingest sent a tick that does not decode: " + std::string(t ? "" : t.error().what()));
            expect(!model::check_tick(*t, now_micros(), 0), "ingest sent a tick that check_tick refuses");
        }
    }
    size_t late = 0;
    for (const auto& part : topics.topics.at(std::string(bus::deadletter_topic))) {
        for (const auto& r : part) {
            auto d = model::decode_framed_dead_letter(r.value);
            expect(bool(d), "a dead letter does not decode: " + std::string(d ? "" : d.error().what()));
            expect(!d->error_kind.empty() && !d->message.empty(), "a dead letter without a kind or a reason");
            if (d->source_topic == bus::ticks_topic) {
                expect(d->error_kind == "late",
                       "process dead-lettered what ingest let through: " + d->message);
                ++late;
            }
        }
    }
    expect(late == process.dead_letters(), "process counted other dead letters than it wrote");
}

void check_store(pipeline::testing::memory_store& mem, mdsp::store::rocks_store& rocks) {
    for (const auto& [_, c] : mem.stored_candles) {
        expect(!model::valid_symbol(c.symbol), "a candle of a symbol that is not valid");
        mdsp::store::range r;
        r.from = c.window_start;
        r.to = mdsp::event_time(c.window_start() + 1);
        r.limit = 2;
        auto got = rocks.candles(c.symbol, c.interval, r);
        expect(got && got->size() == 1, "a candle written is not read back from RocksDB");
        const auto& g = got->front();
        expect(same(g.open, c.open) && same(g.high, c.high) && same(g.low, c.low) && same(g.close, c.close)
                   && same(g.volume, c.volume) && same(g.vwap, c.vwap) && g.trade_count == c.trade_count
                   && g.final == c.final && g.revision == c.revision,
               "a candle reads back from RocksDB otherwise than written");
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size == 0) {
        return 0;
    }
    auto& f = files::the();
    const uint8_t form = data[0] % 4;
    std::string_view record(reinterpret_cast<const char*>(data + 1), size - 1);

    std::unique_ptr<feed::source> src;
    // The replay's dead letters go to the ingest stage's writer, as in the pipeline.
    pipeline::ingest_stage* ingest_ptr = nullptr;
    auto sink = [&ingest_ptr](model::dead_letter d) { ingest_ptr->dead_letter(d); };
    if (form < 3) {
        const auto path = f.dir / "input";
        std::ofstream(path, std::ios::binary | std::ios::trunc) << replay_text(form, record);
        feed::replay_config rc;
        rc.path = path.string();
        rc.format = form == 0   ? feed::replay_format::generic_csv
                    : form == 1 ? feed::replay_format::json_lines
                                : feed::replay_format::binance_csv;
        rc.symbol = "XRPETH";
        auto r = feed::replay::open(rc, sink);
        expect(bool(r),
               "the replay of a file we wrote does not open: " + std::string(r ? "" : r.error().what()));
        src = std::move(*r);
    } else {
        cursor c{data + 1, size - 1};
        src = std::make_unique<given_source>(
            std::vector<model::tick>{pipeline::testing::trade_tick("AAA", t0, 100, 1), raw_tick(c),
                                     pipeline::testing::trade_tick("AAA", t0 + 90'000'000, 101, INT64_MAX)});
    }

    pipeline::testing::journal j;
    pipeline::testing::memory_topics topics;
    topics.create(std::string(bus::ticks_topic), 2);
    topics.create(std::string(bus::deadletter_topic), 1);
    pipeline::testing::memory_producer mem_out(topics, j);
    batch_producer out(mem_out);

    fs::remove(f.dir / "checkpoint");
    pipeline::ingest_stage::options io;
    io.checkpoint_path = (f.dir / "checkpoint").string();
    io.max_future_us = 86'400'000'000;
    pipeline::ingest_stage ingest(*src, out, io);
    ingest_ptr = &ingest;
    expect(bool(ingest.start()), "ingest does not start");
    bool done = false;
    for (int i = 0; i < 100 && !done; ++i) {
        auto st = ingest.step(0ms);
        expect(bool(st), "ingest failed: " + std::string(st ? "" : st.error().what()));
        done = *st == pipeline::step_status::done;
    }
    expect(done, "ingest did not finish a bounded input");
    expect(bool(ingest.stop()), "ingest does not stop");

    pipeline::config cfg;
    cfg.log.partitions = 2;
    cfg.process.commit_interval_us = 0;
    std::map<int32_t, std::pair<int64_t, std::string>> commits;
    pipeline::testing::memory_consumer in(topics, j, commits);
    pipeline::testing::memory_store mem(j);
    auto& rocks = f.db();
    tee_store st(mem, rocks);
    pipeline::process_stage::options po;
    po.no_upstream = true;
    pipeline::process_stage process(cfg, in, out, st, po);
    expect(bool(process.start()), "process does not start");
    for (int i = 0; i < 100 && !process.finished(); ++i) {
        auto r = process.step(0ms);
        expect(bool(r), "process failed: " + std::string(r ? "" : r.error().what()));
    }
    expect(process.finished(), "process did not finish a bounded input");
    expect(bool(process.stop()), "process does not stop");

    check_bus(topics, process);
    check_store(mem, rocks);
    if (std::getenv("MDSP_FUZZ_VERBOSE") != nullptr) { // what an input did, for whoever tends the corpus
        std::fprintf(stderr,
                     "form %d: %llu ticks sent, %llu dead letters at ingest, %llu at process, %zu candles\n",
                     form, static_cast<unsigned long long>(ingest.ticks_sent()),
                     static_cast<unsigned long long>(ingest.dead_letters()),
                     static_cast<unsigned long long>(process.dead_letters()), mem.stored_candles.size());
    }
    return 0;
}
