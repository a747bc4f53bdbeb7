// libFuzzer target: the CSV line parsers (Binance aggregate trades, generic
// header and rows) and format detection, on arbitrary bytes. Besides not
// crashing, a line that parses must give a tick the pipeline can use.
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "base/time.h"
#include "feed/internal/line_parser.h"
#include "feed/replay.h"

namespace {
void check(bool ok) {
    if (!ok) {
        std::abort();
    }
}
} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using namespace mdsp::feed;
    using namespace mdsp::feed::internal;
    const std::string_view line(reinterpret_cast<const char*>(data), size);
    std::string error;

    csv_fields fields;
    if (split_csv(line, fields, error)) {
        check(fields.n >= 1 && fields.n <= max_csv_fields);
        for (size_t i = 0; i < fields.n; ++i) {
            // Every field is a view into the line.
            check(fields.f[i].data() >= line.data()
                  && fields.f[i].data() + fields.f[i].size() <= line.data() + size);
        }
    } else {
        check(!error.empty());
    }

    mdsp::model::tick t;
    error.clear();
    switch (parse_binance_line(line, t, error)) {
    case line_outcome::tick:
        check(std::isfinite(t.price) && t.price > 0 && t.size && std::isfinite(*t.size) && *t.size >= 0);
        check(t.trade_id && *t.trade_id == t.seq() && t.event_time() >= 0);
        break;
    case line_outcome::malformed:
        check(!error.empty());
        break;
    case line_outcome::skip:
        check(false); // CSV rows are never skipped by the parser
    }

    (void)detect_replay_format(line);
    if (auto cols = parse_generic_header(line)) {
        check(cols->time >= 0 && cols->price >= 0 && cols->count <= max_csv_fields);
    }
    // Rows against a fixed header, and against the input's own first line.
    static const generic_columns fixed = *parse_generic_header("time,symbol,price,size");
    for (const auto& cols : {fixed}) {
        mdsp::model::tick g;
        error.clear();
        auto o = parse_generic_line(line, cols, g, error);
        if (o == line_outcome::tick) {
            check(std::isfinite(g.price) && g.price > 0 && !g.symbol.empty());
            check(g.event_time() >= 0 && g.event_time() <= mdsp::max_time_micros);
            check(!g.size || (std::isfinite(*g.size) && *g.size >= 0));
        } else {
            check(o == line_outcome::malformed && !error.empty());
        }
    }
    if (auto nl = line.find('\n'); nl != std::string_view::npos) {
        if (auto cols = parse_generic_header(line.substr(0, nl))) {
            mdsp::model::tick g;
            (void)parse_generic_line(line.substr(nl + 1), *cols, g, error);
        }
    }
    return 0;
}
