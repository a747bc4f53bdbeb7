#include "registry/store.h"

#include <algorithm>
#include <array>
#include <limits>

#include <boost/json/serialize.hpp>
#include <spdlog/spdlog.h>

#include "registry/text.h"

namespace mdsp::registry {

namespace json = boost::json;

namespace {

constexpr std::array<std::pair<std::string_view, compat_level>, 7> levels{{
    {"NONE", compat_level::none},
    {"BACKWARD", compat_level::backward},
    {"BACKWARD_TRANSITIVE", compat_level::backward_transitive},
    {"FORWARD", compat_level::forward},
    {"FORWARD_TRANSITIVE", compat_level::forward_transitive},
    {"FULL", compat_level::full},
    {"FULL_TRANSITIVE", compat_level::full_transitive},
}};

registry_error subject_not_found(std::string_view s) {
    return {404, 40401, fmt::format("Subject '{}' not found.", s)};
}

registry_error invalid_schema(const mdsp::error& e) {
    return {422, 42201, fmt::format("Invalid schema: {}", e.what())};
}

bool transitive(compat_level l) {
    return l == compat_level::backward_transitive || l == compat_level::forward_transitive
           || l == compat_level::full_transitive;
}

// Confluent refuses subjects with ISO control characters (CharMatcher.
// javaIsoControl in its resources) with 422 and error_code 42208, "The
// specified subject is not valid". It decodes paths as UTF-8 and would store
// U+FFFD for a malformed byte; we refuse those with the same answer instead,
// so that every stored subject is text a JSON answer and schemas.jsonl can
// hold (issue 10 item 3). An over-long subject is refused the same way.
std::optional<registry_error> check_subject(std::string_view s) {
    if (auto why = subject_problem(s)) {
        return registry_error{
            422, 42208,
            fmt::format("The specified subject '{}' is not valid: {}", printable_utf8(s, 64), *why)};
    }
    return std::nullopt;
}

// "latest", "-1" or 1..2^31-1; 0 for latest.
std::optional<int32_t> parse_version(std::string_view v) {
    if (v == "latest" || v == "-1") {
        return 0;
    }
    return parse_schema_id(v);
}

registry_error bad_version(std::string_view v) {
    return {
        422, 42202,
        fmt::format("The specified version '{}' is not a valid version id. Allowed values are between [1, "
                    "2^31-1] and the string \"latest\"",
                    v.substr(0, 64))};
}

} // namespace

std::string_view level_name(compat_level l) {
    for (const auto& [n, v] : levels) {
        if (v == l) {
            return n;
        }
    }
    return "NONE";
}

std::optional<int32_t> parse_schema_id(std::string_view s) {
    if (s.empty() || s.size() > 10) {
        return std::nullopt;
    }
    int64_t n = 0;
    for (char c : s) {
        if (c < '0' || c > '9') {
            return std::nullopt;
        }
        n = n * 10 + (c - '0');
    }
    if (n < 1 || n > std::numeric_limits<int32_t>::max()) {
        return std::nullopt;
    }
    return static_cast<int32_t>(n);
}

std::optional<compat_level> parse_level(std::string_view s) {
    for (const auto& [n, v] : levels) {
        if (n.size() == s.size() && std::equal(n.begin(), n.end(), s.begin(), [](char a, char b) {
                return a == (b >= 'a' && b <= 'z' ? static_cast<char>(b - 'a' + 'A') : b);
            })) {
            return v;
        }
    }
    return std::nullopt;
}

int32_t schema_registry::add_schema(std::shared_ptr<const avro::schema> s, int32_t id) {
    if (auto it = _id_by_text.find(s->canonical()); it != _id_by_text.end()) {
        return it->second;
    }
    _text_bytes += s->canonical().size();
    _id_by_text.emplace(s->canonical(), id);
    _by_id.emplace(id, entry{id, std::move(s)});
    return id;
}

compat_level schema_registry::level_locked(std::string_view subject) const {
    if (auto it = _subject_levels.find(subject); it != _subject_levels.end()) {
        return it->second;
    }
    return _global;
}

compat_level schema_registry::level(std::string_view subject) const {
    std::lock_guard g(_mu);
    return subject.empty() ? _global : level_locked(subject);
}

registry_result<schema_registry::compat_answer>
schema_registry::check_locked(const avro::schema& candidate, const subject_state& st, size_t version_index,
                              bool all_before, compat_level lvl) const {
    compat_answer out;
    if (lvl == compat_level::none) {
        return out;
    }
    const bool backward = lvl != compat_level::forward && lvl != compat_level::forward_transitive;
    const bool forward = lvl != compat_level::backward && lvl != compat_level::backward_transitive;
    size_t first = all_before ? 0 : version_index;
    for (size_t i = first; i <= version_index && i < st.ids.size(); ++i) {
        const auto& old = *_by_id.at(st.ids[i]).parsed;
        auto note = [&](const char* dir, const avro::compatibility& c) {
            for (const auto& m : c.messages) {
                out.messages.push_back(fmt::format("version {} ({}): {}", i + 1, dir, m));
            }
        };
        if (backward) {
            auto c = avro::can_read(candidate, old);
            out.compatible = out.compatible && c.compatible;
            note("the new schema reading the old one's data", c);
        }
        if (forward) {
            auto c = avro::can_read(old, candidate);
            out.compatible = out.compatible && c.compatible;
            note("the old schema reading the new one's data", c);
        }
    }
    return out;
}

registry_result<int32_t> schema_registry::register_schema(std::string_view subject, std::string_view text) {
    if (auto e = check_subject(subject)) {
        return *e;
    }
    auto parsed = avro::schema::parse(text);
    if (!parsed) {
        return invalid_schema(parsed.error());
    }
    auto s = std::make_shared<avro::schema>(std::move(*parsed));
    std::lock_guard g(_mu);
    auto sub = _subjects.find(subject);
    auto known = _id_by_text.find(s->canonical());
    if (sub != _subjects.end() && known != _id_by_text.end()) {
        if (std::find(sub->second.ids.begin(), sub->second.ids.end(), known->second)
            != sub->second.ids.end()) {
            return known->second; // already a version of this subject
        }
    }
    if (sub != _subjects.end() && !sub->second.ids.empty()) {
        auto lvl = level_locked(subject);
        auto c = check_locked(*s, sub->second, sub->second.ids.size() - 1, transitive(lvl), lvl);
        auto& ans = std::get<compat_answer>(c);
        if (!ans.compatible) {
            std::string details;
            for (const auto& m : ans.messages) {
                details += (details.empty() ? "" : "; ") + m;
            }
            return registry_error{
                409, 409,
                fmt::format("Schema being registered is incompatible with an earlier schema for "
                            "subject \"{}\" (compatibility {}), details: [{}]",
                            subject, level_name(lvl), details)};
        }
    }
    const bool fresh = known == _id_by_text.end();
    if (_version_count >= max_versions || (fresh && _by_id.size() >= max_schemas)
        || (fresh && _text_bytes + s->canonical().size() > max_schema_text_bytes)) {
        return registry_error{
            422, 42201,
            fmt::format("the registry holds its maximum of {} schemas, {} versions or {} MiB of "
                        "schema text",
                        max_schemas, max_versions, max_schema_text_bytes >> 20)};
    }
    if (known == _id_by_text.end() && _by_id.rbegin()->first == std::numeric_limits<int32_t>::max()) {
        return registry_error{500, 50001, "the registry has no schema ids left"};
    }
    int32_t id = known != _id_by_text.end() ? known->second : _by_id.rbegin()->first + 1;
    json::object line{{"subject", subject}, {"id", id}, {"schema", s->canonical()}};
    if (auto a = append(json::serialize(line)); !a) {
        spdlog::error("schema registry: {}", a.error().what());
        return registry_error{500, 50001,
                              fmt::format("Error while registering the schema: {}", a.error().what())};
    }
    add_schema(s, id);
    _subjects[std::string(subject)].ids.push_back(id);
    ++_version_count;
    return id;
}

registry_result<subject_version> schema_registry::lookup(std::string_view subject,
                                                         std::string_view text) const {
    if (auto e = check_subject(subject)) {
        return *e;
    }
    auto parsed = avro::schema::parse(text);
    if (!parsed) {
        return invalid_schema(parsed.error());
    }
    std::lock_guard g(_mu);
    auto sub = _subjects.find(subject);
    if (sub == _subjects.end()) {
        return subject_not_found(subject);
    }
    auto known = _id_by_text.find(parsed->canonical());
    if (known != _id_by_text.end()) {
        const auto& ids = sub->second.ids;
        for (size_t i = 0; i < ids.size(); ++i) {
            if (ids[i] == known->second) {
                return subject_version{std::string(subject), static_cast<int32_t>(i + 1), ids[i],
                                       parsed->canonical()};
            }
        }
    }
    return registry_error{404, 40403, "Schema not found"};
}

registry_result<std::string> schema_registry::schema_by_id(int32_t id) const {
    std::lock_guard g(_mu);
    auto it = _by_id.find(id);
    if (it == _by_id.end()) {
        return registry_error{404, 40403, fmt::format("Schema {} not found", id)};
    }
    return it->second.parsed->canonical();
}

registry_result<std::vector<std::pair<std::string, int32_t>>> schema_registry::subjects_of(int32_t id) const {
    std::lock_guard g(_mu);
    if (!_by_id.contains(id)) {
        return registry_error{404, 40403, fmt::format("Schema {} not found", id)};
    }
    std::vector<std::pair<std::string, int32_t>> out;
    for (const auto& [name, st] : _subjects) {
        for (size_t i = 0; i < st.ids.size(); ++i) {
            if (st.ids[i] == id) {
                out.emplace_back(name, static_cast<int32_t>(i + 1));
            }
        }
    }
    return out;
}

std::vector<std::string> schema_registry::subjects() const {
    std::lock_guard g(_mu);
    std::vector<std::string> out;
    for (const auto& [name, st] : _subjects) {
        out.push_back(name);
    }
    return out;
}

registry_result<std::vector<int32_t>> schema_registry::versions(std::string_view subject) const {
    std::lock_guard g(_mu);
    auto sub = _subjects.find(subject);
    if (sub == _subjects.end()) {
        return subject_not_found(subject);
    }
    std::vector<int32_t> out;
    for (size_t i = 0; i < sub->second.ids.size(); ++i) {
        out.push_back(static_cast<int32_t>(i + 1));
    }
    return out;
}

registry_result<subject_version> schema_registry::version(std::string_view subject,
                                                          std::string_view v) const {
    auto n = parse_version(v);
    if (!n) {
        return bad_version(v);
    }
    std::lock_guard g(_mu);
    auto found = version_locked(subject, *n, v);
    if (auto* e = std::get_if<registry_error>(&found)) {
        return *e;
    }
    auto [st, idx] = std::get<0>(found);
    int32_t id = st->ids[idx];
    return subject_version{std::string(subject), static_cast<int32_t>(idx + 1), id,
                           _by_id.at(id).parsed->canonical()};
}

registry_result<std::pair<const schema_registry::subject_state*, size_t>>
schema_registry::version_locked(std::string_view subject, int32_t n, std::string_view v) const {
    auto sub = _subjects.find(subject);
    if (sub == _subjects.end()) {
        return subject_not_found(subject);
    }
    const auto& ids = sub->second.ids;
    size_t idx = n == 0 ? ids.size() : static_cast<size_t>(n);
    if (idx == 0 || idx > ids.size()) {
        return registry_error{404, 40402, fmt::format("Version {} not found.", v)};
    }
    return std::pair<const subject_state*, size_t>(&sub->second, idx - 1);
}

registry_result<schema_registry::compat_answer>
schema_registry::test_compatibility(std::string_view subject, std::string_view v,
                                    std::string_view text) const {
    auto n = parse_version(v);
    if (!n) {
        return bad_version(v);
    }
    auto parsed = avro::schema::parse(text);
    if (!parsed) {
        return invalid_schema(parsed.error());
    }
    std::lock_guard g(_mu);
    auto found = version_locked(subject, *n, v);
    if (auto* e = std::get_if<registry_error>(&found)) {
        return *e;
    }
    auto [st, idx] = std::get<0>(found);
    auto lvl = level_locked(subject);
    return check_locked(*parsed, *st, idx, *n == 0 && transitive(lvl), lvl);
}

registry_result<compat_level> schema_registry::set_level(std::string_view subject, std::string_view text) {
    auto l = parse_level(text);
    if (!l) {
        return registry_error{422, 42203,
                              "Invalid compatibility level. Valid values are none, backward, forward, full, "
                              "backward_transitive, forward_transitive, and full_transitive"};
    }
    if (!subject.empty()) {
        if (auto e = check_subject(subject)) {
            return *e;
        }
    }
    std::lock_guard g(_mu);
    json::object line{{"compatibility", level_name(*l)}};
    if (!subject.empty()) {
        line["subject"] = subject;
    }
    if (auto a = append(json::serialize(line)); !a) {
        spdlog::error("schema registry: {}", a.error().what());
        return registry_error{500, 50001, a.error().what()};
    }
    if (subject.empty()) {
        _global = *l;
    } else {
        _subject_levels[std::string(subject)] = *l;
    }
    return *l;
}

} // namespace mdsp::registry
