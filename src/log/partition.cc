#include "log/partition.h"

#include <algorithm>
#include <charconv>

#include <spdlog/spdlog.h>

#include "log/internal/bytes.h"
#include "log/internal/segment.h"

namespace mdsp::log {

using internal::segment;

uint64_t append_notifier::sequence() const {
    std::lock_guard lk(_mu);
    return _seq;
}

namespace {
// wait_for(now + milliseconds::max()) overflows; nobody needs more than a day.
std::chrono::milliseconds bounded(std::chrono::milliseconds t) {
    return std::clamp(t, std::chrono::milliseconds(0), std::chrono::milliseconds(std::chrono::hours(24)));
}
} // namespace

bool append_notifier::wait(uint64_t seen, std::chrono::milliseconds timeout) const {
    timeout = bounded(timeout);
    std::unique_lock lk(_mu);
    return _cv.wait_for(lk, timeout, [&] { return _seq != seen || _closed; }) && _seq != seen;
}

void append_notifier::notify() {
    {
        std::lock_guard lk(_mu);
        ++_seq;
    }
    _cv.notify_all();
}

void append_notifier::close() {
    {
        std::lock_guard lk(_mu);
        _closed = true;
    }
    _cv.notify_all();
}

partition::partition(std::filesystem::path dir, std::string topic, partition_id id, const config& cfg,
                     append_notifier* n, partition_metrics m)
  : _dir(std::move(dir))
  , _topic(std::move(topic))
  , _id(id)
  , _cfg(cfg)
  , _topic_notifier(n)
  , _metrics(m) {}

partition::~partition() = default;

namespace {

// Base offsets of the segments in dir, ascending; stray .index files and
// temporaries are removed.
result<std::vector<int64_t>> list_segments(const std::filesystem::path& dir) {
    std::vector<int64_t> bases;
    std::vector<std::filesystem::path> stray;
    std::error_code ec;
    for (const auto& e : std::filesystem::directory_iterator(dir, ec)) {
        auto name = e.path().filename().string();
        auto ext = e.path().extension().string();
        auto stem = e.path().stem().string();
        int64_t base = -1;
        bool numeric = stem.size() == 20
                       && std::from_chars(stem.data(), stem.data() + stem.size(), base).ec == std::errc{};
        if (ext == ".log" && numeric && base >= 0) {
            bases.push_back(base);
        } else if (ext == ".index" && numeric) {
            if (!std::filesystem::exists(dir / internal::segment_file_name(base, "log"))) {
                stray.push_back(e.path());
            }
        } else if (ext == ".tmp") {
            stray.push_back(e.path());
        }
    }
    if (ec) {
        return internal::io_error("cannot list", dir, ec.value());
    }
    for (const auto& p : stray) {
        spdlog::warn("log: removing stray file {}", p.string());
        std::filesystem::remove(p, ec);
    }
    std::sort(bases.begin(), bases.end());
    return bases;
}

} // namespace

result<std::unique_ptr<partition>> partition::open(std::filesystem::path dir, std::string topic,
                                                   partition_id id, const config& cfg,
                                                   append_notifier* topic_notifier, partition_metrics m) {
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec) {
        return internal::io_error("cannot create", dir, ec.value());
    }
    std::unique_ptr<partition> p(new partition(dir, std::move(topic), id, cfg, topic_notifier, m));
    p->_builder = std::make_unique<batch_builder>(cfg.max_batch_bytes);
    auto bases = list_segments(dir);
    if (!bases) {
        return bases.error();
    }
    internal::segment_options opt{cfg.index_interval_bytes, cfg.max_batch_bytes};
    std::vector<internal::segment_recovery> recs;
    int64_t expected_next = 0;
    for (size_t i = 0; i < bases->size(); ++i) {
        int64_t base = (*bases)[i];
        // A crash tears writes in the last segment, or in the one before it
        // when it came right after a roll: check every CRC in those two.
        bool tail = i + 2 >= bases->size();
        internal::segment_recovery rec;
        auto seg = segment::open(dir, base, opt, /*verify_crc=*/tail, rec);
        if (!seg) {
            return seg.error();
        }
        if (rec.index_rebuilt && !(*seg)->index_entries().empty()) {
            spdlog::info("log: rebuilt index {}", (*seg)->index_path().string());
        }
        if (base < expected_next) {
            return make_error(errc::corrupt,
                              "{}: segment {} starts at offset {} but the previous one ends at {}; move the "
                              "overlapping segment out of the directory",
                              dir.string(), (*seg)->log_path().filename().string(), base, expected_next);
        }
        expected_next = (*seg)->next_offset()();
        p->_segments.push_back(std::move(*seg));
        recs.push_back(std::move(rec));
    }
    p->report_recovery(recs);
    if (p->_segments.empty()) {
        auto seg = segment::create(dir, 0, opt);
        if (!seg) {
            return seg.error();
        }
        p->_segments.push_back(std::move(*seg));
        if (cfg.fsync.kind != fsync_policy::mode::never) {
            if (auto r = internal::sync_dir(dir); !r) {
                return r.error();
            }
        }
    }
    p->_active = p->_segments.back();
    p->_end = p->_active->next_offset()();
    p->_active_size = p->_active->size();
    return p;
}

