#pragma once

#include <cstddef>
#include <string_view>

#include <boost/json/value.hpp>

#include "base/result.h"
#include "registry/avro_schema.h"

// Avro binary data read with its writer's schema into JSON, for people to
// look at (the Topics view's message browser). Not Avro's JSON encoding:
// a union's value is shown as it is, without the {"type": value} wrapper,
// bytes and fixed as lowercase hex, and logical types as their underlying
// type (a timestamp-micros is its long).
namespace mdsp::registry::avro {

// How much one decode may build: every count and length is checked against
// the bytes left and these bounds before anything is allocated.
struct json_limits {
    size_t max_depth = 64;       // nesting of records, arrays, maps and unions
    size_t max_values = 100'000; // values built in all
};

// Decodes exactly one datum of s from bytes. Fails with errc::invalid_data
// (the message says where) on truncated or excess bytes, a bad union branch
// or enum index, a negative length, a string that is not UTF-8, or when a
// bound of limits is passed.
result<boost::json::value> to_json(const schema& s, std::string_view bytes, json_limits limits = {});

} // namespace mdsp::registry::avro
