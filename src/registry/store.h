#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "base/result.h"
#include "registry/avro_schema.h"
#include "registry/errc.h"

// A schema registry with the HTTP API of Confluent's Schema Registry, for the
// calls Kafka clients and tools make (confluent-kafka's SchemaRegistryClient,
// kcat -s avro -r, Kafka Connect converters). Avro schemas only.
namespace mdsp::registry {

inline constexpr size_t max_subject_bytes = 255;
inline constexpr size_t max_schemas = 100'000;             // distinct schemas (ids)
inline constexpr size_t max_versions = 100'000;            // versions over all subjects
inline constexpr size_t max_schema_text_bytes = 256 << 20; // schema text over all schemas

// Confluent's compatibility levels. BACKWARD: the new schema reads data
// written with the latest version; FORWARD: the latest reads the new one's
// data; FULL: both; *_TRANSITIVE: against every version, not just the latest.
enum class compat_level {
    none,
    backward,
    backward_transitive,
    forward,
    forward_transitive,
    full,
    full_transitive
};
std::string_view level_name(compat_level l);
std::optional<compat_level> parse_level(std::string_view s); // case-insensitive
// A schema id or version number in a path: 1..2^31-1 in decimal.
std::optional<int32_t> parse_schema_id(std::string_view s);

// An answer in Confluent's error format: HTTP status, error_code, message.
struct registry_error {
    unsigned status = 500;
    int code = 50001;
    std::string message;
};

template<typename T>
using registry_result = std::variant<T, registry_error>;

struct subject_version {
    std::string subject;
    int32_t version = 0;
    int32_t id = 0;
    std::string schema; // canonical text
};

// The registry's state and its durable record.
//
// Persistence: every registration and configuration change is one JSON line
// appended to `file` and fdatasync'ed before it is answered (registrations
// are rare; a line is readable with cat and jq). open() replays the file. A
// line it cannot use (not JSON, an invalid subject or schema, a torn last
// line after a crash mid-append) never stops the start: it is skipped with a
// warning naming file:line and why, appended to `file`.rejected, and `file`
// is rewritten without it; the registry serves the rest.
//
// The three model schemas (Tick id 1, Candle id 2, DeadLetter id 3, as
// model/framing.h pins them) are registered on open, version 1 of the
// subjects market.ticks-value, market.candles-value and
// market.deadletter-value; they are not written to the file. New schemas get
// ids above every id in use.
//
// Threads: every method may be called from any thread (one mutex).
class schema_registry {
public:
    // file empty: in memory only (tests).
    static result<std::unique_ptr<schema_registry>> open(std::filesystem::path file);
    ~schema_registry();
    schema_registry(const schema_registry&) = delete;
    schema_registry& operator=(const schema_registry&) = delete;

    // POST /subjects/{s}/versions: the id (the existing one when this schema
    // is registered already, under any subject). 409 when the subject's
    // compatibility level refuses it, 422/42201 when it is not valid Avro.
    registry_result<int32_t> register_schema(std::string_view subject, std::string_view schema_text);
    // POST /subjects/{s}: the version of the subject that has this schema.
    registry_result<subject_version> lookup(std::string_view subject, std::string_view schema_text) const;
    registry_result<std::string> schema_by_id(int32_t id) const;
    // [{subject, version}] using an id.
    registry_result<std::vector<std::pair<std::string, int32_t>>> subjects_of(int32_t id) const;
    std::vector<std::string> subjects() const;
    registry_result<std::vector<int32_t>> versions(std::string_view subject) const;
    // version: "latest", "-1" or 1..2^31-1.
    registry_result<subject_version> version(std::string_view subject, std::string_view version) const;
    struct compat_answer {
        bool compatible = true;
        std::vector<std::string> messages;
    };
    // POST /compatibility/subjects/{s}/versions/{v}: the candidate against
    // that version under the subject's level (NONE: always compatible; a
    // transitive level checks every version when version is "latest").
    registry_result<compat_answer> test_compatibility(std::string_view subject, std::string_view version,
                                                      std::string_view schema_text) const;

    // The level of a subject (its own, else the global one); empty subject = global.
    compat_level level(std::string_view subject) const;
    registry_result<compat_level> set_level(std::string_view subject, std::string_view level);

private:
    schema_registry() = default;
    struct entry {
        int32_t id = 0;
        std::shared_ptr<const avro::schema> parsed;
    };
    struct subject_state {
        std::vector<int32_t> ids; // index = version - 1
    };
    result<void> replay();
    // Applies one line of the file; why it cannot be, or nullopt.
    std::optional<std::string> replay_line(std::string_view line);
    result<void> append(const std::string& line);
    // Under the lock.
    int32_t add_schema(std::shared_ptr<const avro::schema> s, int32_t id);
    compat_level level_locked(std::string_view subject) const;
    // The subject and the 0-based index of version n (0 = latest; v is n as
    // the client wrote it, for the error), or 404s with Confluent's codes.
    registry_result<std::pair<const subject_state*, size_t>>
    version_locked(std::string_view subject, int32_t n, std::string_view v) const;
    registry_result<compat_answer> check_locked(const avro::schema& candidate, const subject_state& st,
                                                size_t version_index, bool all_before,
                                                compat_level lvl) const;

    std::filesystem::path _file;
    int _fd = -1;
    mutable std::mutex _mu;
    std::map<int32_t, entry> _by_id;
    std::map<std::string, int32_t, std::less<>> _id_by_text;
    std::map<std::string, subject_state, std::less<>> _subjects;
    std::map<std::string, compat_level, std::less<>> _subject_levels;
    compat_level _global = compat_level::backward;
    size_t _version_count = 0;
    size_t _text_bytes = 0;
};

} // namespace mdsp::registry
