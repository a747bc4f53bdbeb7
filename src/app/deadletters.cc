// `mdsp deadletters`: the newest dead letters as JSON lines, from a data
// folder's log or, with --kafka, from the cluster's market.deadletter.
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <memory>

#include <boost/json.hpp>
#include <spdlog/spdlog.h>

#include "app/commands.h"
#include "base/time.h"
#include "bus/kafka.h"
#include "bus/local.h"
#include "http/json.h"
#include "log/log.h"
#include "log/partition.h"
#include "model/framing.h"
#include "pipeline/pipeline.h"

namespace mdsp::app {

namespace {

// The topic's partitions to read: a consumer assigned to the newest `limit`
// records of each, and where each ends now.
struct letters_source {
    std::unique_ptr<log::log> log; // embedded: outlives the consumer
    std::unique_ptr<bus::consumer> consumer;
    bus::offsets start;
    std::vector<int64_t> ends;
};

result<letters_source> open_local(const config& cfg, int64_t limit) {
    letters_source s;
    auto dir = std::filesystem::path(cfg.data_dir) / "log";
    if (!std::filesystem::exists(dir)) {
        return make_error(bus::errc::config,
                          "no log in {}: give the data folder of a pipeline with --data-dir", cfg.data_dir);
    }
    auto lg = log::log::open(dir);
    if (!lg) {
        return lg.error();
    }
    s.log = std::move(*lg);
    auto n = s.log->partition_count(bus::deadletter_topic);
    if (!n) {
        return s; // no dead letters ever written
    }
    for (int32_t p = 0; p < *n; ++p) {
        auto part = s.log->get_partition(bus::deadletter_topic, partition_id(p));
        if (!part) {
            return part.error();
        }
        int64_t end = (*part)->end_offset()();
        s.start.emplace_back(partition_id(p), offset(std::max<int64_t>(0, end - limit)));
        s.ends.push_back(end);
    }
    s.consumer = std::make_unique<bus::local_consumer>(
        *s.log, bus::local_consumer_config{.group = "mdsp-deadletters"});
    if (auto r = s.consumer->assign(bus::deadletter_topic, s.start); !r) {
        return r.error();
    }
    return s;
}

result<letters_source> open_kafka(const config& cfg, int64_t limit) {
    letters_source s;
    auto kc = pipeline::kafka_settings(cfg);
    const std::string topic = pipeline::topic_names(cfg).deadletter; // with kafka.topic_prefix
    auto n = bus::ensure_topics(kc, {{topic, 1, -1, {}}}, false, std::chrono::seconds(30));
    if (!n) {
        if (n.error().code == make_error_code(bus::errc::unknown_topic)) {
            return s; // no dead letters ever written
        }
        return n.error();
    }
    auto c = bus::kafka_consumer::open(bus::kafka_consumer_config{.kafka = kc, .group = "mdsp-deadletters"});
    if (!c) {
        return c.error();
    }
    s.consumer = std::move(*c);
    // Assigned once to learn the ends, then again where the newest `limit` start.
    bus::offsets first;
    for (int32_t p = 0; p < n->front(); ++p) {
        first.emplace_back(partition_id(p), offset(0));
    }
    if (auto r = s.consumer->assign(topic, first); !r) {
        return r.error();
    }
    for (const auto& [p, _] : first) {
        auto end = s.consumer->end_offset(p);
        if (!end) {
            return end.error();
        }
        s.start.emplace_back(p, offset(std::max<int64_t>(0, (*end)() - limit)));
        s.ends.push_back((*end)());
    }
    if (auto r = s.consumer->assign(topic, s.start); !r) {
        return r.error();
    }
    return s;
}

std::string base64(std::string_view in) {
    static constexpr char digits[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    out.reserve((in.size() + 2) / 3 * 4);
    for (size_t i = 0; i < in.size(); i += 3) {
        const size_t n = std::min<size_t>(3, in.size() - i);
        uint32_t v = 0;
        for (size_t k = 0; k < 3; ++k) {
            v = (v << 8) | (k < n ? static_cast<unsigned char>(in[i + k]) : 0U);
        }
        for (size_t k = 0; k < 4; ++k) {
            out += k <= n ? digits[(v >> (18 - 6 * k)) & 0x3f] : '=';
        }
    }
    return out;
}

// One letter as a JSON line. The raw bytes are whatever failed to parse,
// often not text: "raw_base64" keeps them exactly; "raw" shows them as text
// with each byte that is not well-formed UTF-8 replaced by U+FFFD (to_json),
// so every line is valid JSON.
std::string to_line(const bus::record_view& rec, const result<model::dead_letter>& d) {
    boost::json::object o;
    if (!d) {
        o["error_kind"] = "undecodable";
        o["message"] = d.error().what();
        o["offset"] = rec.offset();
    } else {
        o["source_topic"] = d->source_topic;
        o["source_partition"] = d->source_partition;
        o["source_offset"] = d->source_offset;
        o["error_kind"] = d->error_kind;
        o["message"] = d->message;
        o["raw"] = d->raw;
        o["raw_base64"] = base64(d->raw);
        o["time"] = format_iso8601(d->time);
    }
    return http::to_json(o);
}

// Reads every partition from its start to its end (as measured before), or
// until nothing more comes for a while (a broker gone).
result<std::vector<std::pair<int64_t, std::string>>> read_letters(letters_source& s) {
    constexpr int64_t give_up_ns = 10'000'000'000;
    std::vector<std::pair<int64_t, std::string>> lines; // time, json
    std::vector<int64_t> next(s.start.size());
    for (size_t i = 0; i < s.start.size(); ++i) {
        next[i] = s.start[i].second();
    }
    auto all_read = [&] {
        for (size_t i = 0; i < next.size(); ++i) {
            if (next[i] < s.ends[i]) {
                return false;
            }
        }
        return true;
    };
    bus::poll_result pr;
    int64_t last_progress = mono_nanos();
    while (!all_read() && mono_nanos() - last_progress < give_up_ns) {
        pr.clear();
        if (auto r = s.consumer->poll(pr, 1000, std::chrono::milliseconds(100)); !r) {
            return r.error();
        }
        if (!pr.records.empty()) {
            last_progress = mono_nanos();
        }
        for (const auto& rec : pr.records) {
            auto i = static_cast<size_t>(rec.partition());
            if (i >= next.size() || rec.offset() >= s.ends[i]) {
                continue; // written after we started
            }
            next[i] = rec.offset() + 1;
            auto d = model::decode_framed_dead_letter(rec.value);
            lines.emplace_back(d ? d->time : 0, to_line(rec, d));
        }
    }
    if (!all_read()) {
        spdlog::warn(
            "mdsp deadletters: nothing more came for {} s; the letters after those printed are missing",
            give_up_ns / 1'000'000'000);
    }
    return lines;
}

} // namespace

int cmd_deadletters(const config& cfg, const run_options& opts) {
    auto s = cfg.kafka.brokers.empty() ? open_local(cfg, opts.limit) : open_kafka(cfg, opts.limit);
    if (!s) {
        spdlog::error("mdsp deadletters: {}", s.error().what());
        return 1;
    }
    if (!s->consumer) {
        return 0; // no dead letters ever written
    }
    auto lines = read_letters(*s);
    if (!lines) {
        spdlog::error("mdsp deadletters: {}", lines.error().what());
        return 1;
    }
    std::stable_sort(lines->begin(), lines->end(),
                     [](const auto& a, const auto& b) { return a.first < b.first; });
    size_t from = lines->size() > static_cast<size_t>(opts.limit) ? lines->size() - opts.limit : 0;
    for (size_t i = from; i < lines->size(); ++i) {
        std::printf("%s\n", (*lines)[i].second.c_str());
    }
    return 0;
}

} // namespace mdsp::app