void partition::report_recovery(const std::vector<internal::segment_recovery>& recs) {
    auto& g = metrics::global();
    auto& truncations = g.get_counter("mdsp_log_recovery_truncations_total",
                                      "Torn tails cut off the end of a partition on open");
    auto& truncated_bytes =
        g.get_counter("mdsp_log_recovery_truncated_bytes_total", "Bytes of torn tails cut off on open");
    auto& corrupt_regions = g.get_counter("mdsp_log_recovery_corrupt_regions_total",
                                          "Damaged stretches with valid batches after them, skipped on open");
    auto& corrupt_bytes =
        g.get_counter("mdsp_log_recovery_corrupt_bytes_total", "Bytes of damaged stretches skipped on open");
    auto& lost_offsets = g.get_counter("mdsp_log_recovery_lost_offsets_total",
                                       "Offsets inside damaged stretches, lost on open");
    const std::string where = _dir.filename().string();
    // A cut in the last segment that holds a batch, or after it, has nothing
    // valid after it: a torn tail. A cut in an earlier segment has the later
    // segments after it: corruption.
    size_t last_with_data = recs.size();
    for (size_t i = 0; i < _segments.size(); ++i) {
        if (_segments[i]->size() > 0) {
            last_with_data = i;
        }
    }
    auto add = [&](recovery_report::damage d) {
        int64_t lost = d.next_offset() - d.first_lost_offset();
        spdlog::error(
            "log: {}: {} is corrupt at byte {}: {}. Skipped {} bytes up to the next valid batch; {}, "
            "and the {} valid batches after them in this file, and every later segment, are kept. A "
            "process crash cannot leave damage followed by valid data; a bad disk, or a power loss "
            "before an fsync, can: check the disk (dmesg, smartctl)",
            where, d.file, d.position, d.reason, d.bytes,
            lost > 0 ? fmt::format("offsets {}..{} ({} records) are lost", d.first_lost_offset,
                                   d.next_offset - 1, lost)
                     : std::string("no offset is lost"),
            d.batches_after);
        corrupt_regions.inc();
        corrupt_bytes.inc(d.bytes);
        lost_offsets.inc(uint64_t(lost));
        _recovery.corrupt_bytes += d.bytes;
        _recovery.lost_offsets += lost;
        _recovery.corruption.push_back(std::move(d));
    };
    for (size_t i = 0; i < recs.size(); ++i) {
        const auto& rec = recs[i];
        const auto& seg = *_segments[i];
        std::string name = seg.log_path().filename().string();
        for (const auto& d : rec.damaged) {
            add({name, d.position, d.bytes, mdsp::offset(d.first_lost_offset), mdsp::offset(d.next_offset),
                 d.batches_after, d.reason});
        }
        if (rec.truncated_bytes == 0) {
            continue;
        }
        if (last_with_data < recs.size() && i < last_with_data) {
            add({name, rec.truncated_at, rec.truncated_bytes, seg.next_offset(),
                 _segments[i + 1]->base_offset(), 0,
                 rec.reason + "; nothing valid follows in this file, but the next segments hold batches"});
            continue;
        }
        spdlog::warn(
            "log: {}: truncated a torn tail of {} bytes at byte {} of {}: {}; nothing valid follows it, as "
            "after a crash in the middle of a write; every batch before it is kept",
            where, rec.truncated_bytes, rec.truncated_at, name, rec.reason);
        truncations.inc();
        truncated_bytes.inc(rec.truncated_bytes);
        _recovery.torn_tail_bytes += rec.truncated_bytes;
    }
}

result<mdsp::offset> partition::append(std::span<const record> records) {
    if (records.empty()) {
        return make_error(errc::invalid_argument, "append of an empty batch to {}-{}", _topic, _id);
    }
    std::lock_guard lk(_append_mu);
    _builder->reset();
    for (const auto& r : records) {
        if (!_builder->add(r)) {
            _builder->reset();
            return make_error(
                errc::too_large,
                "batch of {} records for {}-{} exceeds max_batch_bytes ({}); append fewer records",
                records.size(), _topic, _id, _cfg.max_batch_bytes);
        }
    }
    auto bytes = _builder->finish();
    auto h = parse_batch_header(bytes, _cfg.max_batch_bytes);
    MDSP_ASSERT(h.has_value(), "batch_builder produced an invalid header: {}", h.error().what());
    auto r = append_locked(bytes, *h);
    _builder->reset();
    return r;
}

