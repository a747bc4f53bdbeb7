#pragma once

#include <memory>

#include "app/config.h"
#include "base/result.h"
#include "feed/source.h"

namespace mdsp::app {

// The source that config.source.spec names ("sim" or "replay:FILE"), with
// dead letters going to sink (called on the thread that polls the source).
result<std::unique_ptr<feed::source>> make_source(const config& cfg, feed::dead_letter_sink sink);

} // namespace mdsp::app
