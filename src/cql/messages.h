#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/result.h"
#include "cql/errc.h"
#include "cql/types.h"

// Bodies of the requests we send and the responses we read (section 4), one
// .cc per kind (startup.cc, auth.cc, query.cc, prepare.cc, execute.cc,
// batch.cc, event.cc, result.cc, error.cc). Encoders return the body (frame.h
// adds the header); decoders take a body and the limits and never trust a
// length or a count. Those whose layout differs between v4 and v5 take the
// connection's protocol version.
namespace mdsp::cql {

// --- STARTUP, OPTIONS/SUPPORTED (startup.cc) ---
// CQL_VERSION 3.0.0, and COMPRESSION lz4 when asked.
std::string encode_startup(bool lz4);
// SUPPORTED: option name -> accepted values.
using supported_options = std::map<std::string, std::vector<std::string>>;
result<supported_options> decode_supported(std::string_view body);

// --- AUTHENTICATE, AUTH_RESPONSE, AUTH_CHALLENGE, AUTH_SUCCESS (auth.cc) ---
// The authenticator's class name from AUTHENTICATE.
result<std::string> decode_authenticate(std::string_view body);
// SASL PLAIN (RFC 4616) as PasswordAuthenticator expects: NUL user NUL password.
// The result holds the password: send it, never log it.
std::string encode_plain_auth_response(std::string_view user, std::string_view password);
// Whether this client can answer the authenticator (PasswordAuthenticator
// and the DSE/ScyllaDB equivalents that take SASL PLAIN).
bool is_plain_authenticator(std::string_view class_name);

// --- QUERY, PREPARE, EXECUTE, BATCH (query.cc, prepare.cc, execute.cc, batch.cc) ---
// <query_parameters> of QUERY and EXECUTE.
struct query_params {
    consistency cl = consistency::local_one;
    std::vector<value> values;
    std::optional<int32_t> page_size; // rows per page; unset: the server's default (all)
    std::optional<std::string> paging_state;
    std::optional<consistency> serial_cl;
    std::optional<int64_t> default_timestamp_us; // USING TIMESTAMP for the whole request
    bool skip_metadata = false; // EXECUTE only: rows come without metadata (we have it from PREPARE)
};
// The flags of QUERY, EXECUTE and BATCH are a [byte] in v4 and an [int] in
// v5; v5's PREPARE has flags too (none set: no keyspace override).
result<std::string> encode_query(std::string_view cql, const query_params& p, protocol v);
result<std::string> encode_prepare(std::string_view cql, protocol v);
// v5 sends the result metadata id the statement's rows are expected with
// (from PREPARE, or the last Metadata_changed); v4 has none.
result<std::string> encode_execute(std::string_view prepared_id, std::string_view result_metadata_id,
                                   const query_params& p, protocol v);

enum class batch_type : uint8_t { logged = 0, unlogged = 1, counter = 2 };
struct batch_entry {
    std::string query_or_id; // CQL text when !prepared, else the prepared id
    bool prepared = true;
    std::vector<value> values;
};
struct batch_params {
    batch_type type = batch_type::unlogged;
    consistency cl = consistency::local_quorum;
    std::optional<consistency> serial_cl;
    std::optional<int64_t> default_timestamp_us;
};
result<std::string> encode_batch(const std::vector<batch_entry>& entries, const batch_params& p, protocol v);

// --- RESULT (result.cc) ---
struct column_spec {
    std::string keyspace;
    std::string table;
    std::string name;
    data_type type;
};

// Rows metadata, and the bind-variable metadata of a Prepared result (which
// has the partition-key indexes in v4).
struct metadata {
    std::vector<column_spec> columns; // empty when no_metadata
    int32_t column_count = 0;
    bool no_metadata = false;
    bool has_more_pages = false;
    std::optional<std::string> paging_state;
    std::vector<uint16_t> pk_indexes; // Prepared bind metadata only
    // v5 rows only: the server's new result metadata id when it says the
    // statement's result metadata changed (Metadata_changed); the columns
    // then come with the rows and replace the prepared statement's.
    std::optional<std::string> new_metadata_id;
};

// One cell of a row: where its bytes are in the rows' data, or null.
struct cell {
    uint32_t offset = 0;
    int32_t length = -1; // < 0: null
};

class rows;

// A row of a rows result, valid while the rows live. Typed getters check the
// column's type (when metadata came with the rows) and the value's size;
// nullopt is a null cell.
class row_view {
public:
    row_view(const rows& r, size_t index)
      : _rows(&r)
      , _index(index) {}

