#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/result.h"
#include "feed/ws_client.h"

namespace mdsp::feed {

// One HTTP GET over TLS (or plain HTTP to localhost), for the vendors' REST
// APIs. TLS as for the WebSocket client: the peer is verified with SNI and a
// host-name check. The whole exchange has one deadline; the body is bounded.
// Header values are never put into errors.
struct rest_request {
    ws_url url; // parse_ws_url() accepts https:// and http:// (loopback only)
    std::vector<std::pair<std::string, std::string>> headers;
    int64_t timeout_ms = 30'000;
    size_t max_body_bytes = size_t{16} << 20;
};

struct rest_response {
    int status = 0;
    std::string body;
    std::vector<std::pair<std::string, std::string>> headers; // as received
    // The first header of that name (case-insensitive), "" when absent.
    std::string_view header(std::string_view name) const;
};

// tls may be null for http:// URLs. Errors name the host and what failed.
result<rest_response> http_get(const std::shared_ptr<boost::asio::ssl::context>& tls, const rest_request& r);

} // namespace mdsp::feed
