// cassandra_store's reads: ranges across the buckets its indexes list, the
// latest ticks, the symbols, the state.
#include <algorithm>

#include <fmt/format.h>

#include "store/cassandra.h"
#include "store/internal/cassandra_rows.h"
#include "store/internal/cassandra_statements.h"
#include "store/internal/codec.h"

namespace mdsp::store {

namespace {
// Years 0000 to 9999, the times the API accepts: bucket names stay 4-digit
// years, so they sort as text in time order.
constexpr int64_t min_us = -62'167'219'200'000'000;
constexpr int64_t max_us = 253'402'300'800'000'000;
} // namespace

result<std::vector<cql::rows>> cassandra_store::read_pages(const std::shared_ptr<const cql::prepared>& stmt,
                                                           const std::vector<cql::value>& values,
                                                           size_t max_rows) {
    std::vector<cql::rows> pages;
    size_t got = 0;
    cql::statement_options o;
    o.idempotent = true;
    while (got < max_rows) {
        o.page_size = int32_t(std::min<size_t>(size_t(_opts.page_size), max_rows - got));
        auto r = _session.execute_sync(stmt, values, o);
        if (!r) {
            return failed("reading", r.error());
        }
        got += r->rows.size();
        bool more = r->rows.meta.has_more_pages && r->rows.meta.paging_state;
        o.paging_state = r->rows.meta.paging_state;
        pages.push_back(std::move(r->rows));
        if (!more) {
            break;
        }
    }
    return pages;
}

result<std::vector<std::string>> cassandra_store::buckets(const std::shared_ptr<const cql::prepared>& stmt,
                                                          std::vector<cql::value> key) {
    auto pages = read_pages(stmt, std::move(key), SIZE_MAX);
    if (!pages) {
        return pages.error();
    }
    std::vector<std::string> out;
    for (const auto& p : *pages) {
        for (size_t i = 0; i < p.size(); ++i) {
            auto v = p.row(i).raw(0);
            if (v && *v) {
                out.emplace_back(**v);
            }
        }
    }
    return out;
}

result<std::vector<model::candle>> cassandra_store::candles(std::string_view symbol, model::interval iv,
                                                            const range& r) {
    if (!internal::valid_symbol(symbol) || iv.micros() <= 0) {
        return make_error(errc::bad_query, "a candle query needs a symbol and a positive interval");
    }
    std::vector<model::candle> out;
    int64_t from = std::max(r.from(), min_us);
    int64_t to = std::min(r.to(), max_us);
    if (r.limit == 0 || from >= to) {
        return out;
    }
    auto all = buckets(_st->candle_buckets, {cql::value::text(symbol), cql::value::text(iv.name())});
    if (!all) {
        return all.error();
    }
    // Raw bytes of text cells are the text; bucket names sort in time order.
    auto lo = internal::candle_bucket(iv, from);
    auto hi = internal::candle_bucket(iv, to - 1);
    std::vector<std::string> in;
    std::copy_if(all->begin(), all->end(), std::back_inserter(in),
                 [&](const std::string& b) { return b >= lo && b <= hi; });
    std::sort(in.begin(), in.end());
    if (r.tail) {
        std::reverse(in.begin(), in.end());
    }
    for (const auto& b : in) {
        size_t want = r.limit - out.size();
        std::vector<cql::value> v{cql::value::text(symbol),
                                  cql::value::text(iv.name()),
                                  cql::value::text(b),
                                  cql::value::timestamp_ms(internal::ceil_ms(from)),
                                  cql::value::timestamp_ms(internal::ceil_ms(to)),
                                  cql::value::int_(int32_t(std::min<size_t>(want, INT32_MAX)))};
        auto pages = read_pages(r.tail ? _st->candles_desc : _st->candles_asc, std::move(v), want);
        if (!pages) {
            return pages.error();
        }
        for (const auto& p : *pages) {
            for (size_t i = 0; i < p.size() && out.size() < r.limit; ++i) {
                auto c = internal::candle_from_row(p.row(i), symbol, iv);
                if (!c) {
                    return c.error();
                }
                out.push_back(std::move(*c));
            }
        }
        if (out.size() >= r.limit) {
            break;
        }
    }
    if (r.tail) {
        std::reverse(out.begin(), out.end());
    }
    return out;
}

result<std::vector<model::tick>> cassandra_store::ticks(std::string_view symbol, const range& r) {
    if (!internal::valid_symbol(symbol)) {
        return make_error(errc::bad_query, "a tick query needs a symbol");
    }
    std::vector<model::tick> out;
    int64_t from = std::max(r.from(), min_us);
    int64_t to = std::min(r.to(), max_us);
    if (r.limit == 0 || from >= to) {
        return out;
    }
    auto pages = read_pages(_st->tick_days, {cql::value::text(symbol)}, SIZE_MAX);
    if (!pages) {
        return pages.error();
    }
    std::vector<int32_t> days;
    for (const auto& p : *pages) {
        for (size_t i = 0; i < p.size(); ++i) {
            auto d = p.row(i).date(0);
            if (d && *d && **d >= internal::tick_day(from) && **d <= internal::tick_day(to - 1)) {
                days.push_back(**d);
            }
        }
    }
    std::sort(days.begin(), days.end());
    if (r.tail) {
        std::reverse(days.begin(), days.end());
    }
    for (int32_t day : days) {
        size_t want = r.limit - out.size();
        std::vector<cql::value> v{cql::value::text(symbol), cql::value::date(day), cql::value::bigint(from),
                                  cql::value::bigint(to),
                                  cql::value::int_(int32_t(std::min<size_t>(want, INT32_MAX)))};
        auto rows = read_pages(r.tail ? _st->ticks_desc : _st->ticks_asc, std::move(v), want);
        if (!rows) {
            return rows.error();
        }
        for (const auto& p : *rows) {
            for (size_t i = 0; i < p.size() && out.size() < r.limit; ++i) {
                auto t = internal::tick_from_row(p.row(i), false, symbol);
                if (!t) {
                    return t.error();
                }
                out.push_back(std::move(*t));
            }
        }
        if (out.size() >= r.limit) {
            break;
        }
    }
    if (r.tail) {
        std::reverse(out.begin(), out.end());
    }
    return out;
}

result<std::vector<model::tick>> cassandra_store::latest() {
    auto pages = read_pages(_st->latest_all, {}, SIZE_MAX);
    if (!pages) {
        return pages.error();
    }
    std::vector<model::tick> out;
    for (const auto& p : *pages) {
        for (size_t i = 0; i < p.size(); ++i) {
            auto t = internal::tick_from_row(p.row(i), true, {});
            if (!t) {
                return t.error();
            }
            out.push_back(std::move(*t));
        }
    }
    std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.symbol < b.symbol; });
    return out;
}

