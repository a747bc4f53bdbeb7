#include "feed/replay.h"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <limits>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "feed/internal/input.h"
#include "feed/internal/line_parser.h"
#include "model/text.h"

namespace mdsp::feed {

namespace {

constexpr size_t read_chunk = 256 * 1024;
constexpr size_t overlong_keep = 64 * 1024;     // of an over-long line, kept in its dead letter
constexpr int64_t max_wait_nanos = 100'000'000; // poll() waits at most this long
constexpr int max_wait_ms = 100;                // for input, likewise
// Of a line without an end, skipped per next_line() call: /dev/zero or a
// stuck writer must not keep poll() from returning.
constexpr size_t skip_budget = 16 * 1024 * 1024;
constexpr int64_t log_each_first = 10; // malformed lines logged one by one
constexpr int64_t log_interval_nanos = 5'000'000'000;
constexpr double min_speed = 1e-6;

std::string_view strip_bom(std::string_view s) {
    if (s.starts_with("\xEF\xBB\xBF")) {
        s.remove_prefix(3);
    }
    return s;
}

bool blank(std::string_view s) {
    return std::all_of(s.begin(), s.end(), [](char c) { return c == ' ' || c == '\t' || c == '\r'; });
}

std::string upper(std::string_view s) {
    std::string r(s);
    for (auto& c : r) {
        if (c >= 'a' && c <= 'z') {
            c = static_cast<char>(c - 'a' + 'A');
        }
    }
    return r;
}

// What the first bytes of an undetectable file say, for its error message:
// compressed files other than gzip (which input_file reads) are common.
std::string_view other_compression(std::string_view first) {
    if (first.starts_with("\x28\xB5\x2F\xFD")) {
        return " (it is zstd-compressed: decompress it first; only gzip is read directly)";
    }
    if (first.starts_with("BZh")) {
        return " (it looks bzip2-compressed: decompress it first; only gzip is read directly)";
    }
    if (first.starts_with("\xFD"
                          "7zXZ")) {
        return " (it is xz-compressed: decompress it first; only gzip is read directly)";
    }
    if (first.starts_with("PK\x03\x04")) {
        return " (it is a zip archive: extract the file first; only gzip is read directly)";
    }
    return "";
}

// "binance-xrpeth" -> "XRPETH".
std::optional<std::string> symbol_from_folder(const std::filesystem::path& file) {
    auto folder = file.parent_path().filename().string();
    constexpr std::string_view prefix = "binance-";
    if (folder.size() > prefix.size() && folder.starts_with(prefix)) {
        return upper(std::string_view(folder).substr(prefix.size()));
    }
    return std::nullopt;
}

} // namespace

std::string_view to_string(replay_format f) noexcept {
    switch (f) {
    case replay_format::automatic:
        return "auto";
    case replay_format::binance_csv:
        return "binance";
    case replay_format::generic_csv:
        return "csv";
    case replay_format::json_lines:
        return "jsonl";
    }
    return "auto";
}

std::optional<replay_format> parse_replay_format(std::string_view n) noexcept {
    if (n == "auto") {
        return replay_format::automatic;
    }
    if (n == "binance" || n == "binance-csv") {
        return replay_format::binance_csv;
    }
    if (n == "csv" || n == "generic-csv") {
        return replay_format::generic_csv;
    }
    if (n == "jsonl" || n == "json" || n == "twelvedata") {
        return replay_format::json_lines;
    }
    return std::nullopt;
}

std::optional<replay_format> detect_replay_format(std::string_view first_line) noexcept {
    auto s = strip_bom(first_line);
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) {
        s.remove_prefix(1);
    }
    if (s.starts_with('{')) {
        return replay_format::json_lines;
    }
    if (internal::is_binance_header(s) || internal::looks_like_binance_row(s)) {
        return replay_format::binance_csv;
    }
    if (internal::names_time_and_price(s)) {
        return replay_format::generic_csv;
    }
    return std::nullopt;
}

