#include <algorithm>
#include <charconv>
#include <tuple>

#include <spdlog/spdlog.h>

#include "base/metrics.h"
#include "base/time.h"
#include "bus/internal/offset_file.h"
#include "bus/local.h"

namespace mdsp::bus {

namespace {
bool valid_group(std::string_view g) {
    return !g.empty() && g.size() <= 249 && g != "." && g != ".."
           && std::all_of(g.begin(), g.end(), [](char c) {
                  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                         || c == '.' || c == '_' || c == '-';
              });
}
} // namespace

local_consumer::local_consumer(log::log& l, local_consumer_config cfg)
  : _log(l)
  , _cfg(std::move(cfg)) {}

result<log::topic*> local_consumer::open_topic(std::string_view topic) {
    if (!_cfg.group.empty() && !valid_group(_cfg.group)) {
        return make_error(errc::config, "invalid consumer group \"{}\": use 1 to 249 of [A-Za-z0-9._-]",
                          _cfg.group);
    }
    auto n = _log.ensure_topic(topic, _cfg.default_partitions);
    if (!n) {
        return to_bus_error(n.error());
    }
    auto t = _log.get_topic(topic);
    if (!t) {
        return to_bus_error(t.error());
    }
    _polled =
        &metrics::global().get_counter("mdsp_bus_records_polled_total", "Records polled by local consumers",
                                       {{"topic", std::string(topic)}});
    return *t;
}

result<mdsp::offset> local_consumer::clamp(const log::partition& p, mdsp::offset o) const {
    auto start = p.start_offset();
    auto end = p.end_offset();
    if (o > end) {
        return make_error(
            errc::offset_out_of_range,
            "offset {} is beyond the end {} of {}-{}; the log may have lost its tail (fsync policy) "
            "or this offset belongs to another log",
            o, end, p.topic(), p.id());
    }
    return std::max(o, start);
}

result<void> local_consumer::assign(std::string_view topic, const offsets& start) {
    auto t = open_topic(topic);
    if (!t) {
        return t.error();
    }
    std::map<int32_t, assigned> next;
    for (const auto& [pid, o] : start) {
        auto* p = (*t)->get(pid);
        if (p == nullptr) {
            return make_error(errc::unknown_partition, "topic {} has partitions 0..{}, not {}", topic,
                              (*t)->partition_count() - 1, pid);
        }
        auto pos = clamp(*p, o);
        if (!pos) {
            return pos.error();
        }
        next[pid()] = {p, *pos};
    }
    _topic = *t;
    _assigned = std::move(next);
    _pending_assign.reset();
    _next_rr = 0;
    return ok();
}

result<void> local_consumer::subscribe(std::string_view topic, rebalance_listener listener) {
    auto t = open_topic(topic);
    if (!t) {
        return t.error();
    }
    _topic = *t;
    _assigned.clear();
    for (const auto& p : (*t)->partitions()) {
        mdsp::offset pos = p->start_offset();
        if (!_cfg.group.empty()) {
            auto c = committed(p->id());
            if (!c) {
                return c.error();
            }
            if (*c) {
                auto clamped = clamp(*p, **c);
                if (!clamped) {
                    return clamped.error();
                }
                pos = *clamped;
            }
        }
        _assigned[p->id()()] = {p.get(), pos};
    }
    _pending_assign = std::move(listener);
    _next_rr = 0;
    return ok();
}

result<void> local_consumer::seek(partition_id p, mdsp::offset o) {
    auto it = _assigned.find(p());
    if (it == _assigned.end()) {
        return make_error(errc::unknown_partition, "seek on partition {}, which this consumer does not own",
                          p);
    }
    auto pos = clamp(*it->second.part, o);
    if (!pos) {
        return pos.error();
    }
    it->second.position = *pos;
    return ok();
}

result<size_t> local_consumer::fetch(poll_result& out, size_t max_records) {
    size_t added = 0;
    size_t budget = _cfg.max_poll_bytes;
    const size_t n = _assigned.size();
    std::vector<assigned*> order;
    order.reserve(n);
    for (auto& [pid, a] : _assigned) {
        order.push_back(&a);
    }
    for (size_t i = 0; i < n && added < max_records && budget > 0; ++i) {
        assigned& a = *order[(_next_rr + i) % n];
        auto start = a.part->start_offset();
        if (a.position < start) {
            spdlog::warn(
                "bus: {}-{}: offsets {}..{} were deleted by retention before being read; continuing at {}",
                a.part->topic(), a.part->id(), a.position, start - 1, start);
            a.position = start;
        }
        if (a.position >= a.part->end_offset()) {
            continue;
        }
        std::string buf;
        auto r = a.part->read(a.position, budget, buf);
        if (!r) {
            if (r.error().code == log::errc::offset_out_of_range) {
                continue; // retention moved the start meanwhile; the next poll repositions
            }
            return to_bus_error(r.error());
        }
        if (r->bytes == 0) {
            continue;
        }
        budget = r->bytes >= budget ? 0 : budget - r->bytes;
        log::batch_iterator it(buf, _log.cfg().max_batch_bytes);
        log::batch_header h;
        std::span<const char> one;
        bool stored = false;
        while (added < max_records) {
            auto more = it.next(h, one);
            if (!more) {
                return to_bus_error(more.error());
            }
            if (!*more) {
                break;
            }
            if (h.is_control()) {
                a.position = std::max(a.position, h.last_offset() + 1);
                continue;
            }
            auto rr = log::record_reader::open(one, _log.cfg().max_batch_bytes);
            if (!rr) {
                return make_error(errc::corrupt, "{}-{} at offset {}: {}", a.part->topic(), a.part->id(),
                                  h.base_offset, rr.error().what());
            }
            log::record_view v;
            while (added < max_records) {
                auto got = rr->next(v);
                if (!got) {
                    return make_error(errc::corrupt, "{}-{}: {}", a.part->topic(), a.part->id(),
                                      got.error().what());
                }
                if (!*got) {
                    // Compaction-style gaps: the batch covers offsets up to its last delta.
                    a.position = std::max(a.position, h.last_offset() + 1);
                    break;
                }
                if (v.offset < a.position) {
                    continue;
                }
                out.records.push_back({a.part->id(), v.offset, v.timestamp_ms,
                                       v.key.value_or(std::string_view()),
                                       v.value.value_or(std::string_view())});
                a.position = v.offset + 1;
                ++added;
                stored = true;
            }
        }
        if (stored) {
            // The views point into buf's heap buffer, which moving keeps in
            // place (whole batches are far beyond the small-string size).
            out.storage.push_back(std::move(buf));
        }
    }
    _next_rr = n == 0 ? 0 : (_next_rr + 1) % n;
    if (_polled != nullptr) {
        _polled->inc(added);
    }
    return added;
}

result<void> local_consumer::poll(poll_result& out, size_t max_records, std::chrono::milliseconds timeout) {
    if (_topic == nullptr) {
        return make_error(errc::config, "poll() before assign() or subscribe()");
    }
    if (_pending_assign) {
        auto listener = std::move(*_pending_assign);
        _pending_assign.reset();
        if (listener.on_assigned) {
            listener.on_assigned(assignment());
        }
    }
    if (max_records == 0) {
        return ok();
    }
    const int64_t deadline = mono_nanos() + int64_t(timeout.count()) * 1'000'000;
    while (true) {
        uint64_t seq = _topic->notifier().sequence();
        auto got = fetch(out, max_records);
        if (!got) {
            return got.error();
        }
        if (*got > 0) {
            return ok();
        }
        int64_t left_ns = deadline - mono_nanos();
        if (left_ns <= 0) {
            return ok();
        }
        auto left = std::chrono::ceil<std::chrono::milliseconds>(std::chrono::nanoseconds(left_ns));
        _topic->notifier().wait(seq, left);
    }
}

std::filesystem::path local_consumer::offset_file(partition_id p) const {
    return _log.dir() / "__consumer_offsets" / _cfg.group / fmt::format("{}-{}", _topic->name(), p);
}

result<void> local_consumer::commit(const offsets& next) {
    if (_topic == nullptr) {
        return make_error(errc::config, "commit() before assign() or subscribe()");
    }
    if (_cfg.group.empty()) {
        return make_error(errc::config, "commit() needs a consumer group (local_consumer_config::group)");
    }
    for (const auto& [p, o] : next) {
        if (_topic->get(p) == nullptr) {
            return make_error(errc::unknown_partition, "commit for partition {} of {}, which has {}", p,
                              _topic->name(), _topic->partition_count());
        }
        if (o < mdsp::offset(0)) {
            return make_error(errc::offset_out_of_range, "commit of negative offset {} for {}-{}", o,
                              _topic->name(), p);
        }
        if (auto r = internal::write_offset(offset_file(p), o); !r) {
            return r;
        }
    }
    return ok();
}

result<std::optional<mdsp::offset>> local_consumer::committed(partition_id p) {
    if (_topic == nullptr) {
        return make_error(errc::config, "committed() before assign() or subscribe()");
    }
    if (_cfg.group.empty()) {
        return std::optional<mdsp::offset>();
    }
    return internal::read_offset(offset_file(p));
}

result<mdsp::offset> local_consumer::end_offset(partition_id p) {
    if (_topic == nullptr) {
        return make_error(errc::config, "end_offset() before assign() or subscribe()");
    }
    auto* part = _topic->get(p);
    if (part == nullptr) {
        return make_error(errc::unknown_partition, "topic {} has no partition {}", _topic->name(), p);
    }
    return part->end_offset();
}

std::optional<int64_t> local_consumer::lag() {
    if (_topic == nullptr) {
        return std::nullopt;
    }
    int64_t n = 0;
    for (const auto& [p, a] : _assigned) {
        int64_t l = std::max<int64_t>(0, a.part->end_offset()() - a.position());
        metrics::global()
            .get_gauge("mdsp_consumer_lag", "Records in a partition not yet read by this consumer",
                       {{"topic", _topic->name()}, {"partition", std::to_string(p)}})
            .set(static_cast<double>(l));
        n += l;
    }
    return n;
}

result<mdsp::offset> local_consumer::position(partition_id p) const {
    auto it = _assigned.find(p());
    if (it == _assigned.end()) {
        return make_error(errc::unknown_partition, "partition {} is not assigned to this consumer", p);
    }
    return it->second.position;
}

std::vector<partition_id> local_consumer::assignment() const {
    std::vector<partition_id> out;
    for (const auto& [pid, a] : _assigned) {
        out.emplace_back(pid);
    }
    return out;
}

result<std::vector<local_committed>> local_committed_offsets(const log::log& l, size_t max_entries) {
    std::vector<local_committed> out;
    std::error_code ec;
    auto root = l.dir() / "__consumer_offsets";
    if (!std::filesystem::exists(root, ec)) {
        return out;
    }
    for (std::filesystem::directory_iterator g(root, ec), end; !ec && g != end && out.size() < max_entries;
         g.increment(ec)) {
        if (!g->is_directory(ec) || !valid_group(g->path().filename().string())) {
            continue;
        }
        for (std::filesystem::directory_iterator f(g->path(), ec); !ec && f != end; f.increment(ec)) {
            auto name = f->path().filename().string();
            auto dash = name.rfind('-');
            int32_t p = -1;
            if (dash == std::string::npos
                || std::from_chars(name.data() + dash + 1, name.data() + name.size(), p).ptr
                       != name.data() + name.size()
                || p < 0) {
                continue; // a temp file of write_offset, or not ours
            }
            auto o = internal::read_offset(f->path());
            if (!o || !*o) {
                continue;
            }
            out.push_back({g->path().filename().string(), name.substr(0, dash), partition_id(p), **o});
            if (out.size() >= max_entries) {
                break;
            }
        }
    }
    if (ec) {
        return make_error(errc::io_error, "cannot list {}: {}", root.string(), ec.message());
    }
    std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
        return std::tie(a.group, a.topic, a.partition) < std::tie(b.group, b.topic, b.partition);
    });
    return out;
}

} // namespace mdsp::bus
