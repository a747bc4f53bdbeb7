#include "http/static_files.h"

#include <cstdint>

#include <fmt/format.h>

namespace mdsp::http {

namespace {
std::string etag_of(std::string_view body) {
    uint64_t h = 14695981039346656037ULL; // FNV-1a, 64 bits
    for (unsigned char c : body) {
        h ^= c;
        h *= 1099511628211ULL;
    }
    return fmt::format("\"{:016x}-{}\"", h, body.size());
}

bool etag_matches(std::string_view header, std::string_view etag) {
    // If-None-Match: "a", "b" or *
    if (header == "*") {
        return true;
    }
    return header.find(etag) != std::string_view::npos;
}
} // namespace

void add_static_routes(server& srv, const std::vector<static_file>& files) {
    for (const auto& f : files) {
        auto h = [body = f.body, type = f.content_type, etag = etag_of(f.body)](const request& req) {
            response r;
            r.headers.emplace_back("ETag", etag);
            r.headers.emplace_back("Cache-Control", "no-cache");
            r.headers.emplace_back("X-Content-Type-Options", "nosniff");
            r.content_type = type;
            if (auto inm = req.header("If-None-Match"); inm && etag_matches(*inm, etag)) {
                r.status = 304;
                return r;
            }
            r.body = std::string(body);
            return r;
        };
        srv.route(verb::get, f.path, h);
        if (f.path == "/index.html") {
            srv.route(verb::get, "/", h);
        }
    }
}

} // namespace mdsp::http
