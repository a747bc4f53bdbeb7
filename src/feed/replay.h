#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <stop_token>
#include <string>
#include <string_view>
#include <vector>

#include "feed/clock.h"
#include "feed/source.h"

namespace mdsp::feed {

namespace internal {
class input_file;
class json_line_parser;
struct generic_columns;
} // namespace internal

enum class replay_format {
    automatic,   // detected from the first line
    binance_csv, // agg_trade_id,price,qty,first_trade_id,last_trade_id,time_ms,is_buyer_maker
    generic_csv, // a header naming a time and a price column (internal/line_parser.h)
    json_lines,  // one JSON object per line: a TwelveData event or a plain trade
};

// "auto", "binance", "csv", "jsonl".
std::string_view to_string(replay_format f) noexcept;
// Accepts the names to_string gives (and "binance-csv", "generic-csv", "json",
// "twelvedata").
std::optional<replay_format> parse_replay_format(std::string_view name) noexcept;
// What the first line of a file says it is; nullopt when it says nothing we
// know (a leading UTF-8 byte order mark is ignored).
std::optional<replay_format> detect_replay_format(std::string_view first_line) noexcept;

struct replay_config {
    std::string path;
    replay_format format = replay_format::automatic;
    // The symbol of every tick of a Binance file (which has no symbol column),
    // of a generic CSV without a symbol column, and of JSON lines without a
    // symbol key. For Binance files it defaults to <PAIR> when the file's
    // folder is named binance-<pair>.
    std::optional<std::string> symbol;
    // 0 = as fast as possible. Otherwise real time times this factor: each
    // tick is due (its event time - the first tick's) / speed after the first.
    double speed = 0;
    // Longer lines are dead-lettered (their first 64 KiB kept) and skipped.
    size_t max_line_bytes = size_t{1} << 20;
    // Pacing, ingest times and log rate limits; nullptr = system_clock(). Not owned.
    feed::clock* clock = nullptr;
    // Ends the waits for input. Reads never block: a FIFO is opened without
    // waiting for a writer, and poll() waits at most about 100 ms for bytes
    // (then returns what it has, maybe nothing), so a caller that checks its
    // own stop flag between polls always gets control back. open() alone waits
    // for the first line (to detect the format) as long as there is none and
    // this token is not stopped; once it is, open() fails with errc::stopped
    // within about 100 ms, and poll() no longer waits.
    std::stop_token stop;
};

// Replays a file of ticks, plain or gzip-compressed (told by its first bytes,
// not its name; see internal/input.h). source = "replay:<canonical absolute path>" (as
// text: bytes that are not UTF-8 and control characters shown as "\xNN"),
// ingest_time = now. seq = agg_trade_id for Binance files, the line number
// (1-based, header included) otherwise.
//
// Malformed lines go to the dead-letter sink (source_topic "file:<path>",
// source_offset = line number, error_kind "malformed", raw = the line) with a
// rate-limited warning, and the replay goes on. Empty lines and non-price
// TwelveData events are skipped silently.
//
// The input may be a FIFO or a device (/dev/zero): nothing blocks, no line is
// held in memory beyond max_line_bytes, and a line without an end is skipped
// a bounded number of bytes per poll() (it is dead-lettered when it ends).
//
// position() is "<byte offset>:<line number>" of the next line not yet turned
// into a returned tick or a dead letter (the offset counts decompressed bytes
// for gzip); resume() checks it lies on a line boundary of this file and
// seeks there (for gzip by decompressing up to it again).
//
// Owned and polled by one thread; the sink is called on that thread. No
// background work: the file is read in poll().
class replay final : public source {
public:
    // Opens the file, detects or checks the format and reads the header.
    // errc::not_found, errc::io_error, errc::bad_format (unknown first line),
    // errc::bad_config (no symbol where the file has none, bad speed).
    static result<std::unique_ptr<replay>> open(replay_config cfg, dead_letter_sink sink);
    ~replay() override;

