// The Topics view's routes: topics, groups, a bounded message browser and the
// dead letters, over a topics::source, as JSON.
#include "http/topics_routes.h"

#include <algorithm>
#include <charconv>
#include <map>
#include <memory>
#include <mutex>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <fmt/format.h>

#include "base/time.h"
#include "http/json.h"
#include "model/codec.h"
#include "model/framing.h"
#include "model/text.h"
#include "registry/avro_json.h"

namespace mdsp::http {

namespace {

using topics::errc;

std::string hex(std::string_view b) {
    std::string s;
    s.reserve(b.size() * 2);
    for (char c : b) {
        fmt::format_to(std::back_inserter(s), "{:02x}", static_cast<uint8_t>(c));
    }
    return s;
}

bool is_utf8(std::string_view s) {
    while (!s.empty()) {
        size_t l = model::utf8_sequence_length(s);
        if (l == 0) {
            return false;
        }
        s.remove_prefix(l);
    }
    return true;
}

response bad(std::string_view parameter, std::string message) {
    return json_response(400, {{"error", "bad_parameter"}, {"parameter", parameter}, {"message", message}});
}

response failure(const mdsp::error& e, std::string_view topic = {}) {
    if (e.code == errc::unknown_topic) {
        return json_response(
            404, {{"error", "unknown_topic"},
                  {"topic", echo_input(topic, 300)},
                  {"message", fmt::format("{}; /api/v1/topics lists the topics there are", e.what())}});
    }
    if (e.code == errc::unknown_partition) {
        return bad("partition", e.what());
    }
    if (e.code == errc::offset_out_of_range) {
        return bad("offset", e.what());
    }
    if (e.code == errc::unavailable) {
        return error_response(503, "unavailable", e.what());
    }
    return error_response(500, "topics_error", e.what());
}

// A whole number in [lo, hi], or the 400 that names the parameter.
std::variant<int64_t, response> whole(const request& req, std::string_view name, int64_t lo, int64_t hi,
                                      int64_t otherwise) {
    auto v = req.param(name);
    if (!v) {
        return otherwise;
    }
    int64_t n = 0;
    auto [p, ec] = std::from_chars(v->data(), v->data() + v->size(), n);
    if (v->empty() || ec != std::errc() || p != v->data() + v->size() || n < lo || n > hi) {
        return bad(name,
                   fmt::format("{} '{}' is not a whole number from {} to {}", name, echo_input(*v), lo, hi));
    }
    return n;
}

boost::json::object partition_json(const topics::partition_info& p) {
    boost::json::object o{{"partition", p.id},
                          {"start_offset", p.start_offset},
                          {"end_offset", p.end_offset},
                          {"messages", p.end_offset - p.start_offset}};
    o["size_bytes"] = p.size_bytes ? boost::json::value(*p.size_bytes) : nullptr;
    if (p.leader) {
        o["leader"] = *p.leader;
        o["replicas"] = boost::json::array(p.replicas.begin(), p.replicas.end());
        o["isr"] = boost::json::array(p.isr.begin(), p.isr.end());
    }
    return o;
}

boost::json::object topic_json(const topics::topic_info& t) {
    boost::json::array parts;
    int64_t messages = 0;
    std::optional<uint64_t> bytes = uint64_t{0};
    for (const auto& p : t.partitions) {
        parts.push_back(partition_json(p));
        messages += p.end_offset - p.start_offset;
        bytes = (bytes && p.size_bytes) ? std::optional(*bytes + *p.size_bytes) : std::nullopt;
    }
    boost::json::object o{{"name", t.name}, {"partitions", std::move(parts)}, {"messages", messages}};
    o["size_bytes"] = bytes ? boost::json::value(*bytes) : nullptr;
    return o;
}

boost::json::object group_json(const topics::group_info& g) {
    boost::json::array members;
    for (const auto& m : g.members) {
        boost::json::array asg;
        for (const auto& [t, p] : m.assignment) {
            asg.push_back({{"topic", t}, {"partition", p}});
        }
        members.push_back(
            {{"id", m.id}, {"client_id", m.client_id}, {"host", m.host}, {"assignment", std::move(asg)}});
    }
    boost::json::array offsets;
    int64_t lag = 0;
    for (const auto& o : g.offsets) {
        offsets.push_back({{"topic", o.topic},
                           {"partition", o.partition},
                           {"committed", o.committed ? boost::json::value(*o.committed) : nullptr},
                           {"end_offset", o.end_offset},
                           {"lag", o.lag}});
        lag += o.lag;
    }
    return {{"id", g.id},         {"state", g.state},   {"position", g.position},
            {"members", members}, {"offsets", offsets}, {"lag", lag}};
}

// Parsed schemas by registry id, so a page of a hundred records parses each
// schema once. Bounded: a registry holding many schemas evicts them all when full.
class schema_cache {
public:
    explicit schema_cache(topics::schema_lookup lookup)
      : _lookup(std::move(lookup)) {}

