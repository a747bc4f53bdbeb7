// `mdsp backfill`: history from TwelveData's REST bars into the store, as
// candles marked backfilled.
#include "pipeline/backfill.h"

#include <atomic>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <thread>

#include <fmt/format.h>
#include <pthread.h>
#include <spdlog/spdlog.h>

#include "app/commands.h"
#include "base/time.h"
#include "feed/progress.h"
#include "feed/twelvedata_rest.h"
#include "pipeline/data_folder.h"
#include "pipeline/gap_repair.h"
#include "pipeline/runner.h"
#include "store/rocks_store.h"
#include "stream/bar_roller.h"

namespace mdsp::app {

namespace {

// Backfills every symbol in turn with a progress bar; returns how many failed.
int backfill_all(const config& cfg, feed::twelvedata_rest& rest, store::store& st, model::interval iv,
                 int64_t first, int64_t end, std::atomic<bool>& stop) {
    const auto wider = stream::wider_intervals(cfg.engine.intervals, iv);
    std::string wide_names;
    for (auto w : wider) {
        wide_names += (wide_names.empty() ? "" : ", ") + w.name();
    }
    feed::progress_bar bar;
    bar.set_units("bars", "bars");
    const auto& symbols = cfg.twelvedata.symbols;
    const double per_symbol = static_cast<double>(end - first);
    int64_t bars_before = 0;
    int failed = 0;
    for (size_t i = 0; i < symbols.size() && !stop; ++i) {
        const auto& symbol = symbols[i];
        int64_t bars_now = bars_before;
        auto r = pipeline::backfill_range(
            rest, st, symbol, iv, first, end, wider, [&](int64_t covered, int64_t n) {
                bars_now = bars_before + n;
                double f = (static_cast<double>(i) + static_cast<double>(covered - first) / per_symbol)
                           / static_cast<double>(symbols.size());
                bar.update(f, bars_now, std::nullopt, bars_now);
            });
        bar.finish();
        bars_before = bars_now;
        if (!r) {
            if (stop) {
                break;
            }
            ++failed;
            if (r.error().code.category() == store::error_category()) {
                spdlog::error("backfill: storing the bars of {} failed: {}", symbol, r.error().what());
                break;
            }
            spdlog::error("backfill: {}", r.error().what());
            if (r.error().code == make_error_code(feed::errc::io_error)) {
                // Unreachable, not a refusal of this symbol: the next would fail the same way.
                spdlog::error("backfill: stopping; check twelvedata.rest_url ({}) and the network",
                              cfg.twelvedata.rest_url);
                break;
            }
            continue;
        }
        const auto& f = r->fetched;
        fmt::print(
            "{} {} {} .. {}: {} candles stored, {} kept as the ticks made them, {} requests{}{}{}\n", symbol,
            iv.name(), format_iso8601(first), format_iso8601(end), r->bars.written, r->bars.kept_live,
            f.requests, f.rate_limited ? fmt::format(" ({} answered 429 and waited)", f.rate_limited) : "",
            wider.empty() ? ""
                          : fmt::format("; rolled up into {}: {} candles stored, {} kept", wide_names,
                                        r->rolled.written, r->rolled.kept_live),
            f.unaligned ? fmt::format("; {} bars skipped: TwelveData starts them off mdsp's {} windows "
                                      "(hourly stock bars start at :30); use a smaller --interval",
                                      f.unaligned, iv.name())
                        : "");
        std::fflush(stdout);
    }
    return failed;
}

} // namespace

int cmd_backfill(const config& cfg, const backfill_options& b) {
    // Before any thread starts (RocksDB's, the worker): signals then go to
    // signal_stop's watcher alone.
    pipeline::signal_stop signals;
    auto iv = model::interval::parse(b.interval);
    if (!iv) {
        std::fprintf(stderr, "mdsp backfill: --interval %s is not an interval; write 1m, 5m, 1h or 1d\n",
                     b.interval.c_str());
        return 2;
    }
    auto from = parse_time_micros(b.from);
    auto to = b.to.empty() ? std::optional<int64_t>(now_micros()) : parse_time_micros(b.to);
    if (!from || !to) {
        std::fprintf(stderr,
                     "mdsp backfill: --%s %s is not a time; write a date (2024-01-02), a UTC date and time "
                     "(2024-01-02T15:30:00Z) or Unix seconds\n",
                     from ? "to" : "from", (from ? b.to : b.from).c_str());
        return 2;
    }
    if (*from >= *to) {
        std::fprintf(stderr, "mdsp backfill: --from %s is not before --to %s\n",
                     format_iso8601(*from).c_str(), format_iso8601(*to).c_str());
        return 2;
    }
    if (cfg.twelvedata.symbols.empty()) {
        std::fprintf(stderr, "mdsp backfill: no symbols; pass --symbols AAPL,EUR/USD\n");
        return 2;
    }
    // Whole windows only: from rounds down, to up.
    const int64_t first = iv->window_start(*from);
    const int64_t end = iv->window_start(*to - 1) + iv->micros();

    std::atomic<bool> stop{false};
    feed::twelvedata_rest_config rc = pipeline::twelvedata_rest_settings(cfg);
    rc.stopping = [&stop] { return stop.load(); };
    auto rest = feed::twelvedata_rest::create(std::move(rc));
    if (!rest) {
        std::fprintf(stderr, "mdsp backfill: %s\n", rest.error().what().c_str());
        return 2;
    }
    auto st = pipeline::open_store(cfg);
    if (!st) {
        spdlog::error("backfill: {}", st.error().what());
        return 1;
    }

    std::atomic<bool> done{false};
    int failed = 0;
    std::thread worker([&] {
        failed = backfill_all(cfg, **rest, **st, *iv, first, end, stop);
        done = true;
    });
    while (!done) {
        if (!stop && signals.wait(std::chrono::milliseconds(100))) {
            spdlog::warn("backfill: stopping; the bars stored so far stay");
            stop = true;
        } else if (stop) {
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
        }
    }
    worker.join();
    if (auto r = (*st)->sync(); !r) {
        spdlog::error("backfill: {}", r.error().what());
        return 1;
    }
    if (stop && failed == 0) {
        return 130;
    }
    return failed == 0 ? 0 : 1;
}

} // namespace mdsp::app
