#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <thread>

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/time.h"
#include "store/rocks_store.h"

namespace mdsp::store {
namespace {

namespace fs = std::filesystem;
constexpr int64_t sec = 1'000'000;
const model::interval one_minute(60 * sec);
const model::interval one_second(sec);

model::tick make_tick(std::string symbol, int64_t et, int64_t seq, double price = 1.0) {
    model::tick t;
    t.symbol = std::move(symbol);
    t.source = "sim";
    t.event_time = mdsp::event_time(et);
    t.ingest_time = mdsp::ingest_time(et + 5);
    t.price = price;
    t.size = 2.0;
    t.seq = mdsp::sequence(seq);
    return t;
}

model::candle make_candle(std::string symbol, model::interval iv, int64_t start, double close = 1.0) {
    model::candle c;
    c.symbol = std::move(symbol);
    c.interval = iv;
    c.window_start = mdsp::event_time(start);
    c.open = 1;
    c.high = 2;
    c.low = 0.5;
    c.close = close;
    c.volume = 10;
    c.vwap = 1.25;
    c.trade_count = 4;
    c.first_event_time = mdsp::event_time(start + 1);
    c.last_event_time = mdsp::event_time(start + 2);
    c.final = true;
    c.revision = 0;
    return c;
}

class rocks_store_test : public ::testing::Test {
protected:
    void SetUp() override {
        static std::atomic<int> n{0};
        _dir = fs::temp_directory_path()
               / ("mdsp-store-test-" + std::to_string(::getpid()) + "-" + std::to_string(n++));
        fs::remove_all(_dir);
        reopen();
    }
    void TearDown() override {
        _store.reset();
        fs::remove_all(_dir);
    }
    void reopen(rocks_options o = {}) {
        _store.reset();
        auto s = rocks_store::open(_dir, o);
        ASSERT_TRUE(s) << s.error().what();
        _store = std::move(s).value();
    }
    void write_ticks(const std::vector<model::tick>& ticks) {
        write_batch b;
        b.ticks = ticks;
        auto r = _store->write(b);
        ASSERT_TRUE(r) << r.error().what();
    }
    std::vector<model::tick> ticks(std::string_view symbol, range r) {
        auto t = _store->ticks(symbol, r);
        EXPECT_TRUE(t) << t.error().what();
        return t ? *t : std::vector<model::tick>{};
    }
    std::vector<model::candle> candles(std::string_view symbol, model::interval iv, range r) {
        auto c = _store->candles(symbol, iv, r);
        EXPECT_TRUE(c) << c.error().what();
        return c ? *c : std::vector<model::candle>{};
    }
    static range make_range(int64_t from, int64_t to, size_t limit, bool tail = false) {
        range r;
        r.from = mdsp::event_time(from);
        r.to = mdsp::event_time(to);
        r.limit = limit;
        r.tail = tail;
        return r;
    }
    static std::vector<int64_t> seqs(const std::vector<model::tick>& ts) {
        std::vector<int64_t> out;
        for (const auto& t : ts) {
            out.push_back(t.seq());
        }
        return out;
    }
    static std::vector<int64_t> starts(const std::vector<model::candle>& cs) {
        std::vector<int64_t> out;
        for (const auto& c : cs) {
            out.push_back(c.window_start());
        }
        return out;
    }

