#include "app/sources.h"

#include "feed/replay.h"
#include "feed/simulator.h"

namespace mdsp::app {

result<std::unique_ptr<feed::source>> make_source(const config& cfg, feed::dead_letter_sink sink) {
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
    return make_error(errc::bad_config, "source '{}' is not one of: sim, replay:FILE", spec);
}

} // namespace mdsp::app
