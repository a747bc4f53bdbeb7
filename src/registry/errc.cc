#include "registry/errc.h"

namespace mdsp::registry {
namespace {
std::string errc_message(errc e) {
    switch (e) {
    case errc::io_error:
        return "schema registry file I/O error";
    case errc::invalid_schema:
        return "invalid Avro schema";
    case errc::too_large:
        return "Avro schema too large";
    case errc::bad_url:
        return "bad schema registry URL";
    case errc::unreachable:
        return "the schema registry is unreachable";
    case errc::refused:
        return "the schema registry refused the request";
    case errc::bad_response:
        return "unexpected answer from the schema registry";
    case errc::unexpected_ids:
        return "the schema registry gave the model schemas unexpected ids";
    case errc::invalid_data:
        return "Avro data does not match its schema";
    }
    return "unknown schema registry error";
}
} // namespace
} // namespace mdsp::registry

MDSP_DEFINE_ERRC_CATEGORY(mdsp::registry, "mdsp.registry", mdsp::registry::errc_message)