    // The schema of id, or why there is none.
    std::variant<std::shared_ptr<const registry::avro::schema>, std::string> get(int32_t id) {
        {
            std::lock_guard g(_mu);
            if (auto it = _parsed.find(id); it != _parsed.end()) {
                return it->second;
            }
        }
        auto text = _lookup ? _lookup(id) : std::nullopt;
        if (!text) {
            return fmt::format("the schema registry has no schema with id {}", id);
        }
        auto s = registry::avro::schema::parse(*text);
        if (!s) {
            return fmt::format("schema {} does not parse: {}", id, s.error().what());
        }
        auto p = std::make_shared<const registry::avro::schema>(std::move(*s));
        std::lock_guard g(_mu);
        if (_parsed.size() >= 256) {
            _parsed.clear();
        }
        _parsed[id] = p;
        return p;
    }

private:
    topics::schema_lookup _lookup;
    std::mutex _mu;
    std::map<int32_t, std::shared_ptr<const registry::avro::schema>> _parsed;
};

// The value as its schema reads it, or as hex with why it does not decode.
void value_json(const topics::message& m, schema_cache& schemas, boost::json::object& o) {
    if (!m.value) {
        o["value"] = nullptr;
        o["value_format"] = "null";
        return;
    }
    o["value_bytes"] = m.value_bytes;
    o["value_cut"] = m.value_cut;
    auto as_hex = [&](std::string why) {
        o["value_format"] = "hex";
        o["value_hex"] = hex(*m.value);
        o["decode_error"] = std::move(why);
    };
    if (m.value_cut) {
        return as_hex(fmt::format("the value is {} bytes; only the first {} are shown, undecoded",
                                  m.value_bytes, m.value->size()));
    }
    auto f = model::unframe(*m.value);
    if (!f) {
        return as_hex(fmt::format("not in the Confluent wire format: {}", f.error().what()));
    }
    o["schema_id"] = f->schema_id;
    auto s = schemas.get(static_cast<int32_t>(f->schema_id));
    if (auto* why = std::get_if<std::string>(&s)) {
        return as_hex(*why);
    }
    auto j = registry::avro::to_json(*std::get<0>(s), f->payload);
    if (!j) {
        return as_hex(fmt::format("does not decode with schema {}: {}", f->schema_id, j.error().what()));
    }
    o["value_format"] = "avro";
    o["value"] = std::move(*j);
}

boost::json::object message_json(const topics::message& m, schema_cache& schemas) {
    boost::json::object o{{"partition", m.partition},
                          {"offset", m.offset},
                          {"timestamp", format_iso8601(m.timestamp_ms * 1000)},
                          {"timestamp_ms", m.timestamp_ms}};
    if (!m.key) {
        o["key"] = nullptr;
    } else if (is_utf8(*m.key)) {
        o["key"] = *m.key;
    } else {
        o["key"] = nullptr;
        o["key_hex"] = hex(*m.key);
    }
    boost::json::array headers;
    for (const auto& h : m.headers) {
        boost::json::object ho{{"key", model::echo_text(h.key, 256)}};
        ho["value"] = h.value ? boost::json::value(model::echo_text(*h.value, 1024)) : nullptr;
        headers.push_back(std::move(ho));
    }
    o["headers"] = std::move(headers);
    value_json(m, schemas, o);
    return o;
}

// Where a page starts: offset, the first at or after time, or the newest page.
std::variant<int64_t, response> page_start(const request& req, topics::source& src, const std::string& topic,
                                           const topics::partition_info& p, int64_t limit) {
    auto off = req.param("offset");
    auto time = req.param("time");
    if (off && time) {
        return bad("time", "give offset or time, not both");
    }
    if (off) {
        auto o = whole(req, "offset", 0, INT64_MAX, 0);
        if (auto* r = std::get_if<response>(&o)) {
            return std::move(*r);
        }
        int64_t v = std::get<int64_t>(o);
        if (v < p.start_offset || v > p.end_offset) {
            return bad("offset", fmt::format("offset {} is outside partition {} of {}, which holds offsets "
                                             "{} to {} (the end, {}, gives an empty page)",
                                             v, p.id, topic, p.start_offset, p.end_offset, p.end_offset));
        }
        return v;
    }
    if (time) {
        auto t = parse_time_micros(*time);
        if (!t) {
            return bad("time", fmt::format("time '{}' is not a time: use RFC 3339 (2019-10-11T00:00:00Z), "
                                           "a date or Unix time",
                                           echo_input(*time)));
        }
        auto o = src.offset_for_time(topic, p.id, *t / 1000);
        if (!o) {
            return failure(o.error(), topic);
        }
        return std::clamp(*o, p.start_offset, p.end_offset);
    }
    return std::max(p.start_offset, p.end_offset - limit);
}

response messages_route(const request& req, topics::source& src, schema_cache& schemas,
                        const std::string& topic, const topics_limits& lim) {
    auto t = src.describe_topic(topic);
    if (!t) {
        return failure(t.error(), topic);
    }
    auto pn = whole(req, "partition", 0, INT32_MAX, -1);
    if (auto* r = std::get_if<response>(&pn)) {
        return std::move(*r);
    }
    if (std::get<int64_t>(pn) < 0) {
        return bad("partition", fmt::format("partition is required: 0 to {} for {}",
                                            int64_t(t->partitions.size()) - 1, topic));
    }
    auto it = std::find_if(t->partitions.begin(), t->partitions.end(),
                           [&](const auto& p) { return p.id == std::get<int64_t>(pn); });
    if (it == t->partitions.end()) {
        return bad("partition", fmt::format("{} has partitions 0 to {}, not {}", topic,
                                            int64_t(t->partitions.size()) - 1, std::get<int64_t>(pn)));
    }
    auto limit = whole(req, "limit", 1, int64_t(lim.max_messages), int64_t(lim.default_messages));
    if (auto* r = std::get_if<response>(&limit)) {
        return std::move(*r);
    }
    int64_t n = std::get<int64_t>(limit);
    auto start = page_start(req, src, topic, *it, n);
    if (auto* r = std::get_if<response>(&start)) {
        return std::move(*r);
    }
    int64_t from = std::get<int64_t>(start);
    topics::read_request rr{topic, it->id, from, size_t(n), lim.max_page_bytes, lim.max_value_bytes};
    auto msgs = from < it->end_offset ? src.read(rr)
                                      : result<std::vector<topics::message>>(std::vector<topics::message>{});
    if (!msgs) {
        return failure(msgs.error(), topic);
    }
    boost::json::array arr;
    size_t bytes = 0;
    int64_t next = from;
    for (const auto& m : *msgs) {
        bytes += (m.key ? m.key->size() : 0) + (m.value ? m.value->size() : 0);
        if (arr.size() >= size_t(n) || (!arr.empty() && bytes > lim.max_page_bytes)) {
            break;
        }
        arr.push_back(message_json(m, schemas));
        next = m.offset + 1;
    }
    boost::json::object o{{"topic", topic},
                          {"partition", it->id},
                          {"start_offset", it->start_offset},
                          {"end_offset", it->end_offset},
                          {"offset", from},
                          {"limit", n},
                          {"messages", std::move(arr)},
                          {"next_offset", next < it->end_offset ? boost::json::value(next) : nullptr}};
    o["prev_offset"] =
        from > it->start_offset ? boost::json::value(std::max(it->start_offset, from - n)) : nullptr;
    return json_response(200, o);
}

bool contains_folded(std::string_view hay, std::string_view needle) {
    auto lower = [](char c) { return (c >= 'A' && c <= 'Z') ? char(c - 'A' + 'a') : c; };
    return std::search(hay.begin(), hay.end(), needle.begin(), needle.end(),
                       [&](char a, char b) { return lower(a) == lower(b); })
           != hay.end();
}

// The newest letters_scanned_per_partition letters of each partition,
// filtered, newest first, at most `limit`. A letter is read whole (up to the
// bus's message size): its raw bytes are cut in the answer, not in the read.
response dead_letters_route(const request& req, topics::source& src, const std::string& topic,
                            const topics_limits& lim) {
    auto limit = whole(req, "limit", 1, int64_t(lim.max_letters), int64_t(lim.max_letters));
    if (auto* r = std::get_if<response>(&limit)) {
        return std::move(*r);
    }
    std::string kind(req.param("kind").value_or(""));
    std::string q(req.param("q").value_or(""));
    if (kind.size() > 100 || q.size() > 200) {
        return bad(kind.size() > 100 ? "kind" : "q", "at most 100 bytes of kind and 200 of q");
    }
    auto t = src.describe_topic(topic);
    if (!t) {
        if (t.error().code == errc::unknown_topic) { // nothing was ever dead-lettered
            return json_response(200, {{"topic", topic}, {"letters", boost::json::array()}, {"scanned", 0}});
        }
        return failure(t.error(), topic);
    }
    struct found {
        model::dead_letter d;
        int32_t partition;
        int64_t offset;
    };
    std::vector<found> hits;
    int64_t scanned = 0;
    bool older = false;
    for (const auto& p : t->partitions) {
        int64_t from = std::max(p.start_offset, p.end_offset - int64_t(lim.letters_scanned_per_partition));
        older = older || from > p.start_offset;
        if (from >= p.end_offset) {
            continue;
        }
        topics::read_request rr{
            topic, p.id, from, lim.letters_scanned_per_partition, 4 * lim.max_page_bytes, size_t(1) << 20};
        auto msgs = src.read(rr);
        if (!msgs) {
            return failure(msgs.error(), topic);
        }
        for (const auto& m : *msgs) {
            ++scanned;
            if (!m.value || m.value_cut) {
                continue;
            }
            auto d = model::decode_framed_dead_letter(*m.value);
            if (!d || (!kind.empty() && d->error_kind != kind)
                || (!q.empty() && !contains_folded(d->message, q) && !contains_folded(d->source_topic, q))) {
                continue;
            }
            hits.push_back({std::move(*d), p.id, m.offset});
        }
    }
    std::sort(hits.begin(), hits.end(), [](const found& a, const found& b) { return a.d.time > b.d.time; });
    boost::json::array arr;
    for (const auto& h : hits) {
        if (arr.size() >= size_t(std::get<int64_t>(limit))) {
            break;
        }
        const auto& d = h.d;
        arr.push_back(
            {{"partition", h.partition},
             {"offset", h.offset},
             {"time", format_iso8601(d.time)},
             {"kind", d.error_kind},
             {"reason", d.message},
             {"origin",
              {{"topic", d.source_topic}, {"partition", d.source_partition}, {"offset", d.source_offset}}},
             {"raw_bytes", d.raw.size()},
             {"raw_hex", hex(std::string_view(d.raw).substr(0, 256))}});
    }
    return json_response(200, {{"topic", topic},
                               {"letters", std::move(arr)},
                               {"matched", hits.size()},
                               {"scanned", scanned},
                               {"older_not_scanned", older}});
}

} // namespace

void add_topics_routes(server& srv, topics::source& src, topics::schema_lookup lookup,
                       std::string deadletter_topic, topics_limits limits) {
    auto schemas = std::make_shared<schema_cache>(std::move(lookup));
    srv.route(verb::get, "/api/v1/topics", [&src](const request&) {
        auto ts = src.list_topics();
        if (!ts) {
            return failure(ts.error());
        }
        boost::json::array arr;
        for (const auto& t : *ts) {
            arr.push_back(topic_json(t));
        }
        return json_response(200, {{"source", src.kind()}, {"topics", std::move(arr)}});
    });
    srv.route(
        verb::get, "/api/v1/topics/*",
        [&src, schemas, limits](const request& req) {
            std::string_view rest =
                std::string_view(req.path).substr(std::string_view("/api/v1/topics/").size());
            std::string topic(rest);
            bool messages = false;
            if (auto slash = rest.find('/'); slash != std::string_view::npos) {
                topic = std::string(rest.substr(0, slash));
                if (rest.substr(slash) != "/messages") {
                    return error_response(404, "not_found",
                                          "use /api/v1/topics/{topic} or /api/v1/topics/{topic}/messages");
                }
                messages = true;
            }
            if (messages) {
                return messages_route(req, src, *schemas, topic, limits);
            }
            auto t = src.describe_topic(topic);
            if (!t) {
                return failure(t.error(), topic);
            }
            return json_response(200, topic_json(*t));
        },
        lane::bulk);
    srv.route(verb::get, "/api/v1/groups", [&src](const request&) {
        auto gs = src.list_groups();
        if (!gs) {
            return failure(gs.error());
        }
        boost::json::array arr;
        for (const auto& g : *gs) {
            arr.push_back(group_json(g));
        }
        return json_response(200, {{"source", src.kind()}, {"groups", std::move(arr)}});
    });
    srv.route(
        verb::get, "/api/v1/deadletters",
        [&src, topic = std::move(deadletter_topic), limits](const request& req) {
            return dead_letters_route(req, src, topic, limits);
        },
        lane::bulk);
}

} // namespace mdsp::http

namespace mdsp::http::topics {
namespace {
std::string errc_message(errc e) {
    switch (e) {
    case errc::unknown_topic:
        return "unknown topic";
    case errc::unknown_partition:
        return "unknown partition";
    case errc::offset_out_of_range:
        return "offset out of range";
    case errc::unavailable:
        return "the log cannot answer now";
    case errc::failed:
        return "reading the log failed";
    }
    return "unknown topics error";
}
} // namespace
} // namespace mdsp::http::topics

MDSP_DEFINE_ERRC_CATEGORY(mdsp::http::topics, "mdsp.http.topics", mdsp::http::topics::errc_message)