result<std::optional<model::tick>> cassandra_store::latest(std::string_view symbol) {
    auto pages = read_pages(_st->latest_one, {cql::value::text(symbol)}, 1);
    if (!pages) {
        return pages.error();
    }
    for (const auto& p : *pages) {
        if (p.size() > 0) {
            auto t = internal::tick_from_row(p.row(0), true, {});
            if (!t) {
                return t.error();
            }
            return std::optional<model::tick>(std::move(*t));
        }
    }
    return std::optional<model::tick>();
}

result<std::vector<std::string>> cassandra_store::symbols() {
    auto all = buckets(_st->symbols, {});
    if (!all) {
        return all.error();
    }
    std::sort(all->begin(), all->end());
    return all;
}

result<std::vector<std::pair<std::string, std::string>>>
cassandra_store::load_state(std::string_view prefix) {
    const auto scope = state_scope(prefix);
    auto out = load_state_in(scope, prefix);
    if (out && out->empty() && prefix.starts_with("pos/") && scope != "state") {
        // A position stored by an earlier version, in the "state" scope
        // before positions moved into their partition's.
        return load_state_in("state", prefix);
    }
    return out;
}

result<std::vector<std::pair<std::string, std::string>>>
cassandra_store::load_state_in(const std::string& scope, std::string_view prefix) {
    // Keys of the prefix sort below it followed by 0xff bytes (keys are
    // short: engine keys are a symbol and a few varints).
    std::string upper(prefix);
    upper.append(512, '\xff');
    auto pages =
        read_pages(_st->load_state,
                   {cql::value::text(scope), cql::value::blob(prefix), cql::value::blob(upper)}, SIZE_MAX);
    if (!pages) {
        return pages.error();
    }
    std::vector<std::pair<std::string, std::string>> out;
    for (const auto& p : *pages) {
        for (size_t i = 0; i < p.size(); ++i) {
            auto k = p.row(i).blob(0);
            auto v = p.row(i).blob(1);
            if (!k || !v) {
                return failed("reading the state", !k ? k.error() : v.error());
            }
            if (!*k || !(*k)->starts_with(prefix)) {
                continue;
            }
            out.emplace_back(**k, v->value_or(""));
        }
    }
    return out;
}

} // namespace mdsp::store
