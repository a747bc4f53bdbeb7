#include "log/internal/segment.h"

#include <algorithm>
#include <cerrno>

#include <fmt/format.h>
#include <unistd.h>

#include "log/internal/bytes.h"

namespace mdsp::log::internal {

std::string segment_file_name(int64_t base_offset, std::string_view ext) {
    return fmt::format("{:020d}.{}", base_offset, ext);
}

namespace {

constexpr size_t read_window = 1u << 20;

// Reads a file through a window that slides forward, so scanning many small
// batches costs few system calls. A request larger than the window (one big
// batch) grows it, bounded by the caller's checked length.
class window_reader {
public:
    window_reader(const file& f, uint64_t file_size)
      : _f(f)
      , _file_size(file_size) {}

    // The bytes [pos, pos + n), which the caller has checked lie in the file.
    result<std::span<const char>> get(uint64_t pos, size_t n) {
        if (pos < _pos || pos + n > _pos + _len) {
            size_t want = size_t(std::min<uint64_t>(std::max(n, read_window), _file_size - pos));
            if (_buf.size() < want) {
                _buf.resize(want);
            }
            auto r = _f.pread(pos, {_buf.data(), want});
            if (!r) {
                return r.error();
            }
            _pos = pos;
            _len = *r;
            if (_len < n) {
                return make_error(errc::io_error, "{} shrank while being read", _f.path().string());
            }
        }
        return std::span<const char>(_buf.data() + (pos - _pos), n);
    }

private:
    const file& _f;
    uint64_t _file_size;
    std::vector<char> _buf;
    uint64_t _pos = 0;
    size_t _len = 0;
};

struct scan_state {
    uint64_t valid_bytes = 0;
    int64_t next_offset = 0;
    int64_t max_ts = -1;
    uint64_t bytes_since_index = 0;
    std::vector<index_entry> entries;
    std::string problem;
};

result<scan_state> scan(const file& f, int64_t base, const segment_options& opt, bool verify_crc) {
    auto size = f.size();
    if (!size) {
        return size.error();
    }
    window_reader in(f, *size);
    scan_state s;
    s.next_offset = base;
    uint64_t pos = 0;
    while (pos < *size) {
        if (*size - pos < batch_header_size) {
            s.problem = fmt::format("{} bytes at the end are too few for a batch header", *size - pos);
            break;
        }
        auto head = in.get(pos, batch_header_size);
        if (!head) {
            return head.error();
        }
        auto h = parse_batch_header(*head, opt.max_batch_bytes);
        if (!h) {
            s.problem = h.error().what();
            break;
        }
        if (h->base_offset < s.next_offset) {
            s.problem = fmt::format("batch at position {} has baseOffset {}, below the expected {}", pos,
                                    h->base_offset, s.next_offset);
            break;
        }
        if (h->last_offset()() - base > INT32_MAX) {
            s.problem = fmt::format("batch at position {} has offsets too far from the segment base", pos);
            break;
        }
        if (h->size_bytes() > *size - pos) {
            s.problem = fmt::format("batch at position {} needs {} bytes, only {} present (torn write)", pos,
                                    h->size_bytes(), *size - pos);
            break;
        }
        if (verify_crc) {
            auto whole = in.get(pos, h->size_bytes());
            if (!whole) {
                return whole.error();
            }
            if (!crc_matches(*h, *whole)) {
                s.problem = fmt::format("batch at position {} (offset {}) fails its CRC-32C check", pos,
                                        h->base_offset);
                break;
            }
        }
        if (s.bytes_since_index >= opt.index_interval_bytes) {
            s.entries.push_back({int32_t(h->base_offset - base), int32_t(pos)});
            s.bytes_since_index = 0;
        }
        s.bytes_since_index += h->size_bytes();
        s.next_offset = h->last_offset()() + 1;
        s.max_ts = std::max(s.max_ts, h->max_timestamp);
        pos += h->size_bytes();
    }
    s.valid_bytes = pos;
    return s;
}

std::string encode_index(const std::vector<index_entry>& entries) {
    std::string out(entries.size() * 8, '\0');
    for (size_t i = 0; i < entries.size(); ++i) {
        put_u32(out.data() + i * 8, uint32_t(entries[i].relative_offset));
        put_u32(out.data() + i * 8 + 4, uint32_t(entries[i].position));
    }
    return out;
}

} // namespace

result<std::shared_ptr<segment>> segment::create(const std::filesystem::path& dir, int64_t base,
                                                 const segment_options& opt) {
    auto log = file::open(dir / segment_file_name(base, "log"), true);
    if (!log) {
        return log.error();
    }
    auto index = file::open(dir / segment_file_name(base, "index"), true);
    if (!index) {
        return index.error();
    }
    if (auto r = log->truncate(0); !r) {
        return r.error();
    }
    if (auto r = index->truncate(0); !r) {
        return r.error();
    }
    return std::shared_ptr<segment>(new segment(base, std::move(*log), std::move(*index), opt));
}

result<std::shared_ptr<segment>> segment::open(const std::filesystem::path& dir, int64_t base,
                                               const segment_options& opt, bool verify_crc,
                                               segment_recovery& rec) {
    auto log = file::open(dir / segment_file_name(base, "log"), false);
    if (!log) {
        return log.error();
    }
    auto index = file::open(dir / segment_file_name(base, "index"), true);
    if (!index) {
        return index.error();
    }
    auto s = scan(*log, base, opt, verify_crc);
    if (!s) {
        return s.error();
    }
    auto file_size = log->size();
    if (!file_size) {
        return file_size.error();
    }
    if (s->valid_bytes < *file_size) {
        rec.truncated_bytes = *file_size - s->valid_bytes;
        rec.reason = s->problem;
        if (auto r = log->truncate(s->valid_bytes); !r) {
            return r.error();
        }
        if (auto r = log->datasync(); !r) {
            return r.error();
        }
    }
    std::shared_ptr<segment> seg(new segment(base, std::move(*log), std::move(*index), opt));
    seg->_next.store(s->next_offset);
    seg->_size.store(s->valid_bytes);
    seg->_max_ts.store(s->max_ts);
    seg->_bytes_since_index = s->bytes_since_index;

    // The index is derived data: keep it only when it is exactly what the scan computed.
    std::string expected = encode_index(s->entries);
    auto index_size = seg->_index.size();
    if (!index_size) {
        return index_size.error();
    }
    bool same = *index_size == expected.size();
    if (same && !expected.empty()) {
        std::string on_disk(expected.size(), '\0');
        auto n = seg->_index.pread(0, {on_disk.data(), on_disk.size()});
        if (!n) {
            return n.error();
        }
        same = *n == on_disk.size() && on_disk == expected;
    }
    if (!same) {
        rec.index_rebuilt = true;
        if (auto r = seg->write_index(s->entries); !r) {
            return r.error();
        }
    }
    seg->_entries = std::move(s->entries);
    return seg;
}

result<void> segment::write_index(const std::vector<index_entry>& entries) {
    std::string bytes = encode_index(entries);
    if (auto r = _index.truncate(0); !r) {
        return r.error();
    }
    if (auto r = _index.pwrite(0, bytes); !r) {
        return r.error();
    }
    return _index.datasync();
}

result<void> segment::append(std::span<const char> batch, const batch_header& h) {
    uint64_t pos = _size.load(std::memory_order_relaxed);
    if (auto r = _log.pwrite(pos, batch); !r) {
        (void)_log.truncate(pos); // best effort: leave no partial batch behind
        return r.error();
    }
    if (_bytes_since_index >= _opt.index_interval_bytes) {
        index_entry e{int32_t(h.base_offset - _base), int32_t(pos)};
        char raw[8];
        put_u32(raw, uint32_t(e.relative_offset));
        put_u32(raw + 4, uint32_t(e.position));
        size_t n = 0;
        {
            std::lock_guard lk(_index_mu);
            _entries.push_back(e);
            n = _entries.size();
        }
        // A failed index write is repaired at the next open, which rebuilds
        // any index that disagrees with its segment.
        (void)_index.pwrite((n - 1) * 8, {raw, 8});
        _bytes_since_index = 0;
    }
    _bytes_since_index += batch.size();
    _max_ts.store(std::max(_max_ts.load(std::memory_order_relaxed), h.max_timestamp),
                  std::memory_order_release);
    _next.store(h.last_offset()() + 1, std::memory_order_release);
    _size.store(pos + batch.size(), std::memory_order_release);
    _dirty.store(true, std::memory_order_release);
    return ok();
}

result<bool> segment::flush() {
    if (!_dirty.exchange(false, std::memory_order_acq_rel)) {
        return false;
    }
    if (auto r = _log.datasync(); !r) {
        _dirty.store(true);
        return r.error();
    }
    if (auto r = _index.datasync(); !r) {
        _dirty.store(true);
        return r.error();
    }
    return true;
}

uint64_t segment::lookup(mdsp::offset o) const {
    int64_t rel = o() - _base;
    if (rel <= 0) {
        return 0;
    }
    std::lock_guard lk(_index_mu);
    auto it = std::upper_bound(_entries.begin(), _entries.end(), rel,
                               [](int64_t r, const index_entry& e) { return r < e.relative_offset; });
    if (it == _entries.begin()) {
        return 0;
    }
    return uint64_t((it - 1)->position);
}

result<size_t> segment::read(uint64_t pos, uint64_t limit, std::span<char> out) const {
    if (pos >= limit) {
        return size_t(0);
    }
    size_t n = size_t(std::min<uint64_t>(out.size(), limit - pos));
    return _log.pread(pos, out.first(n));
}

result<void> segment::remove() {
    if (::unlink(_log.path().c_str()) != 0 && errno != ENOENT) {
        return io_error("cannot delete", _log.path(), errno);
    }
    if (::unlink(_index.path().c_str()) != 0 && errno != ENOENT) {
        return io_error("cannot delete", _index.path(), errno);
    }
    return ok();
}

std::vector<index_entry> segment::index_entries() const {
    std::lock_guard lk(_index_mu);
    return _entries;
}

} // namespace mdsp::log::internal