result<std::unique_ptr<replay>> replay::open(replay_config cfg, dead_letter_sink sink) {
    namespace fs = std::filesystem;
    if (!std::isfinite(cfg.speed) || cfg.speed < 0 || (cfg.speed > 0 && cfg.speed < min_speed)) {
        return make_error(errc::bad_config,
                          "replay speed {} must be 0 (as fast as possible) or a factor from {} up", cfg.speed,
                          min_speed);
    }
    if (cfg.max_line_bytes == 0) {
        return make_error(errc::bad_config, "replay max_line_bytes must be positive");
    }
    std::error_code ec;
    auto canonical = fs::canonical(cfg.path, ec);
    if (ec) {
        if (ec == std::errc::no_such_file_or_directory) {
            return make_error(errc::not_found, "replay file '{}' does not exist", cfg.path);
        }
        return make_error(errc::io_error, "cannot resolve replay file '{}': {}", cfg.path, ec.message());
    }
    if (fs::is_directory(canonical, ec)) {
        return make_error(errc::bad_config, "replay path '{}' is a folder; give a file", cfg.path);
    }
    std::unique_ptr<replay> r(new replay(std::move(cfg), std::move(sink)));
    r->_path = canonical.string();
    // A file name may hold any byte but '/' and NUL. What goes into records
    // (each tick's source, each dead letter's topic) and messages is the
    // path as text: Avro strings must be UTF-8, or every record would fail
    // to decode downstream.
    constexpr size_t whole = std::numeric_limits<size_t>::max();
    r->_id = "replay:" + model::echo_text(r->_path, whole);
    r->_topic = "file:" + model::echo_text(r->_path, whole);
    r->_file_name = model::echo_text(canonical.filename().string(), whole);
    r->_in = std::make_unique<internal::input_file>();
    if (std::string why; !r->_in->open(r->_path, why)) {
        return make_error(errc::io_error, "cannot open replay file '{}': {}", r->_path, why);
    }
    r->_file_size = r->_in->size();
    if (auto h = r->read_header(); !h) {
        return h.error();
    }
    if (r->_format == replay_format::binance_csv && r->_symbol.empty()) {
        auto from_folder = symbol_from_folder(r->_cfg.path);
        if (!from_folder) {
            from_folder = symbol_from_folder(canonical);
        }
        if (!from_folder) {
            return make_error(
                errc::bad_config,
                "{} is a Binance aggregate-trades file, which has no symbol column: pass the symbol "
                "option (e.g. --symbol XRPETH), or keep the file in a folder named binance-<pair>",
                r->_path);
        }
        r->_symbol = std::move(*from_folder);
    }
    return r;
}

replay::replay(replay_config cfg, dead_letter_sink sink)
  : _cfg(std::move(cfg))
  , _sink(std::move(sink))
  , _clock(_cfg.clock ? _cfg.clock : &system_clock())
  , _buf(_cfg.max_line_bytes + read_chunk + 1) {
    _symbol = _cfg.symbol.value_or("");
}

replay::~replay() = default;

bool replay::gzip() const noexcept {
    return _in && _in->gzip();
}

std::optional<std::string> replay::json_needs_symbol(std::string_view first) {
    if (!_symbol.empty() || first.empty()) {
        return std::nullopt;
    }
    model::tick t;
    if (_json->parse(first, t, _error) != internal::line_outcome::tick || !t.symbol.empty()) {
        return std::nullopt; // a bad first line is dead-lettered like any other
    }
    return fmt::format(
        "the JSON lines of '{}' have no symbol key (symbol, pair or instrument): pass --symbol "
        "SYM (the replay.symbol setting) to give all its ticks that symbol",
        _path);
}

