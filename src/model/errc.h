#pragma once

#include <system_error>

#include "base/result.h"

namespace mdsp::model {

// Why bytes could not be read as a model record. Every error that carries one
// of these also has a message naming the field and what was wrong with it.
enum class errc {
    truncated = 1,        // the input ended inside a value
    bad_varint,           // an int/long longer than its maximum or overflowing its width
    bad_length,           // a string/bytes length that is negative or over the limit
    bad_union_index,      // a union branch the schema does not have
    bad_boolean,          // a boolean byte other than 0 or 1
    bad_utf8,             // a string that is not valid UTF-8
    bad_value,            // a well-formed value the record cannot hold (e.g. an unknown interval)
    trailing_bytes,       // bytes left after a complete record
    bad_magic,            // a Confluent frame not starting with magic byte 0
    unexpected_schema_id, // a frame written with another schema than the one asked for
};

} // namespace mdsp::model

MDSP_DECLARE_ERRC(mdsp::model)
