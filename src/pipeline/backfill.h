#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string>

#include "base/result.h"
#include "feed/twelvedata_rest.h"
#include "model/interval.h"
#include "store/store.h"

namespace mdsp::pipeline {

// What backfilling one symbol's range did.
struct backfill_result {
    feed::bars_summary fetched;
    store::backfill_outcome bars;   // the vendor's bars themselves
    store::backfill_outcome rolled; // the wider intervals rolled up from them
};

// The one way vendor bars reach the store (gap repair and `mdsp backfill`):
// fetches symbol's bars of width iv over [first, end) page by page, stores
// each page (store::write_backfill: never over a candle built from ticks),
// rolls them up into the `wider` intervals for the windows wholly inside the
// range and stores those too. on_page(covered_to_us, bars_so_far) follows
// each stored page. A store failure ends it with the store's error; a REST
// failure with the feed's (feed::errc::io_error: unreachable).
//
// Threads: the caller's; rest and st as their own contracts say.
result<backfill_result> backfill_range(feed::twelvedata_rest& rest, store::store& st,
                                       const std::string& symbol, model::interval iv, int64_t first,
                                       int64_t end, std::span<const model::interval> wider,
                                       const std::function<void(int64_t, int64_t)>& on_page = {});

} // namespace mdsp::pipeline
