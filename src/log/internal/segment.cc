#include "log/internal/segment.h"

#include <algorithm>
#include <cerrno>
#include <optional>

#include <fcntl.h>
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
    uint64_t valid_bytes = 0; // the end of the last valid batch
    int64_t next_offset = 0;
    int64_t max_ts = -1;
    uint64_t batches = 0;
    uint64_t bytes_since_index = 0;
    std::vector<index_entry> entries;
    std::vector<damaged_region> damaged;
    std::string problem; // why the bytes after valid_bytes were not read
};

// Whether the batch at pos can be kept: "" when it can, else why not. h
// gets its header when one parses.
result<std::string> check_batch(window_reader& in, uint64_t file_size, uint64_t pos, int64_t base,
                                int64_t expected, const segment_options& opt, bool verify_crc,
                                batch_header& h) {
    if (file_size - pos < batch_header_size) {
        return fmt::format("{} bytes at the end are too few for a batch header", file_size - pos);
    }
    auto head = in.get(pos, batch_header_size);
    if (!head) {
        return head.error();
    }
    auto hh = parse_batch_header(*head, opt.max_batch_bytes);
    if (!hh) {
        return fmt::format("batch at position {}: {}", pos, hh.error().what());
    }
    h = *hh;
    if (h.base_offset < expected) {
        return fmt::format("batch at position {} has baseOffset {}, below the expected {}", pos,
                           h.base_offset, expected);
    }
    if (h.last_offset()() - base > INT32_MAX) {
        return fmt::format("batch at position {} has offsets too far from the segment base", pos);
    }
    if (h.size_bytes() > file_size - pos) {
        return fmt::format("batch at position {} needs {} bytes, only {} present", pos, h.size_bytes(),
                           file_size - pos);
    }
    if (verify_crc) {
        auto whole = in.get(pos, h.size_bytes());
        if (!whole) {
            return whole.error();
        }
        if (!crc_matches(h, *whole)) {
            return fmt::format("batch at position {} (offset {}) fails its CRC-32C check", pos,
                               h.base_offset);
        }
    }
    return std::string();
}

// The position of the first batch at or after from that is valid, CRC-32C
// included, and continues the offsets (baseOffset >= expected); nullopt when
// none. Only a position with the magic byte in place is parsed at all.
result<std::optional<uint64_t>> find_next_batch(window_reader& in, uint64_t file_size, uint64_t from,
                                                int64_t base, int64_t expected, const segment_options& opt) {
    constexpr size_t magic_at = 16;
    for (uint64_t q = from; q + batch_header_size <= file_size; ++q) {
        auto magic = in.get(q + magic_at, 1);
        if (!magic) {
            return magic.error();
        }
        if ((*magic)[0] != char(magic_v2)) {
            continue;
        }
        batch_header h;
        auto why = check_batch(in, file_size, q, base, expected, opt, /*verify_crc=*/true, h);
        if (!why) {
            return why.error();
        }
        if (why->empty()) {
            return std::optional<uint64_t>(q);
        }
    }
    return std::optional<uint64_t>();
}

result<scan_state> scan(const file& f, int64_t base, const segment_options& opt, bool verify_crc) {
    auto size = f.size();
    if (!size) {
        return size.error();
    }
    window_reader in(f, *size);
    scan_state s;
    s.next_offset = base;
    uint64_t pos = 0;
    std::vector<uint64_t> batches_before_damage;
    while (pos < *size) {
        batch_header h;
        auto why = check_batch(in, *size, pos, base, s.next_offset, opt, verify_crc, h);
        if (!why) {
            return why.error();
        }
        if (!why->empty()) {
            // Damage, or a torn tail: which one depends on whether a valid
            // batch follows. A crash tears only the last write, so a valid
            // batch after bad bytes means the bytes were damaged in place.
            auto next = find_next_batch(in, *size, pos + 1, base, s.next_offset, opt);
            if (!next) {
                return next.error();
            }
            if (!*next) {
                s.problem = std::move(*why);
                break;
            }
            auto hh = in.get(**next, batch_header_size);
            if (!hh) {
                return hh.error();
            }
            auto nh = parse_batch_header(*hh, opt.max_batch_bytes);
            MDSP_ASSERT(nh.has_value(), "a batch found valid no longer parses");
            s.damaged.push_back({pos, **next - pos, s.next_offset, nh->base_offset, 0, std::move(*why)});
            batches_before_damage.push_back(s.batches);
            pos = **next;
            continue;
        }
        if (s.bytes_since_index >= opt.index_interval_bytes) {
            s.entries.push_back({int32_t(h.base_offset - base), int32_t(pos)});
            s.bytes_since_index = 0;
        }
        s.bytes_since_index += h.size_bytes();
        s.next_offset = h.last_offset()() + 1;
        s.max_ts = std::max(s.max_ts, h.max_timestamp);
        ++s.batches;
        pos += h.size_bytes();
    }
    s.valid_bytes = pos;
    for (size_t i = 0; i < s.damaged.size(); ++i) {
        s.damaged[i].batches_after = s.batches - batches_before_damage[i];
    }
    return s;
}

