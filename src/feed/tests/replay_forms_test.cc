// Replays of files in the common forms beyond the line formats themselves:
// gzip-compressed (told by its bytes, not its name), the --symbol option
// for files without a symbol, and plain JSON trades. The line forms are in
// forms_test.cc.
#include <filesystem>
#include <fstream>
#include <iterator>
#include <thread>

#include <fcntl.h>
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "feed/replay.h"

namespace mdsp::feed {
namespace {

namespace fs = std::filesystem;

const std::string shared_trades = MDSP_SHARED_DIR "/data/binance-xrpeth/trades.csv";

std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// One gzip member holding `text`, as gzip(1) writes it.
std::string gzip(std::string_view text) {
    z_stream s{};
    EXPECT_EQ(deflateInit2(&s, Z_BEST_COMPRESSION, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY), Z_OK);
    std::string out(deflateBound(&s, text.size()) + 64, '\0');
    s.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(text.data()));
    s.avail_in = static_cast<uInt>(text.size());
    s.next_out = reinterpret_cast<Bytef*>(out.data());
    s.avail_out = static_cast<uInt>(out.size());
    EXPECT_EQ(deflate(&s, Z_FINISH), Z_STREAM_END);
    out.resize(s.total_out);
    deflateEnd(&s);
    return out;
}

class replay_forms_test : public ::testing::Test {
protected:
    void SetUp() override {
        auto info = ::testing::UnitTest::GetInstance()->current_test_info();
        dir = fs::temp_directory_path() / fmt::format("mdsp_feed_forms_{}_{}", info->name(), ::getpid());
        fs::remove_all(dir);
        fs::create_directories(dir);
    }
    void TearDown() override { fs::remove_all(dir); }

    std::string write(const std::string& name, std::string_view bytes) {
        auto p = dir / name;
        fs::create_directories(p.parent_path());
        std::ofstream(p, std::ios::binary) << bytes;
        return p.string();
    }

    result<std::unique_ptr<replay>> open(replay_config cfg) {
        return replay::open(std::move(cfg), [this](model::dead_letter d) { dead.push_back(std::move(d)); });
    }

    // Every tick and dead letter of a whole replay of path, or the error
    // that ended it.
    struct run {
        std::vector<model::tick> ticks;
        std::vector<model::dead_letter> dead;
        std::string error;
        bool gzip = false;
    };
    run replay_all(const std::string& path, std::optional<std::string> symbol = std::nullopt,
                   size_t batch = 1000) {
        run out;
        replay_config cfg;
        cfg.path = path;
        cfg.symbol = std::move(symbol);
        dead.clear();
        auto r = open(cfg);
        if (!r) {
            out.error = r.error().what();
            return out;
        }
        for (int guard = 0; guard < 1'000'000; ++guard) {
            auto st = (*r)->poll(out.ticks, batch);
            if (!st) {
                out.error = st.error().what();
                break;
            }
            if (*st == poll_status::end) {
                EXPECT_EQ(*(*r)->progress(), 1.0);
                break;
            }
            EXPECT_LE(*(*r)->progress(), 1.0);
        }
        out.gzip = (*r)->gzip();
        out.dead = std::move(dead);
        return out;
    }

    // The ticks as the pipeline compares them: what the file said, not which
    // file said it or when it was read.
    static std::vector<model::tick> content(std::vector<model::tick> ticks) {
        for (auto& t : ticks) {
            t.source.clear();
            t.ingest_time = ingest_time(0);
        }
        return ticks;
    }

