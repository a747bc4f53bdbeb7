#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

// Protocol constants and the values a statement binds (native protocol v4
// and v5).
namespace mdsp::cql {

// The native protocol versions this client speaks: v4 (Cassandra 2.2+,
// ScyllaDB) and v5 (Cassandra 4.0+, where it is no longer beta). A
// connection asks for the newest and falls back to v4 when the server
// refuses it (connection.h).
enum class protocol : uint8_t { v4 = 4, v5 = 5 };
inline constexpr protocol newest_protocol = protocol::v5;
inline constexpr uint8_t response_bit = 0x80; // set in the version byte of responses

enum class opcode : uint8_t {
    error = 0x00,
    startup = 0x01,
    ready = 0x02,
    authenticate = 0x03,
    options = 0x05,
    supported = 0x06,
    query = 0x07,
    result = 0x08,
    prepare = 0x09,
    execute = 0x0A,
    register_ = 0x0B,
    event = 0x0C,
    batch = 0x0D,
    auth_challenge = 0x0E,
    auth_response = 0x0F,
    auth_success = 0x10,
};

enum class consistency : uint16_t {
    any = 0x0000,
    one = 0x0001,
    two = 0x0002,
    three = 0x0003,
    quorum = 0x0004,
    all = 0x0005,
    local_quorum = 0x0006,
    each_quorum = 0x0007,
    serial = 0x0008,
    local_serial = 0x0009,
    local_one = 0x000A,
};
std::string_view to_string(consistency c) noexcept;

// Data types of column metadata ([option] ids of section 4.2.5.2).
enum class type_id : uint16_t {
    custom = 0x0000,
    ascii = 0x0001,
    bigint = 0x0002,
    blob = 0x0003,
    boolean = 0x0004,
    counter = 0x0005,
    decimal = 0x0006,
    double_ = 0x0007,
    float_ = 0x0008,
    int_ = 0x0009,
    timestamp = 0x000B,
    uuid = 0x000C,
    varchar = 0x000D,
    varint = 0x000E,
    timeuuid = 0x000F,
    inet = 0x0010,
    date = 0x0011,
    time = 0x0012,
    smallint = 0x0013,
    tinyint = 0x0014,
    duration = 0x0015,
    list = 0x0020,
    map = 0x0021,
    set = 0x0022,
    udt = 0x0030,
    tuple = 0x0031,
};

// A column's type; collections, UDTs and tuples carry their element types
// (decoded so metadata can be skipped correctly, read only as raw bytes).
struct data_type {
    type_id id = type_id::blob;
    std::string custom;            // class name of a custom type, or "ks.name" of a UDT
    std::vector<data_type> params; // element types; UDT fields in order
    std::vector<std::string> field_names;
};

// A bound value as it goes on the wire ([value]): bytes, null, or unset
// (leaves the column as it is). Built by the typed factories below, which
// serialize at once, so a value is cheap to copy into several requests.
class value {
public:
    enum class state : uint8_t { set, null, unset };

    static value null() { return value(state::null, {}); }
    static value unset() { return value(state::unset, {}); }
    static value text(std::string_view s) {
        return value(state::set, std::string(s));
    } // text, varchar, ascii
    static value blob(std::string_view b) { return value(state::set, std::string(b)); }
    static value bigint(int64_t v);
    static value int_(int32_t v);
    static value double_(double v);
    static value boolean(bool v);
    static value timestamp_ms(int64_t ms_since_epoch);
    // Days since 1970-01-01 (negative before it); stored as unsigned, 2^31 at the epoch.
    static value date(int32_t days_since_epoch);
    // Pre-serialized bytes of any type.
    static value raw(std::string bytes) { return value(state::set, std::move(bytes)); }

    state kind() const noexcept { return _state; }
    const std::string& bytes() const noexcept { return _bytes; }
    bool operator==(const value&) const = default;

private:
    value(state s, std::string b)
      : _state(s)
      , _bytes(std::move(b)) {}
    state _state;
    std::string _bytes;
};

// Bounds on what the decoder accepts from a server; every length and count
// read off the wire is checked against these and against the bytes left.
struct limits {
    // Cassandra caps frames at native_transport_max_frame_size (16 MiB by
    // default since 4.0; the protocol allows 256 MiB). Ours is the same
    // default: a larger page means a smaller page_size, not a larger buffer.
    uint32_t max_frame_bytes = 16u << 20;
    // Nesting of collection/UDT/tuple types in metadata.
    int max_type_depth = 16;
    // Columns in one result's metadata.
    uint32_t max_columns = 4096;
};

} // namespace mdsp::cql