    fs::path _dir;
    std::unique_ptr<rocks_store> _store;
};

TEST_F(rocks_store_test, ticks_round_trip_in_event_time_order) {
    std::vector<model::tick> in;
    // Out of order, over three buckets, interleaved with another symbol.
    in.push_back(make_tick("XRPETH", 2 * sec + 5, 5));
    in.push_back(make_tick("XRPETH", 0 * sec + 1, 1));
    in.push_back(make_tick("XRPETHX", 1 * sec, 100));
    in.push_back(make_tick("XRPETH", 1 * sec + 7, 3));
    in.push_back(make_tick("XRPETH", 1 * sec + 7, 2)); // same time, lower seq
    in.push_back(make_tick("XRPETH", 2 * sec, 4));
    in.back().exchange = "BINANCE";
    in.back().trade_id = 42;
    in.back().bid = 0.5;
    write_ticks(in);
    auto all = ticks("XRPETH", {});
    EXPECT_EQ(seqs(all), (std::vector<int64_t>{1, 2, 3, 4, 5}));
    EXPECT_EQ(all[3], in[5]);
    EXPECT_EQ(seqs(ticks("XRPETHX", {})), (std::vector<int64_t>{100}));
    EXPECT_TRUE(ticks("XRP", {}).empty());
}

TEST_F(rocks_store_test, tick_ranges_limits_and_tail) {
    // 10 writes of 30 ticks each, 100 ms apart: several chunks per bucket.
    int64_t seq = 0;
    for (int w = 0; w < 10; ++w) {
        std::vector<model::tick> batch;
        for (int i = 0; i < 30; ++i) {
            batch.push_back(make_tick("S", seq * 100'000, seq));
            ++seq;
        }
        write_ticks(batch);
    }
    // [from, to) is half-open.
    auto mid = ticks("S", make_range(10 * sec, 20 * sec, 10000));
    ASSERT_EQ(mid.size(), 100U);
    EXPECT_EQ(mid.front().seq(), 100);
    EXPECT_EQ(mid.back().seq(), 199);
    // limit keeps the oldest; tail the newest; both oldest first.
    EXPECT_EQ(seqs(ticks("S", make_range(10 * sec, 20 * sec, 3))), (std::vector<int64_t>{100, 101, 102}));
    EXPECT_EQ(seqs(ticks("S", make_range(10 * sec, 20 * sec, 3, true))),
              (std::vector<int64_t>{197, 198, 199}));
    range tail_all;
    tail_all.limit = 25;
    tail_all.tail = true;
    auto last = ticks("S", tail_all);
    ASSERT_EQ(last.size(), 25U);
    EXPECT_EQ(last.front().seq(), 275);
    EXPECT_EQ(last.back().seq(), 299);
    // A limit across many buckets.
    EXPECT_EQ(ticks("S", make_range(0, 1000 * sec, 250)).size(), 250U);
    EXPECT_EQ(ticks("S", make_range(0, 1000 * sec, 250, true)).front().seq(), 50);
    // Empty ranges and zero limits.
    EXPECT_TRUE(ticks("S", make_range(5 * sec, 5 * sec, 10)).empty());
    EXPECT_TRUE(ticks("S", make_range(6 * sec, 5 * sec, 10)).empty());
    EXPECT_TRUE(ticks("S", make_range(0, 1000 * sec, 0)).empty());
    EXPECT_TRUE(ticks("S", make_range(100 * sec, 200 * sec, 10)).empty());
}

TEST_F(rocks_store_test, rewritten_ticks_are_one_row_last_write_wins) {
    write_ticks({make_tick("S", 10, 1, 1.0), make_tick("S", 20, 2, 2.0)});
    write_ticks({make_tick("S", 10, 1, 9.0)});
    auto all = ticks("S", {});
    ASSERT_EQ(all.size(), 2U);
    EXPECT_EQ(all[0].price, 9.0);
    auto tail = ticks("S", make_range(0, 100, 1, true));
    ASSERT_EQ(tail.size(), 1U);
    EXPECT_EQ(tail[0].seq(), 2);
}

TEST_F(rocks_store_test, negative_times_sort_before_positive) {
    write_ticks({make_tick("S", 3 * sec, 4), make_tick("S", -1, 2), make_tick("S", -90 * sec, 1),
                 make_tick("S", 0, 3)});
    EXPECT_EQ(seqs(ticks("S", {})), (std::vector<int64_t>{1, 2, 3, 4}));
    EXPECT_EQ(seqs(ticks("S", make_range(-60 * sec, 1, 10))), (std::vector<int64_t>{2, 3}));
    EXPECT_EQ(seqs(ticks("S", make_range(std::numeric_limits<int64_t>::min(), 0, 1, true))),
              (std::vector<int64_t>{2}));

    std::vector<model::candle> cs{make_candle("S", one_minute, 60 * sec),
                                  make_candle("S", one_minute, -120 * sec), make_candle("S", one_minute, 0),
                                  make_candle("S", one_minute, -60 * sec)};
    write_batch b;
    b.candles = cs;
    ASSERT_TRUE(_store->write(b));
    EXPECT_EQ(starts(candles("S", one_minute, {})),
              (std::vector<int64_t>{-120 * sec, -60 * sec, 0, 60 * sec}));
    EXPECT_EQ(starts(candles("S", one_minute, make_range(-60 * sec, 60 * sec, 10))),
              (std::vector<int64_t>{-60 * sec, 0}));
}

TEST_F(rocks_store_test, candles_upsert_range_limit_and_tail) {
    std::vector<model::candle> cs;
    for (int i = 0; i < 50; ++i) {
        cs.push_back(make_candle("XRPETH", one_minute, i * 60 * sec, i));
        cs.push_back(make_candle("XRPETH", one_second, i * sec, -i));
        cs.push_back(make_candle("XRPETH2", one_minute, i * 60 * sec, 1000 + i));
    }
    write_batch b;
    b.candles = cs;
    ASSERT_TRUE(_store->write(b));
    auto all =
        candles("XRPETH", one_minute,
                make_range(std::numeric_limits<int64_t>::min(), std::numeric_limits<int64_t>::max(), 10000));
    ASSERT_EQ(all.size(), 50U);
    EXPECT_EQ(all[7], cs[21]);
    EXPECT_EQ(candles("XRPETH", one_second, {}).size(), 50U);
    EXPECT_EQ(starts(candles("XRPETH", one_minute, make_range(60 * sec, 240 * sec, 2))),
              (std::vector<int64_t>{60 * sec, 120 * sec}));
    EXPECT_EQ(starts(candles("XRPETH", one_minute, make_range(60 * sec, 240 * sec, 2, true))),
              (std::vector<int64_t>{120 * sec, 180 * sec}));
    range newest;
    newest.limit = 3;
    newest.tail = true;
    EXPECT_EQ(starts(candles("XRPETH", one_minute, newest)),
              (std::vector<int64_t>{47 * 60 * sec, 48 * 60 * sec, 49 * 60 * sec}));
    // An upsert replaces the row of the same key.
    auto updated = make_candle("XRPETH", one_minute, 49 * 60 * sec, 77);
    updated.revision = 1;
    b = {};
    b.candles = std::span(&updated, 1);
    ASSERT_TRUE(_store->write(b));
    auto last = candles("XRPETH", one_minute, newest);
    ASSERT_EQ(last.size(), 3U);
    EXPECT_EQ(last.back(), updated);
    EXPECT_TRUE(candles("XRPETH", model::interval(5 * 60 * sec), {}).empty());
}

TEST_F(rocks_store_test, latest_is_replaced_only_by_newer) {
    auto put_latest = [&](std::vector<model::tick> ts) {
        write_batch b;
        b.latest = ts;
        auto r = _store->write(b);
        ASSERT_TRUE(r) << r.error().what();
    };
    put_latest({make_tick("A", 100, 5, 1.0)});
    put_latest({make_tick("A", 99, 9, 2.0)});  // older time
    put_latest({make_tick("A", 100, 4, 3.0)}); // same time, lower seq
    put_latest({make_tick("A", 100, 5, 4.0)}); // equal: not newer
    EXPECT_EQ((*_store->latest("A"))->price, 1.0);
    put_latest({make_tick("A", 100, 6, 5.0)});
    EXPECT_EQ((*_store->latest("A"))->price, 5.0);
    // Within one batch the newest wins, whatever the order.
    put_latest({make_tick("A", 300, 1, 7.0), make_tick("B", 1, 1, 8.0), make_tick("A", 200, 1, 6.0)});
    EXPECT_EQ((*_store->latest("A"))->price, 7.0);
    // After a reopen (nothing cached) an older tick still does not replace.
    reopen();
    put_latest({make_tick("A", 250, 1, 9.0)});
    EXPECT_EQ((*_store->latest("A"))->price, 7.0);

    auto all = _store->latest();
    ASSERT_TRUE(all);
    ASSERT_EQ(all->size(), 2U);
    EXPECT_EQ((*all)[0].symbol, "A");
    EXPECT_EQ((*all)[1], make_tick("B", 1, 1, 8.0));
    EXPECT_EQ(*_store->symbols(), (std::vector<std::string>{"A", "B"}));
    EXPECT_FALSE(*_store->latest("C"));
}

TEST_F(rocks_store_test, state_keys_by_prefix_and_deletes) {
    std::vector<state_change> st{{"offset/market.ticks/0", "41"},
                                 {"offset/market.ticks/1", "7"},
                                 {"engine/x", "blob"},
                                 {"offsets", "not under offset/"}};
    write_batch b;
    b.state = st;
    ASSERT_TRUE(_store->write(b));
    auto got = _store->load_state("offset/");
    ASSERT_TRUE(got);
    EXPECT_EQ(*got, (std::vector<std::pair<std::string, std::string>>{{"offset/market.ticks/0", "41"},
                                                                      {"offset/market.ticks/1", "7"}}));
    std::vector<state_change> del{{"offset/market.ticks/0", std::nullopt}};
    b.state = del;
    ASSERT_TRUE(_store->write(b));
    EXPECT_EQ(_store->load_state("offset/")->size(), 1U);
    EXPECT_EQ(_store->load_state("")->size(), 3U);
}

TEST_F(rocks_store_test, a_rejected_batch_writes_nothing) {
    std::vector<model::tick> ts{make_tick("S", 1, 1)};
    std::vector<model::candle> cs{make_candle("S", one_minute, 0), make_candle("", one_minute, 60 * sec)};
    std::vector<state_change> st{{"offset", "1"}};
    write_batch b;
    b.ticks = ts;
    b.candles = cs;
    b.latest = ts;
    b.state = st;
    auto r = _store->write(b);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, errc::bad_query);
    EXPECT_TRUE(ticks("S", {}).empty());
    EXPECT_TRUE(candles("S", one_minute, {}).empty());
    EXPECT_TRUE(_store->load_state("")->empty());
    EXPECT_TRUE(_store->symbols()->empty());
}

TEST_F(rocks_store_test, readers_see_whole_batches_only) {
    // Batch i writes candles 0..i-1's successor rows and state "pos" = i; a
    // reader that sees pos = n must see every candle of batches 1..n.
    constexpr int batches = 200;
    constexpr int per_batch = 5;
    std::atomic<bool> done{false};
    std::atomic<int> checks{0};
    std::atomic<int> violations{0};
    std::thread reader([&] {
        while (!done.load()) {
            auto st = _store->load_state("pos");
            if (!st || st->empty()) {
                continue;
            }
            const int pos = std::stoi(st->front().second);
            auto cs =
                _store->candles("S", one_second, make_range(0, std::numeric_limits<int64_t>::max(), 100000));
            if (!cs || static_cast<int>(cs->size()) < pos * per_batch) {
                violations.fetch_add(1);
            }
            checks.fetch_add(1);
        }
    });
    for (int i = 1; i <= batches; ++i) {
        std::vector<model::candle> cs;
        for (int j = 0; j < per_batch; ++j) {
            cs.push_back(make_candle("S", one_second, ((i - 1) * per_batch + j) * sec));
        }
        std::vector<state_change> st{{"pos", std::to_string(i)}};
        write_batch b;
        b.candles = cs;
        b.state = st;
        ASSERT_TRUE(_store->write(b));
    }
    while (checks.load() < 10) {
        std::this_thread::yield();
    }
    done = true;
    reader.join();
    EXPECT_EQ(violations.load(), 0);
    EXPECT_EQ(candles("S", one_second, make_range(0, 1'000'000 * sec, 100000)).size(),
              static_cast<size_t>(batches * per_batch));
}

TEST_F(rocks_store_test, reopen_keeps_everything_and_new_chunks_do_not_overwrite_old) {
    std::vector<model::tick> first{make_tick("S", 100, 1), make_tick("S", 200, 2)};
    std::vector<model::candle> cs{make_candle("S", one_minute, 0)};
    std::vector<state_change> st{{"k", "v"}};
    write_batch b;
    b.ticks = first;
    b.candles = cs;
    b.latest = std::span(first).subspan(1);
    b.state = st;
    ASSERT_TRUE(_store->write(b));
    ASSERT_TRUE(_store->sync());
    reopen();
    write_ticks({make_tick("S", 300, 3)}); // same bucket as the ticks before the reopen
    reopen();
    EXPECT_EQ(seqs(ticks("S", {})), (std::vector<int64_t>{1, 2, 3}));
    EXPECT_EQ(candles("S", one_minute, {}), cs);
    EXPECT_EQ(**_store->latest("S"), first[1]);
    EXPECT_EQ(_store->load_state("k")->size(), 1U);
}

TEST_F(rocks_store_test, a_second_open_of_the_same_directory_says_who_holds_it) {
    auto again = rocks_store::open(_dir);
    ASSERT_FALSE(again);
    EXPECT_EQ(again.error().code, errc::locked);
    EXPECT_NE(again.error().message.find("another mdsp is using " + _dir.string()), std::string::npos)
        << again.error().message;
    EXPECT_NE(again.error().message.find("--data-dir"), std::string::npos);
}

// Run in a child process by the test below: opens the directory the parent holds.
TEST(rocks_store_lock_helper, open_held_directory) {
    const char* dir = std::getenv("MDSP_STORE_LOCK_HELPER_DIR");
    if (dir == nullptr) {
        GTEST_SKIP() << "only runs as the child of a_second_process_gets_the_lock_error";
    }
    auto s = rocks_store::open(dir);
    const bool locked = !s && s.error().code == errc::locked
                        && s.error().message.find("another mdsp is using") != std::string::npos;
    std::_Exit(locked ? 0 : 1);
}

TEST_F(rocks_store_test, a_second_process_gets_the_lock_error) {
    pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
        ::setenv("MDSP_STORE_LOCK_HELPER_DIR", _dir.c_str(), 1);
        ::execl("/proc/self/exe", "store_test", "--gtest_filter=rocks_store_lock_helper.open_held_directory",
                static_cast<char*>(nullptr));
        std::_Exit(2);
    }
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    ASSERT_TRUE(WIFEXITED(status));
    EXPECT_EQ(WEXITSTATUS(status), 0);
}

TEST_F(rocks_store_test, retention_deletes_whole_old_buckets) {
    rocks_options o;
    o.ticks_retention = 10 * sec;
    reopen(o);
    write_ticks({make_tick("A", 1 * sec, 1), make_tick("A", 5 * sec + 500'000, 2), make_tick("A", 6 * sec, 3),
                 make_tick("A", 20 * sec, 4), make_tick("AB", 2 * sec, 5), make_tick("B", 30 * sec, 6),
                 make_tick("C", -50 * sec, 7)});
    // now = 16.5 s: cutoff 6.5 s; the bucket [6 s, 7 s) is kept whole.
    ASSERT_TRUE(_store->enforce_retention(mdsp::event_time(16 * sec + 500'000)));
    EXPECT_EQ(seqs(ticks("A", {})), (std::vector<int64_t>{3, 4}));
    EXPECT_TRUE(ticks("AB", {}).empty());
    EXPECT_EQ(seqs(ticks("B", {})), (std::vector<int64_t>{6}));
    EXPECT_TRUE(ticks("C", {}).empty());
    // Without a retention nothing goes.
    reopen();
    ASSERT_TRUE(_store->enforce_retention(mdsp::event_time(1000 * sec)));
    EXPECT_EQ(seqs(ticks("B", {})), (std::vector<int64_t>{6}));
}

TEST_F(rocks_store_test, bad_symbols_and_closed_store_are_errors) {
    EXPECT_EQ(_store->ticks("", {}).error().code, errc::bad_query);
    EXPECT_EQ(_store->candles(std::string_view("A\0B", 3), one_minute, {}).error().code, errc::bad_query);
    write_batch b;
    std::vector<model::tick> ts{make_tick("", 1, 1)};
    b.ticks = ts;
    EXPECT_EQ(_store->write(b).error().code, errc::bad_query);
    ASSERT_TRUE(_store->close());
    EXPECT_EQ(_store->ticks("A", {}).error().code, errc::closed);
    EXPECT_EQ(_store->write({}).error().code, errc::closed);
    EXPECT_EQ(_store->symbols().error().code, errc::closed);
    // The lock is released: the directory opens again.
    auto again = rocks_store::open(_dir);
    EXPECT_TRUE(again) << again.error().what();
}

} // namespace
} // namespace mdsp::store

namespace mdsp::store {
namespace {

class backfill_test : public ::testing::Test {
protected:
    void SetUp() override {
        _dir = fs::temp_directory_path() / ("mdsp-backfill-test-" + std::to_string(::getpid()));
        fs::remove_all(_dir);
        auto s = rocks_store::open(_dir);
        ASSERT_TRUE(s) << s.error().what();
        _store = std::move(s).value();
    }
    void TearDown() override {
        _store.reset();
        fs::remove_all(_dir);
    }
    void write(std::vector<model::candle> cs) {
        write_batch b;
        b.candles = cs;
        auto r = _store->write(b);
        ASSERT_TRUE(r) << r.error().what();
    }
    backfill_outcome backfill(std::vector<model::candle> cs) {
        auto r = _store->write_backfill(cs, {});
        EXPECT_TRUE(r) << r.error().what();
        return r ? *r : backfill_outcome{};
    }
    model::candle at(int64_t start) {
        auto r = _store->candles("AAPL", one_minute,
                                 {.from = mdsp::event_time(start), .to = mdsp::event_time(start + 1)});
        EXPECT_TRUE(r && r->size() == 1);
        return r && r->size() == 1 ? r->front() : model::candle{};
    }
    static model::candle filler(int64_t start) {
        auto c = make_candle("AAPL", one_minute, start, 1.0);
        c.volume = 0;
        c.trade_count = 0;
        return c;
    }
    static model::candle bar(int64_t start, double close) {
        auto c = make_candle("AAPL", one_minute, start, close);
        c.trade_count = 0;
        c.volume = 77;
        return c;
    }
    fs::path _dir;
    std::unique_ptr<rocks_store> _store;
};

TEST_F(backfill_test, live_candles_win_and_fillers_never_replace_bars) {
    const int64_t m = 60 * sec;
    write({make_candle("AAPL", one_minute, 0, 5.0), filler(m)});
    auto out = backfill({bar(0, 9.0), bar(m, 9.5), bar(2 * m, 9.75)});
    EXPECT_EQ(out.written, 2u);
    EXPECT_EQ(out.kept_live, 1u);
    EXPECT_EQ(at(0).close, 5.0); // built from ticks: kept
    EXPECT_FALSE(at(0).backfilled);
    EXPECT_TRUE(at(m).backfilled); // the filler gave way to the bar
    EXPECT_EQ(at(m).volume, 77);
    EXPECT_TRUE(at(2 * m).backfilled);

    // The engine emitting a filler for a backfilled window leaves the bar.
    write({filler(2 * m)});
    EXPECT_TRUE(at(2 * m).backfilled);
    EXPECT_EQ(at(2 * m).close, 9.75);
    // A late tick making it a real candle wins over the bar.
    write({make_candle("AAPL", one_minute, 2 * m, 3.0)});
    EXPECT_FALSE(at(2 * m).backfilled);
    EXPECT_EQ(at(2 * m).close, 3.0);
    // A newer backfill replaces an older one and survives a reopen.
    EXPECT_EQ(backfill({bar(m, 8.0)}).written, 1u);
    _store.reset();
    auto s = rocks_store::open(_dir);
    ASSERT_TRUE(s);
    _store = std::move(s).value();
    EXPECT_EQ(at(m).close, 8.0);
    EXPECT_TRUE(at(m).backfilled);
}

TEST_F(backfill_test, carries_the_backfillers_state_in_the_same_write) {
    std::vector<state_change> add{{"gap_repair/a", std::string("x")}};
    ASSERT_TRUE(_store->write_backfill({}, add));
    auto st = _store->load_state("gap_repair/");
    ASSERT_TRUE(st);
    ASSERT_EQ(st->size(), 1u);
    EXPECT_EQ(st->front().second, "x");
    std::vector<state_change> del{{"gap_repair/a", std::nullopt}};
    ASSERT_TRUE(_store->write_backfill(std::vector<model::candle>{bar(0, 2.0)}, del));
    EXPECT_TRUE(_store->load_state("gap_repair/")->empty());
    EXPECT_TRUE(at(0).backfilled);
}

TEST_F(backfill_test, unaligned_bars_are_refused) {
    auto r = _store->write_backfill(std::vector<model::candle>{bar(30 * sec, 1.0)}, {});
    ASSERT_FALSE(r);
    EXPECT_NE(std::string(r.error().what()).find("not aligned"), std::string::npos);
}

} // namespace
} // namespace mdsp::store
