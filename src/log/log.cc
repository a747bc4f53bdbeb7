#include "log/log.h"

#include <algorithm>
#include <cerrno>
#include <charconv>

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/file.h>
#include <unistd.h>

#include "base/metrics.h"
#include "base/time.h"
#include "log/internal/file.h"

namespace mdsp::log {

namespace {
constexpr std::string_view topics_dir = "__topics";
constexpr int32_t max_partitions = 10000;

std::string format_meta(int32_t partitions) {
    return fmt::format("partitions={}\n", partitions);
}

result<int32_t> parse_meta(const std::string& text, const std::filesystem::path& p) {
    constexpr std::string_view key = "partitions=";
    int32_t n = 0;
    if (text.rfind(key, 0) == 0) {
        const char* b = text.data() + key.size();
        const char* e = text.data() + text.size();
        auto [ptr, ec] = std::from_chars(b, e, n);
        if (ec == std::errc{} && n > 0 && n <= max_partitions && (ptr == e || *ptr == '\n')) {
            return n;
        }
    }
    return make_error(errc::corrupt,
                      "topic metadata {} should read \"partitions=N\" (1..{}); fix or remove it", p.string(),
                      max_partitions);
}

partition_metrics metrics_for(const std::string& topic) {
    auto& g = metrics::global();
    metrics::labels l{{"topic", topic}};
    return {&g.get_counter("mdsp_log_records_appended_total", "Records appended to the log", l),
            &g.get_counter("mdsp_log_bytes_appended_total", "Bytes of record batches appended to the log", l),
            &g.get_counter("mdsp_log_batches_appended_total", "Record batches appended to the log", l),
            &g.get_counter("mdsp_log_fsyncs_total", "fdatasync calls on log segments", l)};
}
} // namespace

result<void> validate_topic_name(std::string_view name) {
    bool ok_chars = std::all_of(name.begin(), name.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.'
               || c == '_' || c == '-';
    });
    if (name.empty() || name.size() > 249 || !ok_chars || name == "." || name == "..") {
        return make_error(errc::invalid_argument,
                          "invalid topic name \"{}\": use 1 to 249 of the characters [A-Za-z0-9._-]", name);
    }
    return ok();
}

topic::topic(std::string name, std::vector<std::unique_ptr<partition>> parts)
  : _name(std::move(name))
  , _notifier(std::make_unique<append_notifier>())
  , _parts(std::move(parts)) {}

partition* topic::get(partition_id p) const noexcept {
    if (p() < 0 || p() >= int32_t(_parts.size())) {
        return nullptr;
    }
    return _parts[size_t(p())].get();
}

log::log(std::filesystem::path dir, config cfg, int lock_fd)
  : _dir(std::move(dir))
  , _cfg(cfg)
  , _lock_fd(lock_fd) {}

result<std::unique_ptr<log>> log::open(std::filesystem::path data_dir, config cfg) {
    if (auto r = cfg.validate(); !r) {
        return r.error();
    }
    std::error_code ec;
    std::filesystem::create_directories(data_dir / topics_dir, ec);
    if (ec) {
        return internal::io_error("cannot create", data_dir / topics_dir, ec.value());
    }
    auto lock_path = data_dir / ".lock";
    int fd = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) {
        return internal::io_error("cannot open", lock_path, errno);
    }
    if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
        ::close(fd);
        return make_error(
            errc::io_error,
            "{} is in use by another process (its .lock is held); stop it or use another data dir",
            data_dir.string());
    }
    std::unique_ptr<log> l(new log(data_dir, cfg, fd));

    std::vector<std::pair<std::string, int32_t>> found;
    for (const auto& e : std::filesystem::directory_iterator(data_dir / topics_dir, ec)) {
        auto name = e.path().filename().string();
        if (e.path().extension() == ".tmp" || !validate_topic_name(name)) {
            continue;
        }
        auto text = internal::read_small_file(e.path(), 64);
        if (!text) {
            return text.error();
        }
        auto n = parse_meta(*text, e.path());
        if (!n) {
            return n.error();
        }
        found.emplace_back(name, *n);
    }
    if (ec) {
        return internal::io_error("cannot list", data_dir / topics_dir, ec.value());
    }
    for (const auto& [name, n] : found) {
        std::lock_guard lk(l->_mu);
        if (auto t = l->open_topic(name, n); !t) {
            return t.error();
        }
    }
    bool need_bg =
        cfg.fsync.kind == fsync_policy::mode::interval
        || ((cfg.retention_ms >= 0 || cfg.retention_bytes >= 0) && cfg.retention_check_interval.count() > 0);
    if (need_bg) {
        l->_bg = std::thread([p = l.get()] { p->background(); });
    }
    return l;
}

log::~log() {
    close();
    ::close(_lock_fd);
}

result<topic*> log::open_topic(const std::string& name, int32_t partitions) {
    std::vector<std::unique_ptr<partition>> parts;
    auto m = metrics_for(name);
    auto t = std::make_unique<topic>(name, std::vector<std::unique_ptr<partition>>{});
    for (int32_t i = 0; i < partitions; ++i) {
        auto p = partition::open(_dir / fmt::format("{}-{}", name, i), name, partition_id(i), _cfg,
                                 &t->notifier(), m);
        if (!p) {
            return p.error();
        }
        parts.push_back(std::move(*p));
    }
    t->_parts = std::move(parts);
    auto* raw = t.get();
    _topics.emplace(name, std::move(t));
    return raw;
}