result<void> replay::read_header() {
    std::string_view line;
    bool overlong = false;
    int64_t overlong_bytes = 0;
    read_status st = read_status::pending;
    while (true) {
        const bool stop = _cfg.stop.stop_requested();
        st = next_line(line, overlong, overlong_bytes, stop ? 0 : max_wait_ms, true);
        if (st != read_status::pending) {
            break;
        }
        if (stop) {
            return make_error(errc::stopped, "stopped while waiting for the first line of '{}'", _path);
        }
    }
    if (st == read_status::error) {
        return make_error(errc::io_error, "cannot read replay file '{}': {}", _path, _in->error());
    }
    const bool empty = st == read_status::eof;
    if (overlong && (_cfg.format == replay_format::automatic || _cfg.format == replay_format::generic_csv)) {
        return make_error(
            errc::bad_format,
            "the first line of '{}' is longer than {} bytes, so it is no header and its format "
            "cannot be told; is it a file of ticks? (pass the format option for headerless files)",
            _path, _cfg.max_line_bytes);
    }
    const std::string first = empty || overlong ? std::string() : std::string(strip_bom(line));
    _format = _cfg.format;
    if (_format == replay_format::automatic) {
        if (empty) {
            return make_error(
                errc::bad_format,
                "replay file '{}' is empty, so its format cannot be detected; pass the format option", _path);
        }
        auto detected = detect_replay_format(first);
        if (!detected) {
            return make_error(errc::bad_format,
                              "cannot tell the format of '{}' from its first line {}{}: expected a Binance "
                              "aggregate-trades header (agg_trade_id,price,qty,...), a CSV header naming "
                              "a time and a price column (time/timestamp/ts, price/p, and optionally "
                              "symbol/pair/instrument and size/qty/quantity/amount/volume), or JSON lines; "
                              "pass the format option",
                              _path, internal::quote_field(first), other_compression(first));
        }
        _format = *detected;
    }
    bool header = false;
    switch (_format) {
    case replay_format::binance_csv:
        header = internal::is_binance_header(first);
        break;
    case replay_format::generic_csv: {
        std::string why;
        auto cols = internal::parse_generic_header(first, &why);
        if (!cols) {
            return make_error(errc::bad_format,
                              "the first line of '{}', {}, is not a CSV header of ticks: {}", _path,
                              internal::quote_field(first), why);
        }
        if (cols->symbol < 0 && _symbol.empty()) {
            return make_error(errc::bad_config,
                              "'{}' has no symbol column (symbol, pair or instrument): pass --symbol SYM "
                              "(the replay.symbol setting) to give all its ticks that symbol",
                              _path);
        }
        _columns = std::make_unique<internal::generic_columns>(*cols);
        header = true;
        break;
    }
    case replay_format::json_lines:
    case replay_format::automatic:
        _json = std::make_unique<internal::json_line_parser>(internal::json_objects::any);
        if (auto why = json_needs_symbol(first)) {
            return make_error(errc::bad_config, "{}", *why);
        }
        break;
    }
    if (header) {
        _data_offset = _read_offset;
        _data_line = _read_line;
        _pos_offset = _data_offset;
        _pos_line = _data_line;
        return ok();
    }
    // No header: the data starts with the first line, which is still in the
    // buffer (nothing before it was dropped), so un-read it instead of seeking,
    // which a FIFO cannot do.
    _begin = 0;
    _read_offset = 0;
    _read_line = 1;
    _data_offset = 0;
    _data_line = 1;
    return ok();
}

void replay::reset_reader(int64_t offset, int64_t line) {
    _begin = _end = 0;
    _file_eof = false;
    _skipping = false;
    _read_offset = offset;
    _read_line = line;
    _pos_offset = offset;
    _pos_line = line;
    _pending.reset();
    _anchored = false;
    _summary_logged = false;
}

replay::fill_status replay::fill(char* dst, size_t room, int wait_ms, size_t& got) {
    switch (_in->read(dst, room, wait_ms, got)) {
    case internal::input_file::status::data:
        return fill_status::data;
    case internal::input_file::status::would_block:
        return fill_status::would_block;
    case internal::input_file::status::eof:
        return fill_status::eof;
    case internal::input_file::status::error:
        break;
    }
    return fill_status::error;
}

