// The registry's durable record: open() replays schemas.jsonl, append()
// adds one fdatasync'ed line per registration or configuration change.
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

result<void> schema_registry::replay() {
    std::ifstream in(_file, std::ios::binary);
    if (!in) {
        return ok(); // a new data folder
    }
    std::string all((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    size_t pos = 0;
    size_t line_no = 0;
    while (pos < all.size()) {
        ++line_no;
        auto nl = all.find('\n', pos);
        if (nl == std::string::npos) {
            // A crash during the append left half a line; what was answered
            // before it is whole. Cut it so the next append starts clean.
            spdlog::warn("schema registry: {} ends in an incomplete line {} ({} bytes); dropping it",
                         _file.string(), line_no, all.size() - pos);
            std::filesystem::resize_file(_file, pos);
            break;
        }
        std::string_view line(all.data() + pos, nl - pos);
        pos = nl + 1;
        auto corrupt = [&](std::string_view why) {
            return make_error(errc::corrupt,
                              "{}:{}: {}; the schema registry cannot start. Move the file away to start with "
                              "an empty registry, or fix the line",
                              _file.string(), line_no, why);
        };
        std::error_code ec;
        auto v = json::parse(line, ec);
        if (ec || !v.is_object()) {
            return corrupt("not a JSON object");
        }
        const auto& o = v.get_object();
        auto* subject = o.if_contains("subject");
        if (auto* lvl = o.if_contains("compatibility")) {
            auto l = lvl->is_string() ? parse_level(lvl->get_string()) : std::nullopt;
            if (!l) {
                return corrupt("unknown compatibility level");
            }
            if (subject && subject->is_string()) {
                _subject_levels[std::string(subject->get_string())] = *l;
            } else {
                _global = *l;
            }
            continue;
        }
        auto* id = o.if_contains("id");
        auto* text = o.if_contains("schema");
        if (!subject || !subject->is_string() || !id || !id->is_int64() || id->get_int64() < 1
            || id->get_int64() > std::numeric_limits<int32_t>::max() || !text || !text->is_string()) {
            return corrupt("a registration needs subject, id and schema");
        }
        auto s = avro::schema::parse(text->get_string());
        if (!s) {
            return corrupt(s.error().what());
        }
        auto known = _by_id.find(static_cast<int32_t>(id->get_int64()));
        if (known != _by_id.end() && known->second.parsed->canonical() != s->canonical()) {
            return corrupt("the id is used by another schema");
        }
        auto sid =
            add_schema(std::make_shared<avro::schema>(std::move(*s)), static_cast<int32_t>(id->get_int64()));
        _subjects[std::string(subject->get_string())].ids.push_back(sid);
        ++_version_count;
    }
    return ok();
}

result<void> schema_registry::append(const std::string& line) {
    if (_fd < 0) {
        return ok();
    }
    std::string buf = line + "\n";
    size_t done = 0;
    while (done < buf.size()) {
        auto n = ::write(_fd, buf.data() + done, buf.size() - done);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            return make_error(errc::io_error, "cannot append to {}: {}", _file.string(),
                              std::strerror(errno));
        }
        done += static_cast<size_t>(n);
    }
    if (::fdatasync(_fd) != 0) {
        return make_error(errc::io_error, "cannot sync {}: {}", _file.string(), std::strerror(errno));
    }
    return ok();
}

} // namespace mdsp::registry