    result<poll_status> poll(std::vector<model::tick>& out, size_t max) override;
    std::string id() const override { return _id; }
    std::string position() const override;
    result<void> resume(std::string_view position) override;
    std::optional<double> progress() const override;

    replay_format format() const noexcept { return _format; }
    const std::string& path() const noexcept { return _path; }
    const std::string& symbol() const noexcept { return _symbol; }
    // Lines consumed so far (header included), ticks returned, lines
    // dead-lettered, lines skipped (empty lines, non-price events).
    int64_t lines() const noexcept { return _pos_line - 1; }
    int64_t ticks() const noexcept { return _ticks; }
    int64_t malformed_lines() const noexcept { return _malformed; }
    int64_t skipped_lines() const noexcept { return _skipped; }
    // On disk: compressed, for gzip.
    int64_t file_size() const noexcept { return _file_size; }
    bool gzip() const noexcept;

private:
    replay(replay_config cfg, dead_letter_sink sink);

    enum class read_status { line, eof, error, pending /* no complete line yet, try later */ };
    // Waits at most wait_ms for input. With peek_overlong, a first line longer
    // than max_line_bytes is returned (cut, overlong set) without being
    // consumed or skipped: for the header, which must not wait for its end.
    read_status next_line(std::string_view& line, bool& overlong, int64_t& overlong_bytes, int wait_ms,
                          bool peek_overlong = false);
    enum class fill_status { data, would_block, eof, error };
    // At most room bytes of data into dst, after waiting at most wait_ms.
    fill_status fill(char* dst, size_t room, int wait_ms, size_t& got);
    // Drops what is buffered and reads on from offset, line (the input is there).
    void reset_reader(int64_t offset, int64_t line);
    result<void> read_header();
    // Why a JSON-lines file cannot be replayed as it is: its first line is a
    // plain trade without a symbol and no symbol was given.
    std::optional<std::string> json_needs_symbol(std::string_view first);
    // Parses one line into out (appending a tick), or dead-letters or skips it.
    // Returns true when a tick was appended.
    bool process(std::string_view line, std::vector<model::tick>& out, int64_t line_no, int64_t wall_now);
    void dead_letter(int64_t line_no, std::string_view raw, const std::string& what, int64_t wall_now);
    void log_summary();
    int64_t due_nanos(const model::tick& t) const;

    replay_config _cfg;
    dead_letter_sink _sink;
    feed::clock* _clock;
    replay_format _format = replay_format::automatic;
    std::string _path; // canonical
    std::string _id;
    std::string _file_name;
    std::string _topic; // "file:<path>"
    std::string _symbol;
    std::unique_ptr<internal::input_file> _in;
    int64_t _file_size = 0;
    std::unique_ptr<internal::generic_columns> _columns;
    std::unique_ptr<internal::json_line_parser> _json;

    // Read buffer: bytes [_begin, _end) are read and not yet split into lines.
    std::vector<char> _buf;
    size_t _begin = 0, _end = 0;
    bool _file_eof = false;
    int64_t _read_offset = 0; // file offset of _buf[_begin]
    int64_t _read_line = 1;   // number of the next line next_line() returns
    std::string _overlong_raw;
    bool _skipping = false;  // inside an over-long line, looking for its end
    int64_t _skip_total = 0; // its length so far
    std::string _error;      // scratch for parser messages

    int64_t _data_offset = 0; // where the first data line starts
    int64_t _data_line = 1;
    int64_t _pos_offset = 0; // committed position: see position()
    int64_t _pos_line = 1;

    std::optional<model::tick> _pending; // paced: parsed, not yet due
    bool _anchored = false;
    int64_t _anchor_event = 0;
    int64_t _anchor_mono = 0;

    int64_t _ticks = 0;
    int64_t _malformed = 0;
    int64_t _skipped = 0;
    int64_t _logged = 0;         // malformed lines logged one by one
    int64_t _suppressed = 0;     // not logged since the last summary
    int64_t _next_log_nanos = 0; // rate limit for the summaries
    bool _summary_logged = false;
};

} // namespace mdsp::feed