replay::read_status replay::next_line(std::string_view& line, bool& overlong, int64_t& overlong_bytes,
                                      int wait_ms, bool peek_overlong) {
    overlong = false;
    const size_t max_line = _cfg.max_line_bytes;
    char* base = _buf.data();
    auto end_of_overlong = [&] {
        _skipping = false;
        ++_read_line;
        line = _overlong_raw;
        overlong = true;
        overlong_bytes = _skip_total;
        return read_status::line;
    };
    if (_skipping) {
        // Inside a line longer than max_line: drop bytes until its end, at
        // most skip_budget per call.
        size_t budget = skip_budget;
        while (true) {
            if (_begin < _end) {
                if (const void* nl = std::memchr(base + _begin, '\n', _end - _begin)) {
                    const size_t p = static_cast<size_t>(static_cast<const char*>(nl) - base);
                    _skip_total += static_cast<int64_t>(p - _begin);
                    _read_offset += static_cast<int64_t>(p - _begin + 1);
                    _begin = p + 1;
                    return end_of_overlong();
                }
                _skip_total += static_cast<int64_t>(_end - _begin);
                _read_offset += static_cast<int64_t>(_end - _begin);
            }
            _begin = _end = 0;
            if (_file_eof) {
                return end_of_overlong(); // the input ends inside the line
            }
            if (budget == 0) {
                return read_status::pending;
            }
            size_t n = 0;
            switch (fill(base, std::min(_buf.size(), budget), wait_ms, n)) {
            case fill_status::would_block:
                return read_status::pending;
            case fill_status::error:
                return read_status::error;
            case fill_status::eof:
                _file_eof = true;
                break;
            case fill_status::data:
                _end = n;
                budget -= n;
                break;
            }
        }
    }
    size_t scan = _begin;
    while (true) {
        if (const void* nl = std::memchr(base + scan, '\n', _end - scan)) {
            const size_t p = static_cast<size_t>(static_cast<const char*>(nl) - base);
            const size_t len = p - _begin;
            line = std::string_view(base + _begin, len);
            if (len > max_line) {
                if (peek_overlong) {
                    line = line.substr(0, max_line);
                    overlong = true;
                    overlong_bytes = static_cast<int64_t>(len);
                    return read_status::line;
                }
                _overlong_raw.assign(base + _begin, std::min(len, overlong_keep));
                line = _overlong_raw;
                overlong = true;
                overlong_bytes = static_cast<int64_t>(len);
            } else if (line.ends_with('\r')) {
                line.remove_suffix(1);
            }
            _read_offset += static_cast<int64_t>(len + 1);
            _begin = p + 1;
            ++_read_line;
            return read_status::line;
        }
        scan = _end;
        if (_end - _begin > max_line) {
            if (peek_overlong) {
                line = std::string_view(base + _begin, max_line);
                overlong = true;
                overlong_bytes = static_cast<int64_t>(_end - _begin);
                return read_status::line;
            }
            // No newline within max_line bytes: keep the start, skip to the end.
            _overlong_raw.assign(base + _begin, std::min(_end - _begin, overlong_keep));
            _skip_total = static_cast<int64_t>(_end - _begin);
            _read_offset += _skip_total;
            _begin = _end = 0;
            _skipping = true;
            return next_line(line, overlong, overlong_bytes, wait_ms, false);
        }
        if (_file_eof) {
            if (_begin == _end) {
                return read_status::eof;
            }
            const size_t len = _end - _begin; // a last line without a newline
            line = std::string_view(base + _begin, len);
            if (line.ends_with('\r')) {
                line.remove_suffix(1);
            }
            _read_offset += static_cast<int64_t>(len);
            _begin = _end;
            ++_read_line;
            return read_status::line;
        }
        if (_begin > 0) {
            std::memmove(base, base + _begin, _end - _begin);
            scan -= _begin;
            _end -= _begin;
            _begin = 0;
        }
        size_t n = 0;
        switch (fill(base + _end, _buf.size() - _end, wait_ms, n)) {
        case fill_status::would_block:
            return read_status::pending;
        case fill_status::error:
            return read_status::error;
        case fill_status::eof:
            _file_eof = true;
            break;
        case fill_status::data:
            _end += n;
            break;
        }
    }
}