    fs::path dir;
    std::vector<model::dead_letter> dead;
};

TEST_F(replay_forms_test, a_gzip_replay_equals_the_plain_one) {
    const std::string plain = read_file(shared_trades);
    ASSERT_GT(plain.size(), 800'000u);
    const std::string packed = gzip(plain);
    ASSERT_LT(packed.size(), plain.size() / 2);
    const auto want = replay_all(shared_trades);
    ASSERT_EQ(want.error, "");
    ASSERT_EQ(want.ticks.size(), 12'477u);
    EXPECT_FALSE(want.gzip);
    // By name, and without one: the bytes say it is gzip.
    for (const std::string name : {"binance-xrpeth/trades.csv.gz", "binance-xrpeth/trades.csv"}) {
        SCOPED_TRACE(name);
        fs::remove_all(dir / "binance-xrpeth");
        const auto got = replay_all(write(name, packed), std::nullopt, 777);
        ASSERT_EQ(got.error, "");
        EXPECT_TRUE(got.gzip);
        EXPECT_EQ(content(got.ticks), content(want.ticks));
        EXPECT_TRUE(got.dead.empty());
    }
}

TEST_F(replay_forms_test, a_gzip_replay_resumes_where_it_stopped) {
    const std::string plain = read_file(shared_trades);
    replay_config cfg;
    cfg.path = write("binance-xrpeth/trades.csv.gz", gzip(plain));
    auto a = open(cfg);
    ASSERT_TRUE(a) << a.error().what();
    std::vector<model::tick> head;
    for (int i = 0; i < 5; ++i) {
        ASSERT_TRUE((*a)->poll(head, 999));
    }
    ASSERT_EQ(head.size(), 4995u);
    const std::string pos = (*a)->position();
    // Positions count the decompressed bytes: the same as the plain file's.
    replay_config plain_cfg;
    plain_cfg.path = shared_trades;
    auto p = open(plain_cfg);
    std::vector<model::tick> plain_head;
    for (int i = 0; i < 5; ++i) {
        ASSERT_TRUE((*p)->poll(plain_head, 999));
    }
    EXPECT_EQ(pos, (*p)->position());

    auto b = open(cfg);
    ASSERT_TRUE((*b)->resume(pos)) << pos;
    std::vector<model::tick> rest;
    for (auto st = (*b)->poll(rest, 1000); st && *st != poll_status::end; st = (*b)->poll(rest, 1000)) {
    }
    ASSERT_EQ(rest.size(), 12'477u - 4995u);
    EXPECT_EQ(rest.front().seq(), head.back().seq() + 1);

    // Positions that are no line start, or past the end, are refused, and
    // the replay goes on from where it was.
    auto c = open(cfg);
    auto mid = (*c)->resume("100:2");
    ASSERT_FALSE(mid);
    EXPECT_NE(mid.error().what().find("start of a line"), std::string::npos) << mid.error().what();
    auto past = (*c)->resume(fmt::format("{}:99999", plain.size() + 1));
    ASSERT_FALSE(past);
    EXPECT_NE(past.error().what().find("past the end"), std::string::npos) << past.error().what();
    std::vector<model::tick> all;
    for (auto st = (*c)->poll(all, 1000); st && *st != poll_status::end; st = (*c)->poll(all, 1000)) {
    }
    EXPECT_EQ(all.size(), 12'477u);
    // The end of the data is a position too.
    auto d = open(cfg);
    ASSERT_TRUE((*d)->resume(fmt::format("{}:12479", plain.size())));
    std::vector<model::tick> none;
    EXPECT_EQ(*(*d)->poll(none, 10), poll_status::end);
    EXPECT_TRUE(none.empty());
}

TEST_F(replay_forms_test, concatenated_gzip_members_are_one_file) {
    const std::string a = "time,symbol,price,size\n1704164645,A,1.5,1\n";
    const std::string b = "1704164646,A,1.6,2\n1704164647,B,1.7,3\n";
    const auto plain = replay_all(write("all.csv", a + b));
    const auto packed = replay_all(write("all.csv.gz", gzip(a) + gzip(b)));
    ASSERT_EQ(packed.error, "");
    ASSERT_EQ(plain.ticks.size(), 3u);
    EXPECT_EQ(content(packed.ticks), content(plain.ticks));
}

TEST_F(replay_forms_test, broken_gzip_files_end_the_replay_with_a_reason) {
    std::string text = "time,symbol,price\n";
    for (int i = 0; i < 20'000; ++i) {
        text += fmt::format("{},S{},{}.5\n", 1'704'164'645 + i, i % 7, 100 + i % 13);
    }
    const std::string packed = gzip(text);

    const auto cut = replay_all(write("cut.csv.gz", packed.substr(0, packed.size() - 100)));
    EXPECT_NE(cut.error.find("ends in the middle of a stream"), std::string::npos) << cut.error;
    EXPECT_GT(cut.ticks.size(), 10'000u); // what came before the cut came out

    const auto trailing = replay_all(write("trailing.csv.gz", packed + "not gzip at all"));
    EXPECT_NE(trailing.error.find("are not gzip"), std::string::npos) << trailing.error;
    EXPECT_EQ(trailing.ticks.size(), 20'000u);

    std::string corrupt = packed;
    for (size_t i = corrupt.size() / 2; i < corrupt.size() / 2 + 64; ++i) {
        corrupt[i] = static_cast<char>(corrupt[i] ^ 0x5a);
    }
    const auto bad = replay_all(write("corrupt.csv.gz", corrupt));
    EXPECT_NE(bad.error.find("gzip data"), std::string::npos) << bad.error;

    // Only the magic bytes: the header is cut.
    const auto magic = replay_all(write("magic.gz", "\x1f\x8b"));
    EXPECT_NE(magic.error.find("ends in the middle of a stream"), std::string::npos) << magic.error;
}

TEST_F(replay_forms_test, a_gzip_line_that_inflates_without_end_is_bounded) {
    // 40 MiB of one line from a small file: memory stays at the line limit
    // and the line is dead-lettered with its start, as in a plain file.
    const std::string head = "time,symbol,price\n1704164645,A,1.5\n";
    const std::string tail = "\n1704164646,A,1.6\n";
    std::string text = head + std::string(40u << 20, '7') + tail;
    const std::string packed = gzip(text);
    text.clear();
    ASSERT_LT(packed.size(), 100'000u);
    const auto got = replay_all(write("bomb.csv.gz", packed));
    ASSERT_EQ(got.error, "");
    ASSERT_EQ(got.ticks.size(), 2u);
    ASSERT_EQ(got.dead.size(), 1u);
    EXPECT_EQ(got.dead[0].source_offset, 3);
    EXPECT_EQ(got.dead[0].raw.size(), 64u * 1024u);
    EXPECT_NE(got.dead[0].message.find(fmt::format("{} bytes", 40u << 20)), std::string::npos);
}

TEST_F(replay_forms_test, a_gzip_fifo_is_read_as_it_comes) {
    const auto path = (dir / "pipe").string();
    ASSERT_EQ(::mkfifo(path.c_str(), 0600), 0);
    const std::string text = "time,symbol,price\n1704164645,A,1.5\n1704164646,A,1.6\n";
    const std::string packed = gzip(text);
    std::thread writer([&] {
        const int w = ::open(path.c_str(), O_WRONLY); // waits for the reader
        ASSERT_GE(w, 0);
        // A byte at a time at first: the magic is told across reads.
        for (size_t i = 0; i < packed.size(); i += i < 4 ? 1 : 64) {
            const size_t n = i < 4 ? 1 : std::min<size_t>(64, packed.size() - i);
            ASSERT_EQ(::write(w, packed.data() + i, n), static_cast<ssize_t>(n));
            if (i < 4) {
                std::this_thread::sleep_for(std::chrono::milliseconds(20));
            }
        }
        ::close(w);
    });
    const auto got = replay_all(path);
    writer.join();
    ASSERT_EQ(got.error, "");
    EXPECT_TRUE(got.gzip);
    ASSERT_EQ(got.ticks.size(), 2u);
    EXPECT_EQ(got.ticks[1].price, 1.6);
}

TEST_F(replay_forms_test, files_without_a_symbol_need_the_symbol_option) {
    const auto csv = write("nosym.csv", "ts_ms,p,qty\n1704164645123,1.5,2\n");
    auto no = replay_all(csv);
    EXPECT_NE(no.error.find("has no symbol column (symbol, pair or instrument): pass --symbol SYM"),
              std::string::npos)
        << no.error;
    replay_config cfg;
    cfg.path = csv;
    EXPECT_EQ(open(cfg).error().code, errc::bad_config);
    auto yes = replay_all(csv, "ABC");
    ASSERT_EQ(yes.error, "");
    ASSERT_EQ(yes.ticks.size(), 1u);
    EXPECT_EQ(yes.ticks[0].symbol, "ABC");
    EXPECT_EQ(yes.ticks[0].event_time(), 1'704'164'645'123'000);
    EXPECT_EQ(yes.ticks[0].size, 2.0);

    const auto json =
        write("nosym.jsonl", "{\"time\":1704164645,\"price\":1.5}\n{\"time\":1704164646,\"price\":1.6}\n");
    auto no_json = replay_all(json);
    EXPECT_NE(no_json.error.find("have no symbol key (symbol, pair or instrument): pass --symbol SYM"),
              std::string::npos)
        << no_json.error;
    auto yes_json = replay_all(json, "ABC");
    ASSERT_EQ(yes_json.error, "");
    ASSERT_EQ(yes_json.ticks.size(), 2u);
    EXPECT_EQ(yes_json.ticks[1].symbol, "ABC");

    // A symbol column wins over the option, as for the CSV column.
    auto both =
        replay_all(write("sym.jsonl", "{\"time\":1704164645,\"price\":1.5,\"pair\":\"XY\"}\n"), "ABC");
    ASSERT_EQ(both.ticks.size(), 1u);
    EXPECT_EQ(both.ticks[0].symbol, "XY");
}

TEST_F(replay_forms_test, plain_json_trades_and_their_dead_letters) {
    const auto p =
        write("trades.jsonl", "{\"ts\":\"2024-01-02T03:04:05.123456789Z\",\"pair\":\"A\",\"p\":\"1e-5\","
                              "\"qty\":\"2.5E+3\"}\n"
                              "{\"ts\":1704164646,\"pair\":\"A\",\"p\":1.5}\n"
                              "{\"pair\":\"A\",\"p\":1.5}\n"
                              "{\"ts\":1704164647,\"p\":1.5}\n"
                              "{\"ts\":1704164648,\"pair\":\"A\",\"p\":1.5,\"qty\":1,\"volume\":1}\n"
                              "{\"event\":\"heartbeat\"}\n");
    const auto got = replay_all(p);
    ASSERT_EQ(got.error, "");
    ASSERT_EQ(got.ticks.size(), 2u);
    EXPECT_EQ(got.ticks[0].event_time(), 1'704'164'645'123'456);
    EXPECT_EQ(got.ticks[0].price, 1e-5);
    EXPECT_EQ(got.ticks[0].size, 2500.0);
    EXPECT_EQ(got.ticks[0].seq(), 1);
    ASSERT_EQ(got.dead.size(), 3u);
    EXPECT_EQ(got.dead[0].source_topic, "file:" + fs::canonical(p).string());
    EXPECT_EQ(got.dead[0].source_offset, 3);
    EXPECT_EQ(got.dead[0].message, "trades.jsonl:3: no time (a key named time, timestamp or ts)");
    EXPECT_EQ(got.dead[1].message,
              "trades.jsonl:4: no symbol (a key named symbol, pair or instrument), and no --symbol given");
    EXPECT_EQ(got.dead[2].message,
              "trades.jsonl:5: keys \"qty\" and \"volume\" both give the size; keep one");
    EXPECT_EQ(got.dead[2].raw, "{\"ts\":1704164648,\"pair\":\"A\",\"p\":1.5,\"qty\":1,\"volume\":1}");
}

TEST_F(replay_forms_test, other_compressions_are_named) {
    auto zstd = replay_all(write("t.csv.zst", std::string("\x28\xb5\x2f\xfd\x00\x00junk\n", 11)));
    EXPECT_NE(zstd.error.find("zstd-compressed: decompress it first"), std::string::npos) << zstd.error;
    auto csv = replay_all(write("t.csv", "time,price,qty,volume\n1,1,1,1\n"));
    EXPECT_NE(csv.error.find("columns 'qty' and 'volume' both name the size"), std::string::npos)
        << csv.error;
}

} // namespace
} // namespace mdsp::feed
