// RecordBatch v2 interop with Debian's python3-kafka (kafka-python): segments
// our log writes are read, CRC-checked and compared by
// kafka.record.MemoryRecords / DefaultRecordBatch; batches built by
// DefaultRecordBatchBuilder are read by our decoder and appended to our log.
#include <cstdlib>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include "log/log.h"
#include "testing/temp_dir.h"

namespace mdsp::log {
namespace {

// Debian's interpreter, where python3-kafka is installed (not a pyenv one on PATH).
constexpr const char* python = "/usr/bin/python3";

std::string script(const char* name) {
    return std::string(MDSP_TESTDATA_DIR) + "/" + name;
}

int run(const std::string& cmd) {
    int rc = std::system(cmd.c_str());
    return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

std::string hex_field(const std::optional<std::string>& b) {
    if (!b) {
        return "-";
    }
    if (b->empty()) {
        return "=";
    }
    static const char* d = "0123456789abcdef";
    std::string s;
    for (unsigned char c : *b) {
        s += d[c >> 4];
        s += d[c & 15];
    }
    return s;
}

std::optional<std::string> unhex_field(const std::string& f) {
    if (f == "-") {
        return std::nullopt;
    }
    if (f == "=") {
        return std::string();
    }
    std::string out;
    for (size_t i = 0; i + 1 < f.size(); i += 2) {
        out += char(std::stoi(f.substr(i, 2), nullptr, 16));
    }
    return out;
}

std::string slurp(const std::filesystem::path& p) {
    std::ifstream in(p, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

struct expected_record {
    int64_t offset;
    int64_t ts;
    std::optional<std::string> key, value;
};

TEST(kafka_record_batch_interop, python_kafka_reads_our_segments) {
    if (!std::filesystem::exists(python)) {
        GTEST_SKIP() << python << " is missing";
    }
    mdsp::testing::temp_dir dir;
    config c;
    c.fsync = fsync_policy::never();
    c.segment_max_bytes = 2048; // several segments
    auto l = log::open(dir.path() / "data", c);
    ASSERT_TRUE(l.has_value()) << l.error().what();
    ASSERT_TRUE((*l)->ensure_topic("market.ticks", 1).has_value());
    auto* p = *(*l)->get_partition("market.ticks", partition_id(0));

    std::vector<expected_record> expected;
    std::string binary;
    for (int i = 0; i < 256; ++i) {
        binary += char(i);
    }
    int64_t offset = 0;
    for (int b = 0; b < 40; ++b) {
        std::vector<std::string> keys, values;
        std::vector<record> recs;
        int per = 1 + b % 6;
        for (int i = 0; i < per; ++i) {
            keys.push_back("SYM" + std::to_string(b * 10 + i));
            values.push_back(b % 5 == 0 ? binary.substr(size_t(i), size_t(30 + b))
                                        : "tick " + std::to_string(b));
        }
        for (int i = 0; i < per; ++i) {
            std::optional<std::string_view> key = std::string_view(keys[size_t(i)]);
            std::optional<std::string_view> value = std::string_view(values[size_t(i)]);
            if (i == 1 && b % 3 == 0) {
                key.reset();
            }
            if (i == 2 && b % 4 == 0) {
                value = std::string_view();
            }
            if (i == 3 && b % 7 == 0) {
                value.reset();
            }
            // Out-of-order timestamps give negative deltas.
            int64_t ts = 1'700'000'000'000 + b * 1000 + (i % 2 == 0 ? i : -i);
            recs.push_back({key, value, ts});
            expected.push_back({offset++, ts, key ? std::optional<std::string>(*key) : std::nullopt,
                                value ? std::optional<std::string>(*value) : std::nullopt});
        }
        ASSERT_TRUE(p->append(recs).has_value());
    }
    ASSERT_GT(p->segment_count(), 2u);
    (*l)->close();

    auto exp_path = dir.path() / "expected.txt";
    {
        std::ofstream out(exp_path);
        for (const auto& e : expected) {
            out << e.offset << ' ' << e.ts << ' ' << hex_field(e.key) << ' ' << hex_field(e.value) << '\n';
        }
    }
    std::vector<std::string> segments;
    for (const auto& e : std::filesystem::directory_iterator(dir.path() / "data" / "market.ticks-0")) {
        if (e.path().extension() == ".log") {
            segments.push_back(e.path().string());
        }
    }
    std::sort(segments.begin(), segments.end());
    std::string cmd = std::string(python) + " " + script("check_segments.py") + " " + exp_path.string();
    for (const auto& s : segments) {
        cmd += " " + s;
    }
    EXPECT_EQ(run(cmd), 0) << cmd;
}

TEST(kafka_record_batch_interop, we_read_python_kafka_batches) {
    if (!std::filesystem::exists(python)) {
        GTEST_SKIP() << python << " is missing";
    }
    mdsp::testing::temp_dir dir;
    auto batches_path = dir.path() / "batches.bin";
    auto exp_path = dir.path() / "expected.txt";
    auto gzip_path = dir.path() / "gzip.bin";
    std::string cmd = std::string(python) + " " + script("build_batches.py") + " " + batches_path.string()
                      + " " + exp_path.string() + " " + gzip_path.string();
    ASSERT_EQ(run(cmd), 0) << cmd;

    struct line {
        int64_t offset, ts;
        std::optional<std::string> key, value;
        int headers;
    };
    std::vector<line> expected;
    {
        std::ifstream in(exp_path);
        std::string k, v;
        line e{};
        while (in >> e.offset >> e.ts >> k >> v >> e.headers) {
            e.key = unhex_field(k);
            e.value = unhex_field(v);
            expected.push_back(e);
        }
    }
    ASSERT_EQ(expected.size(), 12u);

    std::string bytes = slurp(batches_path);
    auto decode = [&](std::span<const char> all) {
        std::vector<line> got;
        batch_iterator it(all, default_max_batch_bytes);
        batch_header h;
        std::span<const char> one;
        while (true) {
            auto more = it.next(h, one);
            EXPECT_TRUE(more.has_value());
            if (!more || !*more) {
                break;
            }
            auto rr = record_reader::open(one, default_max_batch_bytes);
            EXPECT_TRUE(rr.has_value()) << (rr ? "" : rr.error().what());
            if (!rr) {
                break;
            }
            record_view v;
            while (true) {
                auto n = rr->next(v);
                EXPECT_TRUE(n.has_value()) << (n ? "" : n.error().what());
                if (!n || !*n) {
                    break;
                }
                got.push_back(
                    {v.offset(), v.timestamp_ms, v.key ? std::optional<std::string>(*v.key) : std::nullopt,
                     v.value ? std::optional<std::string>(*v.value) : std::nullopt, v.header_count});
            }
        }
        EXPECT_EQ(it.position(), all.size());
        return got;
    };
    auto check = [&](const std::vector<line>& got, int64_t shift) {
        ASSERT_EQ(got.size(), expected.size());
        for (size_t i = 0; i < got.size(); ++i) {
            EXPECT_EQ(got[i].offset, expected[i].offset + shift) << i;
            EXPECT_EQ(got[i].ts, expected[i].ts) << i;
            EXPECT_EQ(got[i].key, expected[i].key) << i;
            EXPECT_EQ(got[i].value, expected[i].value) << i;
            EXPECT_EQ(got[i].headers, expected[i].headers) << i;
        }
    };
    check(decode(bytes), 0);

    // The same batches appended as they are to our log (offsets reassigned,
    // the compaction gap in the last batch kept), then read back.
    config c;
    c.fsync = fsync_policy::never();
    auto l = log::open(dir.path() / "data", c);
    ASSERT_TRUE(l.has_value());
    ASSERT_TRUE((*l)->ensure_topic("t", 1).has_value());
    auto* p = *(*l)->get_partition("t", partition_id(0));
    {
        batch_iterator it(bytes, default_max_batch_bytes);
        batch_header h;
        std::span<const char> one;
        int64_t shift_base = 100;
        // Offset 100 first, so reassigned offsets differ from python's.
        std::vector<record> pad(100, record{std::nullopt, std::string_view("pad"), 1});
        ASSERT_TRUE(p->append(pad).has_value());
        while (*it.next(h, one)) {
            std::string copy(one.data(), one.size());
            auto r = p->append_encoded({copy.data(), copy.size()});
            ASSERT_TRUE(r.has_value()) << r.error().what();
            EXPECT_EQ((*r)(), shift_base + h.base_offset);
        }
    }
    std::string read_back;
    auto r = p->read(mdsp::offset(100), 1 << 20, read_back);
    ASSERT_TRUE(r.has_value());
    check(decode(read_back), 100);

    // A gzip batch is refused clearly, not misread.
    std::string gz = slurp(gzip_path);
    auto rr = record_reader::open(gz, default_max_batch_bytes);
    ASSERT_FALSE(rr.has_value());
    EXPECT_EQ(rr.error().code, errc::unsupported);
    EXPECT_NE(rr.error().what().find("gzip"), std::string::npos) << rr.error().what();
}

} // namespace
} // namespace mdsp::log
