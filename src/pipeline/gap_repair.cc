#include "pipeline/gap_repair.h"

#include <algorithm>
#include <cstdlib>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "base/metrics.h"
#include "base/time.h"
#include "pipeline/backfill.h"
#include "pipeline/data_folder.h"
#include "stream/bar_roller.h"

namespace mdsp::pipeline {

namespace {

// State-table records of gaps not yet repaired: prefix + be64(from) + be64(to).
constexpr std::string_view pending_prefix = "gap_repair/pending/";

struct repair_metrics {
    metrics::counter& gaps = metrics::global().get_counter(
        "mdsp_gap_repair_gaps_total", "Feed gaps (restart or reconnect) handed to the gap repair");
    metrics::counter& written = metrics::global().get_counter(
        "mdsp_gap_repair_candles_total", "Candles from REST bars, by what became of them",
        {{"outcome", "written"}});
    metrics::counter& kept_live = metrics::global().get_counter(
        "mdsp_gap_repair_candles_total", "Candles from REST bars, by what became of them",
        {{"outcome", "kept_live"}});
    metrics::counter& failures = metrics::global().get_counter(
        "mdsp_gap_repair_failures_total", "Symbols whose gap could not be fetched or stored");
};

repair_metrics& stats() {
    static repair_metrics m;
    return m;
}

} // namespace

feed::twelvedata_rest_config twelvedata_rest_settings(const config& cfg) {
    feed::twelvedata_rest_config rc;
    const char* key = std::getenv("TWELVEDATA_API_KEY");
    rc.api_key = key ? key : "";
    rc.base_url = cfg.twelvedata.rest_url;
    rc.tls.ca_file = cfg.twelvedata.ca_file;
    rc.credits_per_minute = cfg.twelvedata.credits_per_minute;
    return rc;
}

result<std::unique_ptr<gap_repair>> gap_repair::start(const config& cfg, store::store& st) {
    feed::twelvedata_rest_config rc = twelvedata_rest_settings(cfg);
    std::unique_ptr<gap_repair> g(new gap_repair(cfg, st));
    // Before the source starts: the newest tick of each symbol an earlier run stored.
    for (const auto& symbol : cfg.twelvedata.symbols) {
        auto t = st.latest(symbol);
        if (!t) {
            return t.error();
        }
        if (*t) {
            g->_stored_before.emplace(symbol, (*t)->event_time());
        }
    }
    rc.stopping = [p = g.get()] { return p->_stopping.load(); };
    auto rest = feed::twelvedata_rest::create(std::move(rc));
    if (!rest) {
        return rest.error();
    }
    g->_rest = std::move(*rest);
    // Gaps an earlier run recorded and did not finish.
    auto pending = st.load_state(pending_prefix);
    if (!pending) {
        return pending.error();
    }
    for (auto& [k, v] : *pending) {
        if (k.size() == pending_prefix.size() + 16) {
            int64_t from = from_be64(std::string_view(k).substr(pending_prefix.size(), 8));
            int64_t to = from_be64(std::string_view(k).substr(pending_prefix.size() + 8, 8));
            spdlog::info("twelvedata: the gap {} .. {} of an earlier run is still to repair",
                         from ? format_iso8601(from) : "the last stored tick", format_iso8601(to));
            g->enqueue(from, to, k);
        }
    }
    g->_thread = std::thread([p = g.get()] { p->run(); });
    return g;
}

gap_repair::gap_repair(const config& cfg, store::store& st)
  : _symbols(cfg.twelvedata.symbols)
  , _wider(stream::wider_intervals(cfg.engine.intervals, model::interval(micros_per_minute)))
  , _max_us(cfg.twelvedata.gap_repair_max_us)
  , _store(st) {
    (void)stats();
}

gap_repair::~gap_repair() {
    {
        std::lock_guard g(_mu);
        _stop = true;
    }
    _stopping = true;
    _cv.notify_all();
    if (_thread.joinable()) {
        _thread.join();
    }
}

void gap_repair::on_gap(int64_t from_us, int64_t to_us) {
    stats().gaps.inc();
    spdlog::debug("twelvedata: gap {} .. {} to repair", format_iso8601(from_us), format_iso8601(to_us));
    std::string key = std::string(pending_prefix) + be64(from_us) + be64(to_us);
    std::vector<store::state_change> rec{{key, std::string()}};
    if (auto w = _store.write_backfill({}, rec); !w) {
        spdlog::warn("twelvedata: cannot record the gap to repair: {}", w.error().what());
    }
    enqueue(from_us, to_us, std::move(key));
}

void gap_repair::enqueue(int64_t from_us, int64_t to_us, std::string key) {
    {
        std::lock_guard g(_mu);
        if (_gaps.size() >= 64) {
            // Many drops in a row: one repair from the oldest start covers them.
            gap merged{from_us, to_us, {std::move(key)}};
            for (auto& q : _gaps) {
                merged.from_us = std::min(merged.from_us, q.from_us);
                merged.keys.insert(merged.keys.end(), q.keys.begin(), q.keys.end());
            }
            _gaps.clear();
            _gaps.push_back(std::move(merged));
        } else {
            _gaps.push_back(gap{from_us, to_us, {std::move(key)}});
        }
    }
    _cv.notify_all();
}

void gap_repair::run() {
    for (;;) {
        gap next;
        {
            std::unique_lock lk(_mu);
            _cv.wait(lk, [&] { return _stop || !_gaps.empty(); });
            if (_stop) {
                return;
            }
            next = std::move(_gaps.front());
            _gaps.pop_front();
        }
        if (!repair(next.from_us, next.to_us)) {
            return; // stopping: the record stays for the next run
        }
        std::vector<store::state_change> done;
        for (auto& k : next.keys) {
            done.emplace_back(std::move(k), std::nullopt);
        }
        if (auto w = _store.write_backfill({}, done); !w) {
            spdlog::warn("twelvedata: cannot clear the repaired gap's record: {}", w.error().what());
        }
    }
}

bool gap_repair::repair(int64_t from_us, int64_t to_us) {
    const model::interval minute(micros_per_minute);
    for (const auto& symbol : _symbols) {
        if (_stopping) {
            return false;
        }
        // After a restart (from_us 0): from the symbol's newest tick stored
        // before this process started; after a reconnect: from the last tick
        // the connection saw.
        int64_t from = from_us;
        if (from_us == 0) {
            auto it = _stored_before.find(symbol);
            if (it == _stored_before.end()) {
                continue; // never stored: history is mdsp backfill's job
            }
            from = it->second;
        }
        int64_t first = minute.window_start(from) + micros_per_minute; // after the minute with live ticks
        int64_t end = minute.window_start(to_us);                      // before the minute of the reconnect
        if (end - first > _max_us) {
            spdlog::warn(
                "twelvedata: {} missed {} of data; repairing the newest {} (twelvedata.gap_repair_max); "
                "for the rest, stop mdsp up and run mdsp backfill --symbols {} --from {}",
                symbol, format_duration(end - first), format_duration(_max_us), symbol,
                format_iso8601(first));
            first = minute.window_start(end - _max_us);
        }
        if (first >= end) {
            spdlog::debug("twelvedata: {} missed no whole minute ({} .. {})", symbol, format_iso8601(from),
                          format_iso8601(to_us));
            continue;
        }
        auto r = backfill_range(*_rest, _store, symbol, minute, first, end, _wider);
        if (!r && _stopping) {
            return false;
        }
        if (!r) {
            stats().failures.inc();
            spdlog::warn("twelvedata: repairing the gap {} .. {} of {} failed: {}", format_iso8601(first),
                         format_iso8601(end), symbol, r.error().what());
            continue;
        }
        store::backfill_outcome total{r->bars.written + r->rolled.written,
                                      r->bars.kept_live + r->rolled.kept_live};
        const auto* s = &r->fetched;
        stats().written.inc(total.written);
        stats().kept_live.inc(total.kept_live);
        spdlog::info("twelvedata: repaired the gap {} .. {} of {}: {} backfilled candles (1m bars and what "
                     "they roll up to), {} kept as the ticks "
                     "made them ({} requests{})",
                     format_iso8601(first), format_iso8601(end), symbol, total.written, total.kept_live,
                     s->requests, s->rate_limited ? fmt::format(", {} answered 429", s->rate_limited) : "");
    }
    return true;
}

} // namespace mdsp::pipeline
