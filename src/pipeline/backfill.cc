#include "pipeline/backfill.h"

#include <optional>
#include <vector>

#include "stream/bar_roller.h"

namespace mdsp::pipeline {

result<backfill_result> backfill_range(feed::twelvedata_rest& rest, store::store& st,
                                       const std::string& symbol, model::interval iv, int64_t first,
                                       int64_t end, std::span<const model::interval> wider,
                                       const std::function<void(int64_t, int64_t)>& on_page) {
    backfill_result out;
    std::optional<error> store_error;
    std::vector<stream::bar_roller> rollers;
    for (auto w : wider) {
        rollers.emplace_back(w, first, end);
    }
    std::vector<model::candle> rolled;
    auto store = [&](std::span<const model::candle> cs, store::backfill_outcome& sum) {
        if (store_error || cs.empty()) {
            return;
        }
        auto w = st.write_backfill(cs, {});
        if (!w) {
            store_error = w.error();
            return;
        }
        sum.written += w->written;
        sum.kept_live += w->kept_live;
    };
    int64_t bars = 0;
    auto s = rest.bars(symbol, iv, first, end, [&](std::span<const model::candle> page, int64_t covered) {
        if (store_error) {
            return;
        }
        store(page, out.bars);
        rolled.clear();
        for (const auto& b : page) {
            for (auto& r : rollers) {
                r.push(b, rolled);
            }
        }
        store(rolled, out.rolled);
        bars += static_cast<int64_t>(page.size());
        if (on_page && !store_error) {
            on_page(covered, bars);
        }
    });
    if (store_error) {
        return *store_error;
    }
    if (!s) {
        return s.error();
    }
    rolled.clear();
    for (auto& r : rollers) {
        r.finish(rolled);
    }
    store(rolled, out.rolled);
    if (store_error) {
        return *store_error;
    }
    out.fetched = *s;
    return out;
}

} // namespace mdsp::pipeline