result<int32_t> log::ensure_topic(std::string_view name, int32_t partitions) {
    if (auto r = validate_topic_name(name); !r) {
        return r.error();
    }
    std::lock_guard lk(_mu);
    if (_closed) {
        return make_error(errc::closed, "ensure_topic({}) after the log was closed", name);
    }
    if (auto it = _topics.find(name); it != _topics.end()) {
        return it->second->partition_count();
    }
    if (partitions < 1 || partitions > max_partitions) {
        return make_error(errc::invalid_argument, "topic {} needs 1..{} partitions, got {}", name,
                          max_partitions, partitions);
    }
    // Record the count first: partition directories without it are ignored on open.
    if (auto r = internal::write_file_atomic(_dir / topics_dir / std::string(name), format_meta(partitions));
        !r) {
        return r.error();
    }
    auto t = open_topic(std::string(name), partitions);
    if (!t) {
        return t.error();
    }
    spdlog::info("log: created topic {} with {} partitions in {}", name, partitions, _dir.string());
    return partitions;
}

std::optional<int32_t> log::partition_count(std::string_view name) const {
    std::lock_guard lk(_mu);
    auto it = _topics.find(name);
    if (it == _topics.end()) {
        return std::nullopt;
    }
    return it->second->partition_count();
}

std::vector<std::string> log::topics() const {
    std::lock_guard lk(_mu);
    std::vector<std::string> out;
    for (const auto& [name, t] : _topics) {
        out.push_back(name);
    }
    return out;
}

result<topic*> log::get_topic(std::string_view name) const {
    std::lock_guard lk(_mu);
    auto it = _topics.find(name);
    if (it == _topics.end()) {
        return make_error(errc::unknown_topic, "unknown topic {}; create it first (ensure_topic)", name);
    }
    return it->second.get();
}

result<partition*> log::get_partition(std::string_view topic_name, partition_id p) const {
    auto t = get_topic(topic_name);
    if (!t) {
        return t.error();
    }
    if (auto* part = (*t)->get(p)) {
        return part;
    }
    return make_error(errc::unknown_partition, "topic {} has partitions 0..{}, not {}", topic_name,
                      (*t)->partition_count() - 1, p);
}

result<mdsp::offset> log::append(std::string_view topic_name, partition_id p,
                                 std::span<const record> records) {
    auto part = get_partition(topic_name, p);
    if (!part) {
        return part.error();
    }
    return (*part)->append(records);
}

result<read_result> log::read(std::string_view topic_name, partition_id p, mdsp::offset from,
                              size_t max_bytes, std::string& out) const {
    auto part = get_partition(topic_name, p);
    if (!part) {
        return part.error();
    }
    return (*part)->read(from, max_bytes, out);
}

std::vector<partition*> log::all_partitions() const {
    std::lock_guard lk(_mu);
    std::vector<partition*> out;
    for (const auto& [name, t] : _topics) {
        for (const auto& p : t->partitions()) {
            out.push_back(p.get());
        }
    }
    return out;
}

result<void> log::flush() {
    for (auto* p : all_partitions()) {
        if (auto r = p->flush(); !r) {
            return r.error();
        }
    }
    return ok();
}

result<size_t> log::enforce_retention() {
    size_t deleted = 0;
    int64_t now_ms = now_micros() / 1000;
    for (auto* p : all_partitions()) {
        auto r = p->enforce_retention(now_ms);
        if (!r) {
            return r.error();
        }
        deleted += *r;
    }
    return deleted;
}

void log::background() {
    using clock = std::chrono::steady_clock;
    const bool flushing = _cfg.fsync.kind == fsync_policy::mode::interval;
    const bool retaining =
        (_cfg.retention_ms >= 0 || _cfg.retention_bytes >= 0) && _cfg.retention_check_interval.count() > 0;
    auto next_flush = clock::now() + _cfg.fsync.every;
    auto next_retention = clock::now() + _cfg.retention_check_interval;
    std::unique_lock lk(_bg_mu);
    while (!_bg_stop) {
        auto wake = flushing ? next_flush : next_retention;
        if (flushing && retaining) {
            wake = std::min(next_flush, next_retention);
        }
        _bg_cv.wait_until(lk, wake, [&] { return _bg_stop; });
        if (_bg_stop) {
            break;
        }
        lk.unlock();
        auto now = clock::now();
        if (flushing && now >= next_flush) {
            if (auto r = flush(); !r) {
                spdlog::error("log: background flush failed: {}", r.error().what());
            }
            next_flush = now + _cfg.fsync.every;
        }
        if (retaining && now >= next_retention) {
            if (auto r = enforce_retention(); !r) {
                spdlog::error("log: retention failed: {}", r.error().what());
            }
            next_retention = now + _cfg.retention_check_interval;
        }
        lk.lock();
    }
}

void log::close() {
    {
        std::lock_guard lk(_mu);
        if (_closed) {
            return;
        }
        _closed = true;
    }
    {
        std::lock_guard lk(_bg_mu);
        _bg_stop = true;
    }
    _bg_cv.notify_all();
    if (_bg.joinable()) {
        _bg.join();
    }
    for (auto* p : all_partitions()) {
        p->close();
    }
    if (_cfg.fsync.kind != fsync_policy::mode::never) {
        if (auto r = flush(); !r) {
            spdlog::error("log: flush on close failed: {}", r.error().what());
        }
    }
    std::lock_guard lk(_mu);
    for (const auto& [name, t] : _topics) {
        t->notifier().close();
    }
}

} // namespace mdsp::log
