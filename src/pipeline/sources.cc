#include "pipeline/sources.h"

#include <cstdlib>

#include "feed/binance.h"
#include "feed/replay.h"
#include "feed/simulator.h"
#include "feed/twelvedata.h"
#include "pipeline/errc.h"

namespace mdsp::pipeline {

result<std::unique_ptr<feed::source>> make_source(const config& cfg, feed::dead_letter_sink sink,
                                                  std::function<void(int64_t, int64_t)> on_gap,
                                                  std::stop_token stop) {
    const std::string& spec = cfg.source.spec;
    if (spec == "sim") {
        feed::simulator_config sc;
        sc.symbols = cfg.sim.symbols;
        sc.rate = cfg.sim.rate;
        sc.seed = cfg.sim.seed;
        auto s = feed::simulator::create(sc);
        if (!s) {
            return s.error();
        }
        return std::unique_ptr<feed::source>(std::move(*s));
    }
    if (spec.rfind("replay:", 0) == 0) {
        feed::replay_config rc;
        rc.stop = std::move(stop);
        rc.path = spec.substr(7);
        auto fmt = feed::parse_replay_format(cfg.replay.format);
        rc.format = fmt ? *fmt : feed::replay_format::automatic;
        if (!cfg.replay.symbol.empty()) {
            rc.symbol = cfg.replay.symbol;
        }
        rc.speed = cfg.replay.speed;
        auto r = feed::replay::open(rc, std::move(sink));
        if (!r) {
            return r.error();
        }
        return std::unique_ptr<feed::source>(std::move(*r));
    }
    if (spec == "twelvedata") {
        feed::twelvedata_config tc;
        tc.symbols = cfg.twelvedata.symbols;
        const char* key = std::getenv("TWELVEDATA_API_KEY");
        tc.api_key = key ? key : "";
        tc.ws_url = cfg.twelvedata.ws_url;
        tc.tls.ca_file = cfg.twelvedata.ca_file;
        tc.heartbeat_ms = cfg.twelvedata.heartbeat_us / 1000;
        tc.watchdog_ms = cfg.twelvedata.watchdog_us / 1000;
        tc.backoff_min_ms = cfg.twelvedata.backoff_min_us / 1000;
        tc.backoff_max_ms = cfg.twelvedata.backoff_max_us / 1000;
        tc.future_tolerance_us = cfg.twelvedata.future_tolerance_us;
        tc.clamp_future = cfg.twelvedata.clamp_future;
        tc.on_gap = std::move(on_gap);
        auto s = feed::twelvedata::create(std::move(tc), std::move(sink));
        if (!s) {
            return s.error();
        }
        return std::unique_ptr<feed::source>(std::move(*s));
    }
    if (spec == "binance") {
        feed::binance_config bc;
        bc.symbols = cfg.binance.symbols;
        bc.ws_url = cfg.binance.ws_url;
        bc.tls.ca_file = cfg.binance.ca_file;
        bc.watchdog_ms = cfg.binance.watchdog_us / 1000;
        bc.max_connection_age_ms = cfg.binance.max_connection_age_us / 1000;
        auto s = feed::binance::create(std::move(bc), std::move(sink));
        if (!s) {
            return s.error();
        }
        return std::unique_ptr<feed::source>(std::move(*s));
    }
    return make_error(errc::bad_setting, "source '{}' is not one of: sim, replay:FILE, twelvedata, binance",
                      spec);
}

} // namespace mdsp::pipeline