bool replay::process(std::string_view line, std::vector<model::tick>& out, int64_t line_no,
                     int64_t wall_now) {
    if (line_no == 1) {
        line = strip_bom(line);
    }
    if (blank(line)) {
        ++_skipped;
        return false;
    }
    model::tick& t = out.emplace_back();
    internal::line_outcome o = internal::line_outcome::malformed;
    switch (_format) {
    case replay_format::binance_csv:
        o = internal::parse_binance_line(line, t, _error);
        t.symbol = _symbol;
        break;
    case replay_format::generic_csv:
        o = internal::parse_generic_line(line, *_columns, t, _error);
        if (_columns->symbol < 0) {
            t.symbol = _symbol;
        }
        t.seq = sequence(line_no);
        break;
    case replay_format::json_lines:
    case replay_format::automatic:
        o = _json->parse(line, t, _error);
        if (o == internal::line_outcome::tick && t.symbol.empty()) {
            if (_symbol.empty()) {
                o = internal::line_outcome::malformed;
                _error = "no symbol (a key named symbol, pair or instrument), and no --symbol given";
            } else {
                t.symbol = _symbol;
            }
        }
        t.seq = sequence(line_no);
        break;
    }
    if (o != internal::line_outcome::tick) {
        out.pop_back();
        if (o == internal::line_outcome::malformed) {
            dead_letter(line_no, line, _error, wall_now);
        } else {
            ++_skipped;
        }
        return false;
    }
    t.source = _id;
    t.ingest_time = ingest_time(wall_now);
    return true;
}

