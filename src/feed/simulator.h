#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "feed/clock.h"
#include "feed/internal/random.h"
#include "feed/source.h"

namespace mdsp::feed {

struct simulator_config {
    // Instruments to simulate. Known names get realistic magnitudes (BTC/USD
    // ~60,000, EUR/USD ~1.08); others are classed as crypto (a known coin),
    // FX (XXX/YYY of fiat codes) or stock (100..400).
    std::vector<std::string> symbols = {"BTC/USD", "ETH/USD", "AAPL", "MSFT", "EUR/USD"};
    // Ticks per second across all symbols; 0 = as fast as poll() is called.
    double rate = 1000;
    // Same seed, same (symbol, price, size) sequence, every run.
    uint64_t seed = 1;
    // When set (us since epoch), event times come from a synthetic clock that
    // starts here and advances 1/rate per tick (1 us per tick when rate is 0):
    // a run is then fully reproducible. When unset, event time = wall clock
    // (read once per poll; all ticks of one batch share it).
    std::optional<int64_t> start_time;
    // Pacing and wall time; nullptr = system_clock(). Not owned.
    feed::clock* clock = nullptr;
};

// Per-symbol parameters the simulator derived from (seed, symbol); exposed
// for tests and for the CLI's --help-style listing.
struct simulated_instrument {
    std::string symbol;
    double start_price = 0;
    double volatility = 0;  // standard deviation of the log return per tick
    int price_decimals = 2; // prices are multiples of 10^-price_decimals
    double median_size = 0; // of the log-normal trade size
    double size_sigma = 0;  // of log(size)
    int size_decimals = 0;  // sizes are multiples of 10^-size_decimals
    double min_size = 0;
};

// Synthetic trades: per symbol a geometric random walk of prices, rounded to
// the symbol's tick size, and log-normal trade sizes; which symbol trades
// next is drawn uniformly. source = "sim"; seq counts ticks from 1.
//
// Owned and polled by one thread; no background work. position() is the seq
// of the last tick returned ("0" before the first); resume(p) continues the
// numbering (and the synthetic clock) after p. The price walk itself is not
// part of the position: a resumed run starts again from the seeded prices.
class simulator final : public source {
public:
    // Checks the config: at least one symbol, none empty, rate finite and >= 0.
    static result<std::unique_ptr<simulator>> create(simulator_config cfg);

    result<poll_status> poll(std::vector<model::tick>& out, size_t max) override;
    std::string id() const override { return "sim"; }
    std::string position() const override;
    result<void> resume(std::string_view position) override;
    std::optional<double> progress() const override { return std::nullopt; }

    const std::vector<simulated_instrument>& instruments() const noexcept { return _instruments; }
    // The seq of the last tick handed out (counts resumed-over ticks too).
    int64_t ticks_generated() const noexcept { return _seq; }

private:
    explicit simulator(simulator_config cfg);
    void generate(std::vector<model::tick>& out, size_t n, int64_t wall_now);

    struct state {
        double price;       // unrounded walk
        double price_scale; // 10^price_decimals
        double min_price;   // one price increment
        double log_sigma;
        double log_median_size;
        double size_sigma;
        double size_scale; // 10^size_decimals
        double min_size;
    };

    simulator_config _cfg;
    feed::clock* _clock;
    std::vector<simulated_instrument> _instruments;
    std::vector<state> _state;
    internal::xoshiro256 _rng;
    int64_t _seq = 0;           // last seq handed out
    int64_t _paced_from = -1;   // _seq when pacing (re)started; -1 = not yet
    int64_t _pace_start_ns = 0; // mono time of pacing start
};

} // namespace mdsp::feed
