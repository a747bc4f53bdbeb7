#include "feed/source.h"

#include <string>

MDSP_DEFINE_ERRC_CATEGORY(mdsp::feed, "mdsp.feed", [](mdsp::feed::errc e) -> std::string {
    using mdsp::feed::errc;
    switch (e) {
    case errc::not_found:
        return "input not found";
    case errc::io_error:
        return "input/output error";
    case errc::bad_format:
        return "input is not in a format the feed understands";
    case errc::bad_config:
        return "invalid feed configuration";
    case errc::stopped:
        return "stopped while waiting for input";
    }
    return "unknown feed error";
})