void replay::dead_letter(int64_t line_no, std::string_view raw, const std::string& what, int64_t wall_now) {
    ++_malformed;
    std::string message = fmt::format("{}:{}: {}", _file_name, line_no, what);
    if (_logged < log_each_first) {
        spdlog::warn("replay: {} (sent to the dead-letter topic)", message);
        if (++_logged == log_each_first) {
            spdlog::warn("replay: further malformed lines of {} are summarised at most every {} s",
                         _file_name, log_interval_nanos / 1'000'000'000);
            _next_log_nanos = _clock->mono_nanos() + log_interval_nanos;
        }
    } else {
        ++_suppressed;
        const int64_t now = _clock->mono_nanos();
        if (now >= _next_log_nanos) {
            spdlog::warn("replay: {} more malformed lines in {}, the latest: {}", _suppressed, _file_name,
                         message);
            _suppressed = 0;
            _next_log_nanos = now + log_interval_nanos;
        }
    }
    if (_sink) {
        model::dead_letter d;
        d.source_topic = _topic;
        d.source_offset = line_no;
        d.error_kind = "malformed";
        d.message = std::move(message);
        d.raw.assign(raw);
        d.time = wall_now;
        _sink(std::move(d));
    }
}

void replay::log_summary() {
    if (_summary_logged) {
        return;
    }
    _summary_logged = true;
    if (_suppressed > 0) {
        spdlog::warn("replay: {} more malformed lines in {}", _suppressed, _file_name);
        _suppressed = 0;
    }
    if (_malformed > 0) {
        spdlog::warn("replay of {} done: {} ticks, {} malformed lines sent to the dead-letter topic", _path,
                     _ticks, _malformed);
    } else {
        spdlog::info("replay of {} done: {} ticks", _path, _ticks);
    }
}

int64_t replay::due_nanos(const model::tick& t) const {
    // In double and clamped, so that absurd event times (negative, or years
    // apart at a slow speed) cannot overflow: such a tick is just due very late.
    constexpr double limit = 4e18;
    const double gap_us = static_cast<double>(t.event_time()) - static_cast<double>(_anchor_event);
    return _anchor_mono + static_cast<int64_t>(std::clamp(gap_us * 1000.0 / _cfg.speed, -limit, limit));
}

result<poll_status> replay::poll(std::vector<model::tick>& out, size_t max) {
    if (max == 0) {
        return poll_status::ticks;
    }
    const size_t start = out.size();
    const bool paced = _cfg.speed > 0;
    int64_t wall = _clock->wall_micros();
    int64_t now = paced ? _clock->mono_nanos() : 0;
    while (out.size() - start < max) {
        if (_pending) {
            // Deadlines are offsets from one anchor, never from the previous
            // tick, so long gaps and many small sleeps add up without drift.
            const int64_t due = due_nanos(*_pending);
            if (due > now) {
                now = _clock->mono_nanos();
            }
            if (due > now) {
                if (out.size() > start) {
                    return poll_status::ticks;
                }
                _clock->sleep_until(std::min(due, now + max_wait_nanos));
                now = _clock->mono_nanos();
                if (due > now) {
                    return poll_status::ticks;
                }
                wall = _clock->wall_micros();
            }
            _pending->ingest_time = ingest_time(wall);
            out.push_back(std::move(*_pending));
            _pending.reset();
            ++_ticks;
            _pos_offset = _read_offset;
            _pos_line = _read_line;
            continue;
        }
        std::string_view line;
        bool overlong = false;
        int64_t overlong_bytes = 0;
        // Wait for input only while there is nothing to return, and not once stopping.
        const int wait = out.size() > start || _cfg.stop.stop_requested() ? 0 : max_wait_ms;
        const auto st = next_line(line, overlong, overlong_bytes, wait);
        if (st == read_status::pending) {
            return poll_status::ticks;
        }
        if (st == read_status::error) {
            if (out.size() > start) {
                return poll_status::ticks; // these first; the error comes again next time
            }
            return make_error(errc::io_error, "cannot read replay file '{}': {}", _path, _in->error());
        }
        if (st == read_status::eof) {
            log_summary();
            return out.size() > start ? poll_status::ticks : poll_status::end;
        }
        const int64_t line_no = _read_line - 1;
        if (overlong) {
            dead_letter(
                line_no, line,
                fmt::format("line is {} bytes, longer than the limit of {} (the first {} bytes are kept)",
                            overlong_bytes, _cfg.max_line_bytes, line.size()),
                wall);
        } else if (process(line, out, line_no, wall)) {
            if (paced) {
                if (!_anchored) {
                    _anchored = true;
                    _anchor_event = out.back().event_time();
                    _anchor_mono = now;
                } else if (due_nanos(out.back()) > now) {
                    _pending = std::move(out.back());
                    out.pop_back();
                    continue; // its line is committed once it is returned
                }
            }
            ++_ticks;
        }
        _pos_offset = _read_offset;
        _pos_line = _read_line;
    }
    return poll_status::ticks;
}

std::string replay::position() const {
    return fmt::format("{}:{}", _pos_offset, _pos_line);
}

result<void> replay::resume(std::string_view position) {
    auto colon = position.find(':');
    int64_t offset = -1, line = -1;
    auto parse = [](std::string_view s, int64_t& v) {
        auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
        return !s.empty() && ec == std::errc() && p == s.data() + s.size();
    };
    if (colon == std::string_view::npos || !parse(position.substr(0, colon), offset)
        || !parse(position.substr(colon + 1), line) || offset < 0 || line < 1) {
        return make_error(errc::bad_format,
                          "replay position '{}' is not '<byte offset>:<line>' from position()", position);
    }
    if (offset < _data_offset || line < _data_line) {
        return make_error(errc::bad_format,
                          "replay position '{}' lies before the data of '{}' (which starts at {}:{})",
                          position, _path, _data_offset, _data_line);
    }
    char before = 0;
    bool at_end = false;
    const auto st = _in->seek(offset, before, at_end);
    _file_size = _in->size();
    std::optional<mdsp::error> refused;
    if (st == internal::input_file::seek_status::error) {
        refused = make_error(errc::io_error, "cannot resume replay file '{}' at {}: {}", _path, position,
                             _in->error());
    } else if (st == internal::input_file::seek_status::past_end) {
        refused =
            make_error(errc::bad_format,
                       "replay position '{}' is past the end of '{}' ({} bytes{}): is it from another file?",
                       position, _path, _file_size, _in->gzip() ? " compressed" : "");
    } else if (offset > _data_offset && !at_end && before != '\n') {
        refused =
            make_error(errc::bad_format,
                       "replay position '{}' is not at the start of a line of '{}': is it from another file?",
                       position, _path);
    }
    if (refused) {
        // The input has moved: back to where the replay was, so that it
        // could go on as if resume() had not been called.
        (void)_in->seek(_pos_offset, before, at_end);
        reset_reader(_pos_offset, _pos_line);
        return *refused;
    }
    reset_reader(offset, line);
    return ok();
}

std::optional<double> replay::progress() const {
    if (_file_size <= 0) {
        return 1.0;
    }
    if (_in->gzip()) {
        // Decompressed offsets have no known total: the share of the file
        // read, short of done until the replay has ended.
        const double read = static_cast<double>(_in->raw_offset()) / static_cast<double>(_file_size);
        return _summary_logged ? 1.0 : std::clamp(read, 0.0, 0.999);
    }
    return std::clamp(static_cast<double>(_pos_offset) / static_cast<double>(_file_size), 0.0, 1.0);
}

} // namespace mdsp::feed