// Copies every valid byte of the log (below valid_end, outside the damaged
// regions) to "<log>.tmp", fsyncs it and renames it over the log, then
// fsyncs the directory. A crash at any point leaves either the damaged
// original, repaired again at the next open, or the repaired copy; the
// partition removes a leftover .tmp when it opens.
result<file> rewrite_without(const file& log, const std::vector<damaged_region>& damaged,
                             uint64_t valid_end) {
    auto tmp_path = log.path();
    tmp_path += ".tmp";
    int fd = ::open(tmp_path.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        return io_error("cannot create", tmp_path, errno);
    }
    auto copied = [&]() -> result<void> {
        file tmp(fd, tmp_path);
        std::vector<char> buf(read_window);
        uint64_t out = 0;
        auto copy = [&](uint64_t from, uint64_t to) -> result<void> {
            while (from < to) {
                size_t n = size_t(std::min<uint64_t>(buf.size(), to - from));
                auto r = log.pread(from, {buf.data(), n});
                if (!r) {
                    return r.error();
                }
                if (*r != n) {
                    return make_error(errc::io_error, "{} shrank while being repaired", log.path().string());
                }
                if (auto w = tmp.pwrite(out, {buf.data(), n}); !w) {
                    return w.error();
                }
                out += n;
                from += n;
            }
            return ok();
        };
        uint64_t from = 0;
        for (const auto& d : damaged) {
            if (auto r = copy(from, d.position); !r) {
                return r;
            }
            from = d.position + d.bytes;
        }
        if (auto r = copy(from, valid_end); !r) {
            return r;
        }
        return tmp.datasync();
    }();
    if (!copied) {
        ::unlink(tmp_path.c_str());
        return copied.error();
    }
    if (::rename(tmp_path.c_str(), log.path().c_str()) != 0) {
        int err = errno;
        ::unlink(tmp_path.c_str());
        return io_error("cannot rename onto", log.path(), err);
    }
    if (auto r = sync_dir(log.path().parent_path()); !r) {
        return r.error();
    }
    return file::open(log.path(), false);
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
    if (!s->damaged.empty()) {
        rec.damaged = s->damaged;
        if (s->valid_bytes < *file_size) {
            rec.truncated_bytes = *file_size - s->valid_bytes;
            rec.truncated_at = s->valid_bytes;
            rec.reason = s->problem;
        }
        auto repaired = rewrite_without(*log, s->damaged, s->valid_bytes);
        if (!repaired) {
            return repaired.error();
        }
        *log = std::move(*repaired);
        s = scan(*log, base, opt, verify_crc);
        if (!s) {
            return s.error();
        }
        file_size = log->size();
        if (!file_size) {
            return file_size.error();
        }
        if (!s->damaged.empty() || s->valid_bytes != *file_size) {
            return make_error(
                errc::corrupt,
                "{} is still not whole after its damaged bytes were removed ({}); move it out of "
                "the directory",
                log->path().string(), s->problem);
        }
    } else if (s->valid_bytes < *file_size) {
        rec.truncated_bytes = *file_size - s->valid_bytes;
        rec.truncated_at = s->valid_bytes;
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
