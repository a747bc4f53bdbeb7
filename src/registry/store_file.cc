// The registry's durable record: open() replays schemas.jsonl, append()
// adds one fdatasync'ed line per registration or configuration change. A
// line that cannot be read is skipped and moved to schemas.jsonl.rejected.
#include <cerrno>
#include <cstring>
#include <fstream>
#include <limits>

#include <boost/json/parse.hpp>
#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include "model/framing.h"
#include "model/schemas.h"
#include "registry/store.h"
#include "registry/text.h"

namespace mdsp::registry {

namespace json = boost::json;

schema_registry::~schema_registry() {
    if (_fd >= 0) {
        ::close(_fd);
    }
}

result<std::unique_ptr<schema_registry>> schema_registry::open(std::filesystem::path file) {
    std::unique_ptr<schema_registry> r(new schema_registry());
    struct builtin {
        const char* subject;
        uint32_t id;
        std::string_view text;
    };
    for (const auto& b :
         {builtin{"market.ticks-value", model::tick_schema_id, model::tick_schema()},
          builtin{"market.candles-value", model::candle_schema_id, model::candle_schema()},
          builtin{"market.deadletter-value", model::dead_letter_schema_id, model::dead_letter_schema()}}) {
        auto s = avro::schema::parse(b.text);
        MDSP_ASSERT(s.has_value(), "the embedded schema of {} does not parse: {}", b.subject,
                    s.has_value() ? "" : s.error().what());
        auto id = r->add_schema(std::make_shared<avro::schema>(std::move(*s)), static_cast<int32_t>(b.id));
        r->_subjects[b.subject].ids.push_back(id);
        ++r->_version_count;
    }
    r->_file = std::move(file);
    if (r->_file.empty()) {
        return r;
    }
    std::error_code ec;
    std::filesystem::create_directories(r->_file.parent_path(), ec);
    if (ec) {
        return make_error(errc::io_error, "cannot create {} for the schema registry: {}",
                          r->_file.parent_path().string(), ec.message());
    }
    if (auto rp = r->replay(); !rp) {
        return rp.error();
    }
    r->_fd = ::open(r->_file.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    if (r->_fd < 0) {
        return make_error(errc::io_error, "cannot open {} for writing: {}", r->_file.string(),
                          std::strerror(errno));
    }
    return r;
}

namespace {

// Writes all of content to fd; false with errno set when it cannot.
bool write_all(int fd, std::string_view content) {
    size_t done = 0;
    while (done < content.size()) {
        auto n = ::write(fd, content.data() + done, content.size() - done);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            return false;
        }
        done += static_cast<size_t>(n);
    }
    return true;
}

// Appends content to file and syncs it.
result<void> append_synced(const std::filesystem::path& file, std::string_view content) {
    int fd = ::open(file.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) {
        return make_error(errc::io_error, "cannot open {}: {}", file.string(), std::strerror(errno));
    }
    bool ok_write = write_all(fd, content) && ::fdatasync(fd) == 0;
    int saved = errno;
    ::close(fd);
    if (!ok_write) {
        return make_error(errc::io_error, "cannot write {}: {}", file.string(), std::strerror(saved));
    }
    return ok();
}

// Replaces file by content in one step (a synced temporary file renamed over
// it), so a crash leaves either the old file or the new one.
result<void> replace_file(const std::filesystem::path& file, std::string_view content) {
    auto tmp = file;
    tmp += ".tmp";
    std::error_code ec;
    std::filesystem::remove(tmp, ec);
    if (auto w = append_synced(tmp, content); !w) {
        return w.error();
    }
    if (::rename(tmp.c_str(), file.c_str()) != 0) {
        return make_error(errc::io_error, "cannot rename {} to {}: {}", tmp.string(), file.string(),
                          std::strerror(errno));
    }
    int dir = ::open(file.parent_path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir >= 0) {
        ::fsync(dir);
        ::close(dir);
    }
    return ok();
}

} // namespace

std::optional<std::string> schema_registry::replay_line(std::string_view line) {
    std::error_code ec;
    auto v = json::parse(line, ec);
    if (ec) {
        return fmt::format("not valid JSON ({})", ec.message());
    }
    if (!v.is_object()) {
        return std::string("not a JSON object");
    }
    const auto& o = v.get_object();
    auto* subject = o.if_contains("subject");
    if (subject && subject->is_string()) {
        if (auto why = subject_problem(subject->get_string())) {
            return fmt::format("the subject '{}' is not valid: {}", printable_utf8(subject->get_string(), 64),
                               *why);
        }
    }
    if (auto* lvl = o.if_contains("compatibility")) {
        auto l = lvl->is_string() ? parse_level(lvl->get_string()) : std::nullopt;
        if (!l) {
            return std::string("unknown compatibility level");
        }
        if (subject && subject->is_string()) {
            _subject_levels[std::string(subject->get_string())] = *l;
        } else {
            _global = *l;
        }
        return std::nullopt;
    }
    auto* id = o.if_contains("id");
    auto* text = o.if_contains("schema");
    if (!subject || !subject->is_string() || !id || !id->is_int64() || id->get_int64() < 1
        || id->get_int64() > std::numeric_limits<int32_t>::max() || !text || !text->is_string()) {
        return std::string("a registration needs subject, id and schema");
    }
    auto s = avro::schema::parse(text->get_string());
    if (!s) {
        return fmt::format("the schema is not valid: {}", s.error().what());
    }
    auto known = _by_id.find(static_cast<int32_t>(id->get_int64()));
    if (known != _by_id.end() && known->second.parsed->canonical() != s->canonical()) {
        return std::string("the id is used by another schema");
    }
    auto sid =
        add_schema(std::make_shared<avro::schema>(std::move(*s)), static_cast<int32_t>(id->get_int64()));
    _subjects[std::string(subject->get_string())].ids.push_back(sid);
    ++_version_count;
    return std::nullopt;
}

result<void> schema_registry::replay() {
    std::ifstream in(_file, std::ios::binary);
    if (!in) {
        return ok(); // a new data folder
    }
    std::string all((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    in.close();
    auto aside = _file;
    aside += ".rejected";
    std::string kept;
    std::string rejected;
    size_t torn_at = std::string::npos;
    size_t pos = 0;
    size_t line_no = 0;
    while (pos < all.size()) {
        ++line_no;
        auto nl = all.find('\n', pos);
        if (nl == std::string::npos) {
            // A crash during the append left half a line; what was answered
            // before it is whole. Cut it so the next append starts clean.
            spdlog::warn("schema registry: {} ends in an incomplete line {} ({} bytes); dropping it, a copy "
                         "goes to {}",
                         _file.string(), line_no, all.size() - pos, aside.string());
            torn_at = pos;
            rejected.append(all, pos).push_back('\n');
            break;
        }
        std::string_view line(all.data() + pos, nl - pos);
        pos = nl + 1;
        // A line that cannot be read must not stop the start (issue 10 item
        // 3): the rest of the registry is served, the line is kept aside for
        // whoever wants to repair it.
        if (auto why = replay_line(line)) {
            spdlog::warn("schema registry: {}:{}: {}; skipping the line, it is kept in {}", _file.string(),
                         line_no, *why, aside.string());
            rejected.append(line).push_back('\n');
        } else {
            kept.append(line).push_back('\n');
        }
    }
    if (rejected.empty()) {
        return ok();
    }
    auto saved = append_synced(aside, rejected);
    if (saved) {
        saved = replace_file(_file, kept);
    }
    if (!saved) {
        // The bad lines stay where they are (and are skipped again next
        // time); only a torn tail must go, for the appends that follow.
        spdlog::warn("schema registry: cannot set the unreadable lines of {} aside: {}", _file.string(),
                     saved.error().what());
        if (torn_at != std::string::npos) {
            std::error_code ec;
            std::filesystem::resize_file(_file, torn_at, ec);
            if (ec) {
                return make_error(errc::io_error, "cannot cut the incomplete last line of {}: {}",
                                  _file.string(), ec.message());
            }
        }
    }
    return ok();
}

result<void> schema_registry::append(const std::string& line) {
    if (_fd < 0) {
        return ok();
    }
    std::string buf = line + "\n";
    if (!write_all(_fd, buf)) {
        return make_error(errc::io_error, "cannot append to {}: {}", _file.string(), std::strerror(errno));
    }
    if (::fdatasync(_fd) != 0) {
        return make_error(errc::io_error, "cannot sync {}: {}", _file.string(), std::strerror(errno));
    }
    return ok();
}

} // namespace mdsp::registry
