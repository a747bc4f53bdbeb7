#include "feed/simulator.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <span>
#include <unordered_set>

namespace mdsp::feed {

namespace {

constexpr int64_t max_wait_nanos = 100'000'000; // poll() waits at most this long
constexpr double min_rate = 1e-3;               // keeps every deadline well within int64 nanoseconds

// Rough USD values, for magnitudes only.
struct known_value {
    std::string_view code;
    double usd;
};
constexpr known_value coins[] = {{"BTC", 60000}, {"ETH", 3000},  {"SOL", 150},  {"BNB", 550}, {"XRP", 0.55},
                                 {"ADA", 0.45},  {"DOGE", 0.12}, {"LTC", 80},   {"DOT", 6},   {"AVAX", 30},
                                 {"LINK", 15},   {"TRX", 0.12},  {"XLM", 0.11}, {"USDT", 1},  {"USDC", 1}};
constexpr known_value fiats[] = {{"USD", 1},    {"EUR", 1.08},  {"GBP", 1.27},  {"JPY", 0.0067},
                                 {"CHF", 1.12}, {"AUD", 0.66},  {"CAD", 0.74},  {"NZD", 0.61},
                                 {"CNY", 0.14}, {"SEK", 0.095}, {"NOK", 0.094}, {"HKD", 0.128},
                                 {"SGD", 0.74}, {"MXN", 0.058}, {"INR", 0.012}, {"ZAR", 0.054}};
constexpr known_value stocks[] = {{"AAPL", 190}, {"MSFT", 400}, {"GOOGL", 140}, {"GOOG", 140}, {"AMZN", 180},
                                  {"NVDA", 120}, {"META", 350}, {"TSLA", 220},  {"IBM", 170},  {"JPM", 190}};

std::optional<double> lookup(std::span<const known_value> table, std::string_view code) {
    for (const auto& k : table) {
        if (k.code == code) {
            return k.usd;
        }
    }
    return std::nullopt;
}

// The USD value of a currency or coin code, when we know one.
std::optional<double> currency_usd(std::string_view code) {
    if (auto v = lookup(coins, code)) {
        return v;
    }
    return lookup(fiats, code);
}

enum class asset_class { crypto, fx, stock };

struct classified {
    asset_class cls;
    double base_price; // before the seeded jitter
    double base_usd;   // USD value of one unit of size
};

// "BTC/USD", "BTCUSDT", "ETH/BTC", "EUR/USD", "AAPL".
classified classify(std::string_view sym, uint64_t symbol_hash) {
    std::string_view base = sym, quote;
    if (auto slash = sym.find('/'); slash != std::string_view::npos) {
        base = sym.substr(0, slash);
        quote = sym.substr(slash + 1);
    } else {
        for (std::string_view q : {"USDT", "USDC", "USD", "EUR", "BTC", "ETH"}) {
            if (sym.size() > q.size() && sym.ends_with(q)
                && lookup(coins, sym.substr(0, sym.size() - q.size()))) {
                base = sym.substr(0, sym.size() - q.size());
                quote = q;
                break;
            }
        }
    }
    if (!quote.empty()) {
        auto b = currency_usd(base);
        auto q = currency_usd(quote);
        if (b && q) {
            bool crypto = lookup(coins, base) || lookup(coins, quote);
            return {crypto ? asset_class::crypto : asset_class::fx, *b / *q, *b};
        }
        // An unknown pair: treat as a mid-priced coin.
        double p = 0.5 + 50.0 * static_cast<double>(symbol_hash >> 11) * 0x1.0p-53;
        return {asset_class::crypto, p, p};
    }
    if (auto p = lookup(stocks, sym)) {
        return {asset_class::stock, *p, *p};
    }
    double p = 100.0 + 300.0 * static_cast<double>(symbol_hash >> 11) * 0x1.0p-53;
    return {asset_class::stock, p, p};
}

double pow10(int e) {
    double r = 1;
    for (int i = 0; i < (e < 0 ? -e : e); ++i) {
        r *= 10;
    }
    return e < 0 ? 1 / r : r;
}

int floor_log10(double v) {
    return static_cast<int>(std::floor(std::log10(v)));
}

simulated_instrument derive(const std::string& sym, uint64_t seed) {
    const uint64_t h = internal::stable_hash(sym, 0);
    uint64_t mix = internal::stable_hash(sym, seed);
    const double u1 = static_cast<double>(internal::splitmix64(mix) >> 11) * 0x1.0p-53;
    const double u2 = static_cast<double>(internal::splitmix64(mix) >> 11) * 0x1.0p-53;
    const auto c = classify(sym, h);

    simulated_instrument in;
    in.symbol = sym;
    in.start_price = c.base_price * std::exp(0.1 * (u1 - 0.5)); // +-5 %
    switch (c.cls) {
    case asset_class::crypto:
        in.volatility = 4e-4;
        in.price_decimals = std::clamp(5 - floor_log10(in.start_price), 2, 8);
        in.median_size = 2000.0 / c.base_usd;
        in.size_sigma = 1.2;
        in.size_decimals = std::clamp(3 - floor_log10(in.median_size), 0, 8);
        break;
    case asset_class::fx:
        in.volatility = 5e-5;
        in.price_decimals = std::clamp(5 - floor_log10(in.start_price), 2, 8);
        in.median_size = 100'000;
        in.size_sigma = 0.8;
        in.size_decimals = -3; // lots of 1,000 units
        break;
    case asset_class::stock:
        in.volatility = 2e-4;
        in.price_decimals = in.start_price < 1 ? 4 : 2;
        in.median_size = 100;
        in.size_sigma = 1.0;
        in.size_decimals = 0;
        break;
    }
    in.volatility *= 0.5 + u2;
    const double scale = pow10(in.price_decimals);
    in.start_price = std::max(1.0, std::nearbyint(in.start_price * scale)) / scale;
    in.min_size = in.size_decimals >= 0 ? 1 / pow10(in.size_decimals) : pow10(-in.size_decimals);
    return in;
}

// Rounds to a multiple of 10^-decimals (decimals may be negative), giving the
// double nearest to the decimal value: n / 10^d rather than n * 10^-d.
inline double round_to(double v, double scale, bool scale_is_divisor) {
    return scale_is_divisor ? std::nearbyint(v * scale) / scale : std::nearbyint(v / scale) * scale;
}

} // namespace

result<std::unique_ptr<simulator>> simulator::create(simulator_config cfg) {
    if (cfg.symbols.empty()) {
        return make_error(errc::bad_config, "the simulator needs at least one symbol");
    }
    std::unordered_set<std::string> seen;
    for (const auto& s : cfg.symbols) {
        if (s.empty()) {
            return make_error(errc::bad_config, "simulator symbols must not be empty");
        }
        if (!seen.insert(s).second) {
            return make_error(errc::bad_config, "simulator symbol '{}' is listed twice", s);
        }
    }
    if (!std::isfinite(cfg.rate) || cfg.rate < 0 || (cfg.rate > 0 && cfg.rate < min_rate)) {
        return make_error(errc::bad_config,
                          "simulator rate {} must be 0 (unpaced) or a number of ticks/s from {} up", cfg.rate,
                          min_rate);
    }
    return std::unique_ptr<simulator>(new simulator(std::move(cfg)));
}

simulator::simulator(simulator_config cfg)
  : _cfg(std::move(cfg))
  , _clock(_cfg.clock ? _cfg.clock : &system_clock())
  , _rng(_cfg.seed) {
    for (const auto& s : _cfg.symbols) {
        auto in = derive(s, _cfg.seed);
        state st{};
        st.price = in.start_price;
        st.price_scale = pow10(in.price_decimals);
        st.min_price = 1 / st.price_scale;
        st.log_sigma = in.volatility;
        st.log_median_size = std::log(in.median_size);
        st.size_sigma = in.size_sigma;
        st.size_scale = in.size_decimals >= 0 ? pow10(in.size_decimals) : pow10(-in.size_decimals);
        st.min_size = in.min_size;
        _state.push_back(st);
        _instruments.push_back(std::move(in));
    }
}

void simulator::generate(std::vector<model::tick>& out, size_t n, int64_t wall_now) {
    const size_t symbols = _state.size();
    const double step_us = _cfg.rate > 0 ? 1e6 / _cfg.rate : 1.0;
    const ingest_time ingest(wall_now);
    for (size_t i = 0; i < n; ++i) {
        const size_t k = symbols == 1 ? 0 : static_cast<size_t>(_rng.below(symbols));
        state& st = _state[k];
        double z1, z2;
        _rng.normal_pair(z1, z2);
        st.price *= std::exp(st.log_sigma * z1);
        const double price =
            std::max(st.min_price, std::nearbyint(st.price * st.price_scale) / st.price_scale);
        const double raw_size = std::exp(st.log_median_size + st.size_sigma * z2);
        const bool dec = _instruments[k].size_decimals >= 0;
        const double size = std::max(st.min_size, round_to(raw_size, st.size_scale, dec));

        ++_seq;
        model::tick& t = out.emplace_back();
        t.symbol = _instruments[k].symbol;
        t.source = "sim";
        t.price = price;
        t.size = size;
        t.seq = sequence(_seq);
        t.ingest_time = ingest;
        t.event_time =
            _cfg.start_time
                ? event_time(*_cfg.start_time + std::llround(static_cast<double>(_seq - 1) * step_us))
                : event_time(wall_now);
    }
}

result<poll_status> simulator::poll(std::vector<model::tick>& out, size_t max) {
    if (max == 0) {
        return poll_status::ticks;
    }
    if (_cfg.rate == 0) {
        generate(out, max, _clock->wall_micros());
        return poll_status::ticks;
    }
    // Tick k after the pacing start is due at start + k / rate: deadlines are
    // computed from the start, never from the previous tick, so there is no
    // drift. A consumer that falls behind gets the backlog in max-sized batches.
    const double ns_per_tick = 1e9 / _cfg.rate;
    int64_t now = _clock->mono_nanos();
    if (_paced_from < 0) {
        _paced_from = _seq;
        _pace_start_ns = now;
    }
    const int64_t emitted = _seq - _paced_from;
    auto due = [&](int64_t t) {
        return static_cast<int64_t>(std::floor(static_cast<double>(t - _pace_start_ns) / ns_per_tick)) + 1
               - emitted;
    };
    int64_t n = due(now);
    if (n <= 0) {
        const int64_t next =
            _pace_start_ns + static_cast<int64_t>(std::ceil(static_cast<double>(emitted) * ns_per_tick));
        _clock->sleep_until(std::min(next, now + max_wait_nanos));
        now = _clock->mono_nanos();
        n = due(now);
        if (n <= 0) {
            return poll_status::ticks;
        }
    }
    generate(out, std::min(static_cast<size_t>(n), max), _clock->wall_micros());
    return poll_status::ticks;
}

std::string simulator::position() const {
    return std::to_string(_seq);
}

result<void> simulator::resume(std::string_view position) {
    int64_t v = 0;
    auto [p, ec] = std::from_chars(position.data(), position.data() + position.size(), v);
    if (position.empty() || ec != std::errc() || p != position.data() + position.size() || v < 0) {
        return make_error(
            errc::bad_format,
            "simulator position '{}' is not a tick count (a non-negative integer from position())", position);
    }
    _seq = v;
    _paced_from = -1;
    return ok();
}

} // namespace mdsp::feed