result<mdsp::offset> partition::append(batch_builder& batch) {
    if (batch.empty()) {
        return make_error(errc::invalid_argument, "append of an empty batch to {}-{}", _topic, _id);
    }
    auto bytes = batch.finish();
    auto h = parse_batch_header(bytes, _cfg.max_batch_bytes);
    if (!h) {
        return h.error();
    }
    std::lock_guard lk(_append_mu);
    return append_locked(bytes, *h);
}

result<mdsp::offset> partition::append_encoded(std::span<char> batch) {
    auto h = parse_batch_header(batch, _cfg.max_batch_bytes);
    if (!h) {
        return h.error();
    }
    if (h->size_bytes() != batch.size()) {
        return make_error(errc::corrupt, "batch for {}-{} is {} bytes, its header says {}", _topic, _id,
                          batch.size(), h->size_bytes());
    }
    if (!crc_matches(*h, batch)) {
        return make_error(errc::corrupt, "batch for {}-{} fails its CRC-32C check", _topic, _id);
    }
    std::lock_guard lk(_append_mu);
    return append_locked(batch, *h);
}

result<void> partition::roll(int64_t base) {
    if (_cfg.fsync.kind != fsync_policy::mode::never) {
        if (auto r = _active->flush(); !r) {
            return r.error();
        } else if (*r && _metrics.fsyncs) {
            _metrics.fsyncs->inc();
        }
    }
    auto seg = segment::create(_dir, base, {_cfg.index_interval_bytes, _cfg.max_batch_bytes});
    if (!seg) {
        return seg.error();
    }
    if (_cfg.fsync.kind != fsync_policy::mode::never) {
        if (auto r = internal::sync_dir(_dir); !r) {
            return r.error();
        }
    }
    std::lock_guard lk(_mu);
    _segments.push_back(*seg);
    _active = std::move(*seg);
    _active_size = 0;
    return ok();
}

result<mdsp::offset> partition::append_locked(std::span<char> batch, const batch_header& in) {
    if (_closed_for_append) {
        return make_error(errc::closed, "append to {}-{} after the log was closed", _topic, _id);
    }
    const int64_t base = _active->next_offset()();
    batch_header h = in;
    h.base_offset = base;
    const int64_t last = base + h.last_offset_delta;
    const uint64_t size = _active->size();
    if (size > 0
        && (size + batch.size() > _cfg.segment_max_bytes || last - _active->base_offset()() > INT32_MAX)) {
        if (auto r = roll(base); !r) {
            return r.error();
        }
    }
    internal::put_u64(batch.data(), uint64_t(base));
    internal::put_u32(batch.data() + 12, 0); // partitionLeaderEpoch: a single leader at epoch 0
    if (auto r = _active->append(batch, h); !r) {
        return r.error();
    }
    if (_cfg.fsync.kind == fsync_policy::mode::always) {
        if (auto r = _active->flush(); !r) {
            return r.error();
        } else if (*r && _metrics.fsyncs) {
            _metrics.fsyncs->inc();
        }
    }
    {
        std::lock_guard lk(_mu);
        _end = last + 1;
        _active_size = _active->size();
    }
    _cv.notify_all();
    if (_topic_notifier) {
        _topic_notifier->notify();
    }
    if (_metrics.records) {
        _metrics.records->inc(uint64_t(h.record_count));
        _metrics.bytes->inc(batch.size());
        _metrics.batches->inc();
    }
    return mdsp::offset(base);
}

