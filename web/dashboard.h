#pragma once

#include <vector>

#include "http/static_files.h"

namespace mdsp::web {

// The dashboard (web/src, bundled by esbuild at build time), compiled in:
// /index.html (also at /), /style.css, /app.js.
std::vector<http::static_file> dashboard_files();

} // namespace mdsp::web
