#include "pipeline/topics_local.h"

#include <algorithm>

#include <fmt/format.h>

#include "bus/bus.h"
#include "bus/local.h"
#include "pipeline/data_folder.h"

namespace mdsp::pipeline {

namespace tp = http::topics;

namespace {

// The log's errors in the Topics view's terms, message kept.
mdsp::error view_error(const mdsp::error& e) {
    tp::errc c = tp::errc::failed;
    if (e.code == log::errc::unknown_topic) {
        c = tp::errc::unknown_topic;
    } else if (e.code == log::errc::unknown_partition) {
        c = tp::errc::unknown_partition;
    } else if (e.code == log::errc::offset_out_of_range) {
        c = tp::errc::offset_out_of_range;
    } else if (e.code == log::errc::closed) {
        c = tp::errc::unavailable;
    }
    return mdsp::error{make_error_code(c), e.what()};
}

// The records of whole batches read from `from`, each visited until f says stop.
template<typename F>
result<void> each_record(const log::partition& p, int64_t from, size_t max_bytes, size_t max_batch, F&& f) {
    std::string buf;
    auto rr = p.read(mdsp::offset(from), max_bytes, buf);
    if (!rr) {
        return view_error(rr.error());
    }
    log::batch_iterator it(std::span<const char>(buf.data(), buf.size()), max_batch);
    log::batch_header h;
    std::span<const char> batch;
    while (true) {
        auto more = it.next(h, batch);
        if (!more) {
            return view_error(more.error());
        }
        if (!*more) {
            return ok();
        }
        if (h.is_control()) {
            continue;
        }
        auto rd = log::record_reader::open(batch, max_batch, false); // CRC checked when written and recovered
        if (!rd) {
            return view_error(rd.error());
        }
        log::record_view v;
        while (true) {
            auto n = rd->next(v);
            if (!n) {
                return view_error(n.error());
            }
            if (!*n) {
                break;
            }
            if (v.offset() >= from && !f(h, v)) {
                return ok();
            }
        }
    }
}

} // namespace

result<std::vector<tp::topic_info>> local_topics::list_topics() {
    std::vector<tp::topic_info> out;
    for (const auto& name : _log.topics()) {
        auto t = describe_topic(name);
        if (!t) {
            return t.error();
        }
        out.push_back(std::move(*t));
    }
    return out;
}

result<tp::topic_info> local_topics::describe_topic(std::string_view name) {
    auto t = _log.get_topic(name);
    if (!t) {
        return view_error(t.error());
    }
    tp::topic_info out{std::string(name), {}};
    for (const auto& p : (*t)->partitions()) {
        tp::partition_info pi;
        pi.id = p->id()();
        pi.start_offset = p->start_offset()();
        pi.end_offset = p->end_offset()();
        pi.size_bytes = p->size_bytes();
        out.partitions.push_back(std::move(pi));
    }
    return out;
}

result<std::vector<tp::group_info>> local_topics::list_groups() {
    std::vector<tp::group_info> out;
    auto end_of = [this](std::string_view topic, int32_t p) -> std::optional<std::pair<int64_t, int64_t>> {
        auto part = _log.get_partition(topic, partition_id(p));
        if (!part) {
            return std::nullopt;
        }
        return std::pair((*part)->start_offset()(), (*part)->end_offset()());
    };
    auto lag_of = [](std::optional<int64_t> committed, std::pair<int64_t, int64_t> se) {
        return committed ? std::max<int64_t>(0, se.second - std::max(*committed, se.first))
                         : se.second - se.first;
    };
    auto ticks = _log.get_topic(bus::ticks_topic);
    if (_store != nullptr && ticks) {
        // The process stage: its positions are in the store, written with its candles.
        auto kv = _store->load_state(fmt::format("pos/{}/", bus::ticks_topic));
        if (!kv) {
            return mdsp::error{make_error_code(tp::errc::unavailable), kv.error().what()};
        }
        tp::group_info g{"mdsp-process", _process_here ? "Stable" : "Empty", "store", {}, {}};
        tp::group_member m{"process-stage", "mdsp", "this process", {}};
        for (const auto& p : (*ticks)->partitions()) {
            int32_t id = p->id()();
            std::optional<int64_t> committed;
            auto key = position_key(id);
            for (const auto& [k, v] : *kv) {
                if (k == key) {
                    committed = from_be64(v);
                }
            }
            auto se = std::pair(p->start_offset()(), p->end_offset()());
            g.offsets.push_back(
                {std::string(bus::ticks_topic), id, committed, se.second, lag_of(committed, se)});
            m.assignment.emplace_back(std::string(bus::ticks_topic), id);
        }
        if (_process_here) {
            g.members.push_back(std::move(m));
        }
        out.push_back(std::move(g));
    }
    auto files = bus::local_committed_offsets(_log);
    if (!files) {
        return mdsp::error{make_error_code(tp::errc::failed), files.error().what()};
    }
    for (const auto& c : *files) {
        if (out.empty() || out.back().id != c.group || out.back().position != "files") {
            out.push_back({c.group, "", "files", {}, {}});
        }
        auto se = end_of(c.topic, c.partition());
        if (!se) {
            continue; // a topic deleted since
        }
        out.back().offsets.push_back({c.topic, c.partition(), c.next(), se->second, lag_of(c.next(), *se)});
    }
    return out;
}

result<std::vector<tp::message>> local_topics::read(const tp::read_request& r) {
    auto part = _log.get_partition(r.topic, partition_id(r.partition));
    if (!part) {
        return view_error(part.error());
    }
    std::vector<tp::message> out;
    int64_t start = (*part)->start_offset()();
    int64_t end = (*part)->end_offset()();
    if (r.offset < start || r.offset > end) {
        return make_error(tp::errc::offset_out_of_range,
                          "offset {} is outside partition {} of {}, which holds {} to {}", r.offset,
                          r.partition, r.topic, start, end);
    }
    if (r.limit == 0 || r.offset == end) {
        return out;
    }
    std::vector<log::header_view> hs;
    auto done = each_record(
        **part, r.offset, r.max_read_bytes, _log.cfg().max_batch_bytes,
        [&](const log::batch_header&, const log::record_view& v) {
            tp::message m;
            m.partition = r.partition;
            m.offset = v.offset();
            m.timestamp_ms = v.timestamp_ms;
            if (v.key) {
                m.key = std::string(v.key->substr(0, r.max_value_bytes));
            }
            if (v.value) {
                m.value_bytes = v.value->size();
                m.value_cut = v.value->size() > r.max_value_bytes;
                m.value = std::string(v.value->substr(0, r.max_value_bytes));
            }
            hs.clear();
            log::read_headers(v, hs, 64);
            for (const auto& h : hs) {
                m.headers.push_back(
                    {std::string(h.key.substr(0, 1024)),
                     h.value ? std::optional(std::string(h.value->substr(0, 4096))) : std::nullopt});
            }
            out.push_back(std::move(m));
            return out.size() < r.limit;
        });
    if (!done) {
        return done.error();
    }
    return out;
}

result<int64_t> local_topics::offset_for_time(std::string_view topic, int32_t partition, int64_t ts_ms) {
    auto part = _log.get_partition(topic, partition_id(partition));
    if (!part) {
        return view_error(part.error());
    }
    const auto& p = **part;
    int64_t lo = p.start_offset()();
    int64_t hi = p.end_offset()(); // the answer is in [lo, hi]
    const size_t max_batch = _log.cfg().max_batch_bytes;
    // Invariant: every batch before lo is older than ts_ms, and the answer
    // is at most hi. Each step reads one batch and moves lo past it or hi
    // down to its first offset, so it ends.
    while (lo < hi) {
        int64_t mid = lo + (hi - lo) / 2;
        std::optional<log::batch_header> at;
        auto r = each_record(p, mid, 1, max_batch, [&](const log::batch_header& h, const log::record_view&) {
            at = h;
            return false;
        });
        if (!r) {
            return r.error();
        }
        if (!at) {
            hi = mid; // nothing readable from mid on
        } else if (at->max_timestamp < ts_ms) {
            lo = at->last_offset()() + 1;
        } else {
            hi = std::max(lo, at->first_offset()());
        }
    }
    // Scan forward from lo, at most one read's worth, for the first record at or after ts_ms.
    int64_t found = p.end_offset()();
    if (lo < found) {
        auto r = each_record(p, lo, size_t{1} << 20, max_batch,
                             [&](const log::batch_header&, const log::record_view& v) {
                                 if (v.timestamp_ms >= ts_ms) {
                                     found = v.offset();
                                     return false;
                                 }
                                 return true;
                             });
        if (!r) {
            return r.error();
        }
    }
    return found;
}

} // namespace mdsp::pipeline
