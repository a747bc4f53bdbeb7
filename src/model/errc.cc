#include "model/errc.h"

#include <string>

namespace {
std::string model_errc_message(mdsp::model::errc e) {
    using mdsp::model::errc;
    switch (e) {
    case errc::truncated:
        return "input ended inside a value";
    case errc::bad_varint:
        return "malformed variable-length integer";
    case errc::bad_length:
        return "string or bytes length out of range";
    case errc::bad_union_index:
        return "union branch index outside the schema";
    case errc::bad_boolean:
        return "boolean byte other than 0 or 1";
    case errc::bad_utf8:
        return "string is not valid UTF-8";
    case errc::bad_value:
        return "value out of the record's domain";
    case errc::trailing_bytes:
        return "bytes left after a complete record";
    case errc::bad_magic:
        return "not a Confluent wire frame (magic byte is not 0)";
    case errc::unexpected_schema_id:
        return "frame written with an unexpected schema id";
    }
    return "unknown mdsp.model error";
}
} // namespace

MDSP_DEFINE_ERRC_CATEGORY(mdsp::model, "mdsp.model", model_errc_message)