result<read_result> partition::read(mdsp::offset from, size_t max_bytes, std::string& out) const {
    std::vector<std::shared_ptr<segment>> segs;
    int64_t start = 0, end = 0;
    uint64_t active_size = 0;
    bool tail_is_active = false;
    {
        std::lock_guard lk(_mu);
        start = _segments.front()->base_offset()();
        end = _end;
        active_size = _active_size;
        if (from() >= start && from() < end) {
            auto it = std::upper_bound(_segments.begin(), _segments.end(), from(),
                                       [](int64_t o, const auto& s) { return o < s->base_offset()(); });
            if (it != _segments.begin()) {
                --it;
            }
            segs.assign(it, _segments.end());
            tail_is_active = true;
        }
    }
    if (from() < start || from() > end) {
        return make_error(errc::offset_out_of_range, "offset {} is outside [{}, {}] of {}-{}", from, start,
                          end, _topic, _id);
    }
    read_result res;
    res.next_offset = from;
    size_t budget = max_bytes;
    char head[batch_header_size];
    for (size_t i = 0; i < segs.size(); ++i) {
        const auto& seg = segs[i];
        uint64_t limit = (tail_is_active && i + 1 == segs.size()) ? active_size : seg->size();
        uint64_t pos = i == 0 ? seg->lookup(from) : 0;
        // Skip the batches, at most an index interval's worth, that end before `from`.
        batch_header h;
        bool found = false;
        while (pos + batch_header_size <= limit) {
            auto n = seg->read(pos, limit, {head, sizeof head});
            if (!n) {
                return n.error();
            }
            auto hh = parse_batch_header({head, *n}, _cfg.max_batch_bytes);
            if (!hh) {
                return hh.error();
            }
            h = *hh;
            if (h.last_offset() >= from) {
                found = true;
                break;
            }
            pos += h.size_bytes();
        }
        if (!found) {
            continue;
        }
        if (res.bytes > 0 && h.size_bytes() > budget) {
            break;
        }
        size_t want = size_t(std::min<uint64_t>(limit - pos, std::max(budget, h.size_bytes())));
        size_t old = out.size();
        out.resize(old + want);
        auto n = seg->read(pos, limit, {out.data() + old, want});
        if (!n) {
            out.resize(old);
            return n.error();
        }
        batch_iterator it({out.data() + old, *n}, _cfg.max_batch_bytes);
        std::span<const char> one;
        while (true) {
            auto more = it.next(h, one);
            if (!more) {
                out.resize(old);
                return more.error();
            }
            if (!*more) {
                break;
            }
            ++res.batches;
            res.next_offset = h.last_offset() + 1;
        }
        out.resize(old + it.position());
        res.bytes += it.position();
        budget = it.position() >= budget ? 0 : budget - it.position();
        if (budget == 0 || it.position() < limit - pos) {
            break;
        }
    }
    return res;
}

mdsp::offset partition::start_offset() const {
    std::lock_guard lk(_mu);
    return _segments.front()->base_offset();
}

mdsp::offset partition::end_offset() const {
    std::lock_guard lk(_mu);
    return mdsp::offset(_end);
}

bool partition::wait_for(mdsp::offset past, std::chrono::milliseconds timeout) const {
    timeout = bounded(timeout);
    std::unique_lock lk(_mu);
    return _cv.wait_for(lk, timeout, [&] { return _end > past() || _closed; }) && _end > past();
}

result<void> partition::flush() {
    std::vector<std::shared_ptr<segment>> dirty;
    {
        std::lock_guard lk(_mu);
        for (const auto& s : _segments) {
            if (s->dirty()) {
                dirty.push_back(s);
            }
        }
    }
    for (const auto& s : dirty) {
        auto r = s->flush();
        if (!r) {
            return r.error();
        }
        if (*r && _metrics.fsyncs) {
            _metrics.fsyncs->inc();
        }
    }
    return ok();
}

result<size_t> partition::enforce_retention(int64_t now_ms) {
    if (_cfg.retention_ms < 0 && _cfg.retention_bytes < 0) {
        return size_t(0);
    }
    std::vector<std::shared_ptr<segment>> victims;
    {
        std::lock_guard lk(_mu);
        uint64_t total = _active_size;
        for (size_t i = 0; i + 1 < _segments.size(); ++i) {
            total += _segments[i]->size();
        }
        size_t n = 0;
        for (; n + 1 < _segments.size(); ++n) {
            const auto& s = _segments[n];
            bool too_old = _cfg.retention_ms >= 0 && s->max_timestamp() < now_ms - _cfg.retention_ms;
            bool too_big = _cfg.retention_bytes >= 0 && total - s->size() >= uint64_t(_cfg.retention_bytes);
            if (!too_old && !too_big) {
                break;
            }
            total -= s->size();
        }
        victims.assign(_segments.begin(), _segments.begin() + ptrdiff_t(n));
        _segments.erase(_segments.begin(), _segments.begin() + ptrdiff_t(n));
    }
    for (const auto& s : victims) {
        spdlog::info("log: retention deletes {}/{} (offsets {}..{})", _dir.filename().string(),
                     s->log_path().filename().string(), s->base_offset(), s->next_offset() - 1);
        if (auto r = s->remove(); !r) {
            return r.error();
        }
    }
    if (!victims.empty() && _cfg.fsync.kind != fsync_policy::mode::never) {
        if (auto r = internal::sync_dir(_dir); !r) {
            return r.error();
        }
    }
    return victims.size();
}

uint64_t partition::size_bytes() const {
    std::lock_guard lk(_mu);
    uint64_t total = _active_size;
    for (size_t i = 0; i + 1 < _segments.size(); ++i) {
        total += _segments[i]->size();
    }
    return total;
}

size_t partition::segment_count() const {
    std::lock_guard lk(_mu);
    return _segments.size();
}

void partition::close() {
    {
        std::lock_guard lk(_append_mu);
        _closed_for_append = true;
    }
    {
        std::lock_guard lk(_mu);
        _closed = true;
    }
    _cv.notify_all();
}

} // namespace mdsp::log
