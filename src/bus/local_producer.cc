#include <algorithm>

#include <spdlog/spdlog.h>

#include "base/time.h"
#include "bus/local.h"

namespace mdsp::bus {

mdsp::error to_bus_error(const mdsp::error& e) {
    errc code = errc::io_error;
    if (e.code.category() == log::error_category()) {
        switch (static_cast<log::errc>(e.code.value())) {
        case log::errc::io_error:
            code = errc::io_error;
            break;
        case log::errc::corrupt:
        case log::errc::unsupported:
            code = errc::corrupt;
            break;
        case log::errc::too_large:
        case log::errc::invalid_argument:
            code = errc::config;
            break;
        case log::errc::unknown_topic:
            code = errc::unknown_topic;
            break;
        case log::errc::unknown_partition:
            code = errc::unknown_partition;
            break;
        case log::errc::offset_out_of_range:
            code = errc::offset_out_of_range;
            break;
        case log::errc::closed:
            code = errc::closed;
            break;
        }
    } else if (e.code.category() == error_category()) {
        return e;
    }
    return mdsp::error{make_error_code(code), e.what()};
}

local_producer::local_producer(log::log& l, local_producer_config cfg)
  : _log(l)
  , _cfg(cfg)
  , _batch_bytes(std::clamp(cfg.batch_max_bytes, log::batch_header_size + 64, l.cfg().max_batch_bytes)) {
    _cfg.batch_max_records = std::max<size_t>(_cfg.batch_max_records, 1);
}

local_producer::~local_producer() {
    if (auto r = flush(); !r) {
        spdlog::error("bus: records lost when the producer closed: {}", r.error().what());
    }
}

result<local_producer::topic_state*> local_producer::state_for(std::string_view topic) {
    if (_last != nullptr && _last->name == topic) {
        return _last;
    }
    if (auto it = _topics.find(topic); it != _topics.end()) {
        _last = it->second.get();
        return _last;
    }
    auto n = _log.ensure_topic(topic, _cfg.default_partitions);
    if (!n) {
        return to_bus_error(n.error());
    }
    auto t = _log.get_topic(topic);
    if (!t) {
        return to_bus_error(t.error());
    }
    auto st = std::make_unique<topic_state>();
    st->name = std::string(topic);
    for (int32_t i = 0; i < *n; ++i) {
        auto p = std::make_unique<pending>(_batch_bytes);
        p->part = (*t)->get(partition_id(i));
        st->parts.push_back(std::move(p));
    }
    st->sent = &metrics::global().get_counter("mdsp_bus_records_sent_total",
                                              "Records sent by local producers", {{"topic", st->name}});
    _last = st.get();
    _topics.emplace(st->name, std::move(st));
    return _last;
}

result<void> local_producer::append(topic_state& t, pending& p) {
    if (p.batch.empty()) {
        return ok();
    }
    auto r = p.part->append(p.batch);
    if (!r) {
        // The batch stays pending: nothing sent is dropped, and the caller
        // sees the error (disk full, log closed) and may retry with flush().
        return to_bus_error(r.error());
    }
    t.sent->inc(uint64_t(p.batch.record_count()));
    p.batch.reset();
    return ok();
}

result<void> local_producer::send(std::string_view topic, std::string_view key, std::string_view value,
                                  int64_t timestamp_ms, std::optional<partition_id> partition) {
    auto st = state_for(topic);
    if (!st) {
        return st.error();
    }
    topic_state& t = **st;
    const auto n = int32_t(t.parts.size());
    partition_id pid = partition ? *partition : partition_for(key, n);
    if (pid() < 0 || pid() >= n) {
        return make_error(errc::unknown_partition, "topic {} has partitions 0..{}, not {}", topic, n - 1,
                          pid);
    }
    pending& p = *t.parts[size_t(pid())];
    const int64_t now = mono_nanos();
    if (!p.batch.add(key, value, timestamp_ms)) {
        if (p.batch.empty()) {
            return make_error(
                errc::config,
                "a record of {} bytes (key {} + value {}) for {} does not fit a batch of {} bytes; "
                "raise batch_max_bytes and the log's max_batch_bytes",
                key.size() + value.size(), key.size(), value.size(), topic, _batch_bytes);
        }
        if (auto r = append(t, p); !r) {
            return r;
        }
        if (!p.batch.add(key, value, timestamp_ms)) {
            return make_error(errc::config, "a record for {} does not fit an empty batch of {} bytes", topic,
                              _batch_bytes);
        }
    }
    if (p.batch.record_count() == 1) {
        p.first_ns = now;
        _oldest_ns = std::min(_oldest_ns, now);
    }
    if (size_t(p.batch.record_count()) >= _cfg.batch_max_records || p.batch.size_bytes() >= _batch_bytes) {
        if (auto r = append(t, p); !r) {
            return r;
        }
    }
    if (now - _oldest_ns >= int64_t(_cfg.linger.count()) * 1000) {
        return sweep_linger(now);
    }
    return ok();
}

result<void> local_producer::sweep_linger(int64_t now_ns) {
    const int64_t linger_ns = int64_t(_cfg.linger.count()) * 1000;
    int64_t oldest = INT64_MAX;
    for (auto& [name, t] : _topics) {
        for (auto& p : t->parts) {
            if (p->batch.empty()) {
                continue;
            }
            if (now_ns - p->first_ns >= linger_ns) {
                if (auto r = append(*t, *p); !r) {
                    _oldest_ns = std::min(oldest, p->first_ns);
                    return r;
                }
            } else {
                oldest = std::min(oldest, p->first_ns);
            }
        }
    }
    _oldest_ns = oldest;
    return ok();
}

result<void> local_producer::poll_linger() {
    if (_oldest_ns == INT64_MAX) {
        return ok();
    }
    const int64_t now = mono_nanos();
    if (now - _oldest_ns < int64_t(_cfg.linger.count()) * 1000) {
        return ok();
    }
    return sweep_linger(now);
}

std::optional<std::chrono::steady_clock::time_point> local_producer::linger_deadline() const {
    if (_oldest_ns == INT64_MAX) {
        return std::nullopt;
    }
    // mono_nanos() and steady_clock share CLOCK_MONOTONIC's epoch on Linux;
    // convert through the difference from now to avoid depending on that.
    auto due_in = std::chrono::nanoseconds(_oldest_ns + int64_t(_cfg.linger.count()) * 1000 - mono_nanos());
    return std::chrono::steady_clock::now() + due_in;
}

result<void> local_producer::flush() {
    result<void> first_error;
    for (auto& [name, t] : _topics) {
        for (auto& p : t->parts) {
            if (auto r = append(*t, *p); !r && first_error.has_value()) {
                first_error = r;
            }
        }
    }
    if (first_error.has_value()) {
        _oldest_ns = INT64_MAX;
    }
    return first_error;
}

result<int32_t> local_producer::partition_count(std::string_view topic) {
    auto st = state_for(topic);
    if (!st) {
        return st.error();
    }
    return int32_t((*st)->parts.size());
}

} // namespace mdsp::bus
