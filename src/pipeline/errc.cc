#include "pipeline/errc.h"

#include <string>

namespace {
std::string errc_message(mdsp::pipeline::errc e) {
    switch (e) {
    case mdsp::pipeline::errc::io_error:
        return "i/o error";
    case mdsp::pipeline::errc::corrupt_state:
        return "corrupt state";
    case mdsp::pipeline::errc::bad_setting:
        return "settings that cannot work together";
    }
    return "unknown pipeline error";
}
} // namespace

MDSP_DEFINE_ERRC_CATEGORY(mdsp::pipeline, "mdsp.pipeline", errc_message)