    result<std::optional<std::string_view>> raw(size_t col) const;
    result<std::optional<std::string>> text(size_t col) const; // text, varchar, ascii
    result<std::optional<std::string>> blob(size_t col) const;
    result<std::optional<int64_t>> bigint(size_t col) const; // bigint, counter
    result<std::optional<int32_t>> int_(size_t col) const;
    result<std::optional<double>> double_(size_t col) const;
    result<std::optional<bool>> boolean(size_t col) const;
    result<std::optional<int64_t>> timestamp_ms(size_t col) const;
    result<std::optional<int32_t>> date(size_t col) const;     // days since 1970-01-01
    result<std::optional<std::string>> inet(size_t col) const; // the address as text
    // set<text> or list<text> (system tables' tokens); null is an empty list.
    result<std::vector<std::string>> text_collection(size_t col) const;
    // Index of a column by name, from the metadata.
    std::optional<size_t> column(std::string_view name) const;

private:
    result<std::optional<std::string_view>> typed(size_t col, std::initializer_list<type_id> ok,
                                                  size_t exact_size, const char* as) const;
    const rows* _rows;
    size_t _index;
};

class rows {
public:
    metadata meta;
    std::string data;        // the body the cells point into
    std::vector<cell> cells; // row-major, meta.column_count per row
    size_t row_count = 0;

    size_t size() const noexcept { return row_count; }
    row_view row(size_t i) const { return {*this, i}; }
};

struct prepared_result {
    std::string id;
    std::string result_metadata_id; // v5; empty in v4
    metadata bind;                  // bind variables, with pk_indexes
    metadata result_meta;
};

struct schema_change {
    std::string change_type; // CREATED, UPDATED, DROPPED
    std::string target;      // KEYSPACE, TABLE, TYPE, FUNCTION, AGGREGATE
    std::string keyspace;
    std::string name;
    std::vector<std::string> arg_types;
};

enum class result_kind : int32_t { void_ = 1, rows = 2, set_keyspace = 3, prepared = 4, schema_change = 5 };

struct result_message {
    result_kind kind = result_kind::void_;
    cql::rows rows;
    std::string keyspace;
    prepared_result prepared;
    cql::schema_change change;
};

// Decodes a RESULT body. When the rows come with NO_METADATA, known (the
// prepared statement's result metadata) supplies the column types.
result<result_message> decode_result(std::string_view body, const limits& lim, protocol v,
                                     const metadata* known = nullptr);

// --- ERROR (error.cc) ---
struct server_error {
    int32_t code = 0;
    std::string message;
    // Extras by code (v4 section 9, v5 section 8); zero or empty when the
    // code has none.
    std::optional<consistency> cl;
    int32_t required = 0, alive = 0, received = 0, block_for = 0, num_failures = 0;
    bool data_present = false;
    std::string write_type;
    std::string keyspace, table, function;
    std::vector<std::string> arg_types;
    std::string unprepared_id;
    // v5 read and write failures: each failed replica and its reason code
    // (num_failures is their count); v4 sends only the count.
    std::vector<std::pair<std::string, uint16_t>> reasons;
    int32_t contentions = 0; // v5 write timeouts of CAS writes
};
result<server_error> decode_error(std::string_view body, protocol v);
errc errc_of_server_code(int32_t code) noexcept;
// The error as a value: the errc of its code and a message with the server's
// text and details.
mdsp::error to_error(const server_error& e);

// --- REGISTER, EVENT (event.cc) ---
// TOPOLOGY_CHANGE, STATUS_CHANGE (and SCHEMA_CHANGE when asked).
result<std::string> encode_register(const std::vector<std::string>& events);
struct event {
    std::string type;   // TOPOLOGY_CHANGE, STATUS_CHANGE, SCHEMA_CHANGE
    std::string change; // NEW_NODE, REMOVED_NODE, UP, DOWN; or the schema change's type
    std::string address;
    int32_t port = 0;
    cql::schema_change schema;
};
result<event> decode_event(std::string_view body);

} // namespace mdsp::cql
