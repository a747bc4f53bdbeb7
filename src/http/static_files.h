#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "http/server.h"

namespace mdsp::http {

// A file compiled into the binary (the dashboard of web/).
struct static_file {
    std::string path;         // "/index.html", "/app.js"
    std::string content_type; // "text/html; charset=utf-8"
    std::string_view body;    // static storage
};

// Serves each file at exactly its path (GET and HEAD); "/index.html" is also
// served at "/". Nothing else is reachable: there is no file system behind
// these routes, so no path can walk out of them. Every answer carries a
// strong ETag (a hash of the body) and "Cache-Control: no-cache" (the names
// are not content-hashed, so browsers revalidate, and get 304 for an
// If-None-Match that matches).
void add_static_routes(server& srv, const std::vector<static_file>& files);

} // namespace mdsp::http
