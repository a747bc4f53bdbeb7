// cassandra_store: opening, the schema, the prepared statements, writes.
// Reads are in cassandra_read.cc.
#include "store/cassandra.h"

#include <algorithm>
#include <condition_variable>
#include <map>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "store/internal/cassandra_rows.h"
#include "store/internal/cassandra_statements.h"
#include "store/internal/codec.h"

namespace mdsp::store {

namespace {
using internal::candle_columns;
using internal::tick_columns;
std::string marks(size_t n) {
    std::string s;
    for (size_t i = 0; i < n; ++i) {
        s += i ? ", ?" : "?";
    }
    return s;
}
} // namespace

std::vector<std::string> cassandra_store::schema(const std::string& ks, const std::string& replication) {
    return {
        fmt::format("CREATE KEYSPACE IF NOT EXISTS {} WITH replication = {}", ks, replication),
        fmt::format(
            "CREATE TABLE IF NOT EXISTS {}.ticks (symbol text, day date, event_time bigint, seq bigint, "
            "source text, exchange text, mic_code text, asset_type text, currency text, ingest_time "
            "bigint, price double, size double, day_volume double, bid double, ask double, trade_id "
            "bigint, PRIMARY KEY ((symbol, day), event_time, seq)) WITH CLUSTERING ORDER BY (event_time "
            "ASC, seq ASC) AND default_time_to_live = 2592000 AND compaction = {{'class': "
            "'TimeWindowCompactionStrategy', 'compaction_window_unit': 'DAYS', "
            "'compaction_window_size': 1}}",
            ks),
        fmt::format(
            "CREATE TABLE IF NOT EXISTS {}.candles (symbol text, interval text, bucket text, window_start "
            "timestamp, open double, high double, low double, close double, volume double, vwap double, "
            "trade_count bigint, first_event_time bigint, last_event_time bigint, final boolean, "
            "revision bigint, backfilled boolean, spike boolean, PRIMARY KEY ((symbol, interval, bucket), "
            "window_start)) WITH CLUSTERING ORDER BY (window_start ASC)",
            ks),
        // A candles table made before the spike column (data-quality checks) gets it.
        fmt::format("ALTER TABLE {}.candles ADD IF NOT EXISTS spike boolean", ks),
        fmt::format(
            "CREATE TABLE IF NOT EXISTS {}.latest (symbol text, event_time bigint, seq bigint, source "
            "text, exchange text, mic_code text, asset_type text, currency text, ingest_time bigint, "
            "price double, size double, day_volume double, bid double, ask double, trade_id bigint, "
            "PRIMARY KEY (symbol))",
            ks),
        fmt::format("CREATE TABLE IF NOT EXISTS {}.candle_buckets (symbol text, interval text, bucket text, "
                    "PRIMARY KEY ((symbol, interval), bucket))",
                    ks),
        fmt::format(
            "CREATE TABLE IF NOT EXISTS {}.tick_days (symbol text, day date, PRIMARY KEY (symbol, day)) "
            "WITH default_time_to_live = 2678400",
            ks),
        fmt::format(
            "CREATE TABLE IF NOT EXISTS {}.state (scope text, key blob, value blob, PRIMARY KEY (scope, "
            "key))",
            ks),
    };
}

cassandra_store::cassandra_store(cassandra_options o)
  : _opts(std::move(o))
  , _session(_opts.session)
  , _st(std::make_unique<statements>()) {}

cassandra_store::~cassandra_store() {
    _session.stop();
}

mdsp::error cassandra_store::failed(std::string_view what, const mdsp::error& e) const {
    std::string hint;
    if (e.what().find("does not exist") != std::string::npos
        || e.what().find("unconfigured table") != std::string::npos) {
        hint = fmt::format("; create the keyspace and tables with `mdsp cassandra init --store "
                           "cassandra://HOST/{}` (or `cqlsh -f deploy/cassandra/schema.cql`), or run mdsp "
                           "once with --set store.cassandra_init=true",
                           _opts.keyspace);
    }
    return make_error(errc::io_error, "Cassandra store: {}: {}{}", what, e.what(), hint);
}

result<std::unique_ptr<cassandra_store>> cassandra_store::open(cassandra_options o) {
    if (!cql::valid_keyspace_name(o.keyspace)) {
        return make_error(errc::bad_query, "'{}' is not a valid Cassandra keyspace name", o.keyspace);
    }
    o.page_size = std::max<int32_t>(o.page_size, 1);
    o.max_parallel = std::max<size_t>(o.max_parallel, 1);
    o.batch_rows = std::clamp<size_t>(o.batch_rows, 1, 1000);
    std::unique_ptr<cassandra_store> s(new cassandra_store(std::move(o)));
    if (auto r = s->_session.start(); !r) {
        return s->failed("connecting", r.error());
    }
    if (s->_opts.apply_schema) {
        // Every host agrees on each change before the next: the next
        // statement may go to another coordinator, which must know the
        // keyspace or table it names (drivers wait the same way). Up to two
        // minutes: three nodes that had shared two loaded cores with the
        // test suite for 13 minutes kept two schema versions for over 30 s,
        // and agreed a minute later.
        constexpr auto agreement_wait = std::chrono::seconds(120);
        for (const auto& stmt : schema(s->_opts.keyspace, s->_opts.replication)) {
            if (auto r = s->_session.query_sync(stmt); !r) {
                return s->failed("applying the schema", r.error());
            }
            if (auto r = s->_session.wait_for_schema_agreement(agreement_wait); !r) {
                return s->failed("applying the schema", r.error());
            }
        }
    }
    if (auto r = s->prepare_all(); !r) {
        return r.error();
    }
    return s;
}

result<void> cassandra_store::prepare_all() {
    const std::string& ks = _opts.keyspace;
    std::vector<std::pair<statements::stmt*, std::string>> all{
        {&_st->insert_tick, internal::insert_tick_cql(ks)},
        {&_st->insert_candle, internal::insert_candle_cql(ks, false)},
        {&_st->insert_candle_at, internal::insert_candle_cql(ks, true)},
        {&_st->insert_latest, fmt::format("INSERT INTO {}.latest (symbol, {}) VALUES ({}) USING TIMESTAMP ?",
                                          ks, tick_columns, marks(15))},
        {&_st->insert_candle_bucket,
         fmt::format("INSERT INTO {}.candle_buckets (symbol, interval, bucket) VALUES (?, ?, ?)", ks)},
        {&_st->insert_tick_day, fmt::format("INSERT INTO {}.tick_days (symbol, day) VALUES (?, ?)", ks)},
        {&_st->put_state, fmt::format("INSERT INTO {}.state (scope, key, value) VALUES (?, ?, ?)", ks)},
        {&_st->put_state_at,
         fmt::format("INSERT INTO {}.state (scope, key, value) VALUES (?, ?, ?) USING TIMESTAMP ?", ks)},
        {&_st->put_state_if_absent,
         fmt::format("INSERT INTO {}.state (scope, key, value) VALUES (?, ?, ?) IF NOT EXISTS", ks)},
        {&_st->delete_state, fmt::format("DELETE FROM {}.state WHERE scope = ? AND key = ?", ks)},
        {&_st->delete_state_at,
         fmt::format("DELETE FROM {}.state USING TIMESTAMP ? WHERE scope = ? AND key = ?", ks)},
        {&_st->load_state,
         fmt::format("SELECT key, value FROM {}.state WHERE scope = ? AND key >= ? AND key < ?", ks)},
        {&_st->one_candle,
         fmt::format("SELECT {}, writetime(open) FROM {}.candles WHERE symbol = ? AND interval = ? AND "
                     "bucket = ? AND window_start = ?",
                     candle_columns, ks)},
        {&_st->candles_asc,
         fmt::format("SELECT {} FROM {}.candles WHERE symbol = ? AND interval = ? AND bucket = ? AND "
                     "window_start >= ? AND window_start < ? LIMIT ?",
                     candle_columns, ks)},
        {&_st->candles_desc,
         fmt::format("SELECT {} FROM {}.candles WHERE symbol = ? AND interval = ? AND bucket = ? AND "
                     "window_start >= ? AND window_start < ? ORDER BY window_start DESC LIMIT ?",
                     candle_columns, ks)},
        {&_st->candle_buckets,
         fmt::format("SELECT bucket FROM {}.candle_buckets WHERE symbol = ? AND interval = ?", ks)},
        {&_st->ticks_asc,
         fmt::format("SELECT {} FROM {}.ticks WHERE symbol = ? AND day = ? AND event_time >= ? "
                     "AND event_time < ? LIMIT ?",
                     tick_columns, ks)},
        {&_st->ticks_desc,
         fmt::format("SELECT {} FROM {}.ticks WHERE symbol = ? AND day = ? AND event_time >= ? "
                     "AND event_time < ? ORDER BY event_time DESC, seq DESC LIMIT ?",
                     tick_columns, ks)},
        {&_st->tick_days, fmt::format("SELECT day FROM {}.tick_days WHERE symbol = ?", ks)},
        {&_st->latest_all, fmt::format("SELECT symbol, {} FROM {}.latest", tick_columns, ks)},
        {&_st->latest_one,
         fmt::format("SELECT symbol, {} FROM {}.latest WHERE symbol = ?", tick_columns, ks)},
        {&_st->symbols, fmt::format("SELECT symbol FROM {}.latest", ks)},
    };
    for (auto& [slot, text] : all) {
        auto p = _session.prepare_sync(text);
        if (!p) {
            return failed(fmt::format("preparing `{}`", text), p.error());
        }
        *slot = *p;
    }
    return ok();
}

result<void> cassandra_store::run_all(std::vector<job> jobs) {
    struct shared {
        std::mutex mu;
        std::condition_variable cv;
        size_t next = 0, running = 0;
        std::optional<mdsp::error> first;
    };
    auto st = std::make_shared<shared>();
    // Starts jobs while there is room and no failure; called with mu held.
    std::function<void(std::unique_lock<std::mutex>&)> launch = [&](std::unique_lock<std::mutex>& lock) {
        while (!st->first && st->running < _opts.max_parallel && st->next < jobs.size()) {
            auto& j = jobs[st->next++];
            ++st->running;
            lock.unlock();
            j([st, &launch](result<cql::result_message> r) {
                std::unique_lock l(st->mu);
                --st->running;
                if (!r && !st->first) {
                    st->first = r.error();
                }
                launch(l);
                st->cv.notify_all();
            });
            lock.lock();
        }
    };
    std::unique_lock lock(st->mu);
    launch(lock);
    st->cv.wait(lock, [&] { return st->running == 0 && (st->first || st->next == jobs.size()); });
    if (st->first) {
        return *st->first;
    }
    return ok();
}

void cassandra_store::put_partition(std::vector<job>& jobs, std::vector<partition_row> rows) {
    cql::statement_options o;
    o.idempotent = true;
    for (size_t i = 0; i < rows.size(); i += _opts.batch_rows) {
        const size_t end = std::min(rows.size(), i + _opts.batch_rows);
        if (end - i == 1) {
            jobs.push_back([this, r = std::move(rows[i]), o](auto cb) mutable {
                _session.execute(r.first, r.second, o, std::move(cb));
            });
            continue;
        }
        std::vector<std::shared_ptr<const cql::prepared>> stmts;
        std::vector<std::vector<cql::value>> values;
        for (size_t j = i; j < end; ++j) {
            stmts.push_back(std::move(rows[j].first));
            values.push_back(std::move(rows[j].second));
        }
        jobs.push_back([this, stmts = std::move(stmts), values = std::move(values), o](auto cb) mutable {
            _session.batch(stmts, values, o, std::move(cb));
        });
    }
}

void cassandra_store::put_index(std::vector<job>& jobs, std::string key,
                                const std::shared_ptr<const cql::prepared>& st, std::vector<cql::value> v,
                                std::set<std::string>& fresh) {
    if (_indexed.count(key) || !fresh.insert(std::move(key)).second) {
        return;
    }
    cql::statement_options o;
    o.idempotent = true;
    jobs.push_back(
        [this, st, v = std::move(v), o](auto cb) mutable { _session.execute(st, v, o, std::move(cb)); });
}

result<void> cassandra_store::put_ticks(std::vector<job>& jobs, std::span<const model::tick> ticks,
                                        std::set<std::string>& fresh) {
    // Unlogged batches of one partition (symbol, day), up to batch_rows rows.
    std::map<std::pair<std::string_view, int32_t>, std::vector<partition_row>> parts;
    for (const auto& t : ticks) {
        if (!internal::valid_symbol(t.symbol)) {
            return make_error(errc::bad_query, "a tick's symbol is empty or has a NUL byte");
        }
        parts[{t.symbol, internal::tick_day(t.event_time())}].emplace_back(_st->insert_tick,
                                                                           internal::tick_values(t, true));
    }
    for (auto& [key, rows] : parts) {
        put_partition(jobs, std::move(rows));
        put_index(jobs, fmt::format("t\x1f{}\x1f{}", key.first, key.second), _st->insert_tick_day,
                  {cql::value::text(key.first), cql::value::date(key.second)}, fresh);
    }
    return ok();
}

result<void> cassandra_store::put_candles(std::vector<job>& jobs, const std::vector<versioned_candle>& rows,
                                          bool backfilled, std::set<std::string>& fresh) {
    // Unlogged batches of one partition (symbol, interval, bucket), as ticks;
    // each row keeps its own write time (USING TIMESTAMP) inside the batch.
    std::map<std::tuple<std::string_view, std::string, std::string>, std::vector<partition_row>> parts;
    for (const auto& [c, version] : rows) {
        auto v = internal::candle_values(*c);
        if (backfilled) {
            v[15] = cql::value::boolean(true);
        }
        auto& part =
            parts[{c->symbol, c->interval.name(), internal::candle_bucket(c->interval, c->window_start())}];
        if (version > 0) {
            v.push_back(cql::value::bigint(version));
            part.emplace_back(_st->insert_candle_at, std::move(v));
        } else {
            part.emplace_back(_st->insert_candle, std::move(v));
        }
    }
    for (auto& [key, part] : parts) {
        put_partition(jobs, std::move(part));
        const auto& [symbol, interval, bucket] = key;
        put_index(jobs, fmt::format("c\x1f{}\x1f{}\x1f{}", symbol, interval, bucket),
                  _st->insert_candle_bucket,
                  {cql::value::text(symbol), cql::value::text(interval), cql::value::text(bucket)}, fresh);
    }
    return ok();
}

namespace {
bool newer(int64_t et, int64_t seq, std::pair<int64_t, int64_t> than) {
    return et > than.first || (et == than.first && seq > than.second);
}
} // namespace

result<void>
cassandra_store::put_latest(std::vector<job>& jobs, std::span<const model::tick> rows,
                            std::vector<std::pair<std::string, std::pair<int64_t, int64_t>>>& updates) {
    std::unordered_map<std::string_view, const model::tick*> best;
    for (const auto& t : rows) {
        if (!internal::valid_symbol(t.symbol)) {
            return make_error(errc::bad_query, "a latest tick's symbol is empty or has a NUL byte");
        }
        auto [it, inserted] = best.try_emplace(t.symbol, &t);
        if (!inserted && newer(t.event_time(), t.seq(), {it->second->event_time(), it->second->seq()})) {
            it->second = &t;
        }
    }
    cql::statement_options o;
    o.idempotent = true;
    for (const auto& [symbol, t] : best) {
        auto cached = _latest_cache.find(std::string(symbol));
        if (cached == _latest_cache.end()) {
            auto stored = latest(symbol);
            if (!stored) {
                return stored.error();
            }
            if (*stored) {
                cached = _latest_cache
                             .emplace(std::string(symbol),
                                      std::pair<int64_t, int64_t>{(*stored)->event_time(), (*stored)->seq()})
                             .first;
            }
        }
        if (cached != _latest_cache.end() && !newer(t->event_time(), t->seq(), cached->second)) {
            continue;
        }
        auto v = internal::tick_values(*t, false);
        // The write time is the event time: a replayed, older tick loses to a
        // newer one written by anyone, in any order.
        v.push_back(cql::value::bigint(t->event_time()));
        jobs.push_back([this, v = std::move(v), o](auto cb) mutable {
            _session.execute(_st->insert_latest, v, o, std::move(cb));
        });
        updates.emplace_back(std::string(symbol), std::pair<int64_t, int64_t>{t->event_time(), t->seq()});
    }
    return ok();
}

namespace {
// Bytes of state changes in one batch: well inside Cassandra's mutation and
// frame limits (16 MiB by default).
constexpr size_t state_batch_bytes = 1 << 20;

struct state_batch {
    std::vector<size_t> changes; // indices into the state changes
    size_t bytes = 0;
};
} // namespace

namespace {

// The partition of a position key, pos/<topic>/<5 digits>; empty otherwise.
std::string_view position_partition(std::string_view key) {
    if (!key.starts_with("pos/") || key.size() < 11 || key[key.size() - 6] != '/') {
        return {};
    }
    auto p = key.substr(key.size() - 5);
    return std::all_of(p.begin(), p.end(), [](char c) { return c >= '0' && c <= '9'; }) ? p
                                                                                        : std::string_view{};
}

} // namespace

std::string cassandra_store::state_scope(std::string_view key) {
    // kp/<5 digits>/...: a Kafka partition's checkpoint is a partition of its
    // own, and its position lives there too, so that the position goes in
    // one single-partition batch (all or none) with the state it follows.
    if (key.size() >= 9 && key.starts_with("kp/") && key[8] == '/') {
        return std::string(key.substr(0, 8));
    }
    if (auto p = position_partition(key); !p.empty()) {
        return "kp/" + std::string(p);
    }
    return "state";
}

cassandra_store::job cassandra_store::state_job(std::span<const state_change> state,
                                                std::span<const int64_t> versions, std::vector<size_t> idx) {
    std::vector<std::shared_ptr<const cql::prepared>> stmts;
    std::vector<std::vector<cql::value>> values;
    for (size_t i : idx) {
        const auto& [key, value] = state[i];
        const int64_t version = versions.empty() ? 0 : versions[i];
        auto scope = cql::value::text(state_scope(key));
        if (value) {
            std::vector<cql::value> v{scope, cql::value::blob(key), cql::value::blob(*value)};
            if (version > 0) {
                v.push_back(cql::value::bigint(version));
            }
            stmts.push_back(version > 0 ? _st->put_state_at : _st->put_state);
            values.push_back(std::move(v));
        } else if (version > 0) {
            stmts.push_back(_st->delete_state_at);
            values.push_back({cql::value::bigint(version), scope, cql::value::blob(key)});
        } else {
            stmts.push_back(_st->delete_state);
            values.push_back({scope, cql::value::blob(key)});
        }
    }
    cql::statement_options o;
    o.idempotent = true;
    return [this, stmts = std::move(stmts), values = std::move(values), o](auto cb) mutable {
        if (stmts.size() == 1) {
            _session.execute(stmts[0], values[0], o, std::move(cb));
        } else {
            _session.batch(stmts, values, o, std::move(cb));
        }
    };
}

// A lightweight transaction (Paxos at SERIAL): the row is inserted unless
// it exists, and the result says which ([applied]) with the existing row's
// columns when it was not. Sent again after a timeout, it finds the row it
// may have inserted and returns that: safe to retry.
result<std::string> cassandra_store::put_state_if_absent(const std::string& key, const std::string& value) {
    cql::statement_options o;
    o.idempotent = true;
    auto r = _session.execute_sync(
        _st->put_state_if_absent,
        {cql::value::text(state_scope(key)), cql::value::blob(key), cql::value::blob(value)}, o);
    if (!r) {
        return failed(fmt::format("claiming the state key {}", key), r.error());
    }
    const auto& rows = r->rows;
    if (r->kind != cql::result_kind::rows || rows.size() != 1) {
        return make_error(errc::io_error,
                          "Cassandra store: a conditional insert of {} returned no [applied] row", key);
    }
    const auto row = rows.row(0);
    auto applied_col = row.column("[applied]");
    auto applied =
        applied_col ? row.boolean(*applied_col) : result<std::optional<bool>>(std::optional<bool>());
    if (!applied || !*applied) {
        return make_error(errc::io_error, "Cassandra store: a conditional insert of {} returned no [applied]",
                          key);
    }
    if (**applied) {
        return value;
    }
    auto value_col = row.column("value");
    auto held =
        value_col ? row.blob(*value_col) : result<std::optional<std::string>>(std::optional<std::string>());
    if (!held || !*held) {
        return make_error(errc::io_error,
                          "Cassandra store: {} exists but its conditional insert did not return its value",
                          key);
    }
    return std::move(**held);
}

// Each run of changes (write_batch::state_groups) of one scope goes in one
// batch of one Cassandra partition: all or none, as one write. Of a scope,
// the batch holding its last run goes after the others. A Kafka partition's
// position shares its scope (state_scope) and goes in that last batch, so it
// is stored with the last of the state it goes with and never before the
// rest; with no state beside it, alone in the same round. Any other position
// (pos/ keys) goes after everything.
result<void> cassandra_store::put_state(std::span<const state_change> state,
                                        std::span<const int64_t> versions, std::span<const uint32_t> groups) {
    if (!versions.empty() && versions.size() != state.size()) {
        return make_error(errc::bad_query, "{} state versions for {} state changes", versions.size(),
                          state.size());
    }
    if (!groups.empty() && (groups.back() != state.size() || !std::is_sorted(groups.begin(), groups.end()))) {
        return make_error(errc::bad_query, "the state's runs do not end at its {} changes", state.size());
    }
    std::map<std::string, std::vector<state_batch>> scopes;
    std::vector<size_t> positions;
    size_t begin = 0;
    for (size_t g = 0; begin < state.size(); ++g) {
        const size_t end = groups.empty() ? begin + 1 : groups[g];
        std::map<std::string, state_batch> run;
        for (size_t i = begin; i < end; ++i) {
            if (state[i].first.starts_with("pos/")) {
                positions.push_back(i);
                continue;
            }
            auto& b = run[state_scope(state[i].first)];
            b.changes.push_back(i);
            b.bytes += state[i].first.size() + (state[i].second ? state[i].second->size() : 0) + 16;
        }
        for (auto& [scope, r] : run) {
            auto& bs = scopes[scope];
            if (bs.empty() || bs.back().bytes + r.bytes > state_batch_bytes) {
                bs.emplace_back();
            }
            bs.back().changes.insert(bs.back().changes.end(), r.changes.begin(), r.changes.end());
            bs.back().bytes += r.bytes;
        }
        begin = end;
    }
    std::vector<job> rounds[3];
    for (size_t i : positions) {
        auto scope = state_scope(state[i].first);
        if (scope == "state") {
            rounds[2].push_back(state_job(state, versions, {i}));
        } else {
            auto& bs = scopes[scope];
            if (bs.empty()) {
                bs.emplace_back();
            }
            bs.back().changes.push_back(i);
        }
    }
    for (auto& [_, bs] : scopes) {
        for (size_t i = 0; i < bs.size(); ++i) {
            rounds[i + 1 == bs.size() ? 1 : 0].push_back(
                state_job(state, versions, std::move(bs[i].changes)));
        }
    }
    for (auto& jobs : rounds) {
        if (auto r = run_all(std::move(jobs)); !r) {
            return failed("writing the state", r.error());
        }
    }
    return ok();
}

result<std::optional<cassandra_store::stored_row>> cassandra_store::stored_candle(const model::candle& c) {
    std::vector<cql::value> v{cql::value::text(c.symbol), cql::value::text(c.interval.name()),
                              cql::value::text(internal::candle_bucket(c.interval, c.window_start())),
                              cql::value::timestamp_ms(c.window_start() / 1000)};
    auto pages = read_pages(_st->one_candle, std::move(v), 1);
    if (!pages) {
        return pages.error();
    }
    for (const auto& p : *pages) {
        if (p.size() > 0) {
            auto k = internal::candle_from_row(p.row(0), c.symbol, c.interval);
            if (!k) {
                return k.error();
            }
            auto written = p.row(0).bigint(internal::candle_column_count); // writetime(open)
            if (!written) {
                return written.error();
            }
            return std::optional<stored_row>(stored_row{std::move(*k), written->value_or(0)});
        }
    }
    return std::optional<stored_row>();
}

// Ticks, candles and latest first, then the state: a checkpoint is written
// only once everything it covers is stored.
result<void> cassandra_store::write(const write_batch& b) {
    std::lock_guard lock(_write_mu);
    if (!b.candle_versions.empty() && b.candle_versions.size() != b.candles.size()) {
        return make_error(errc::bad_query, "{} candle versions for {} candles", b.candle_versions.size(),
                          b.candles.size());
    }
    std::vector<job> jobs;
    std::set<std::string> fresh;
    if (auto r = put_ticks(jobs, b.ticks, fresh); !r) {
        return r;
    }
    std::vector<versioned_candle> candles;
    for (size_t i = 0; i < b.candles.size(); ++i) {
        const auto& c = b.candles[i];
        if (!internal::valid_symbol(c.symbol) || c.interval.micros() <= 0) {
            return make_error(errc::bad_query, "a candle of '{}' has an empty symbol or a bad interval",
                              c.symbol);
        }
        if (c.trade_count == 0 && !c.backfilled) {
            auto stored = stored_candle(c);
            if (!stored) {
                return stored.error();
            }
            if (*stored && (*stored)->candle.backfilled) {
                continue; // a filler says less than the vendor's bar
            }
        }
        candles.emplace_back(&c, b.candle_versions.empty() ? 0 : b.candle_versions[i]);
    }
    if (auto r = put_candles(jobs, candles, false, fresh); !r) {
        return r;
    }
    std::vector<std::pair<std::string, std::pair<int64_t, int64_t>>> updates;
    if (auto r = put_latest(jobs, b.latest, updates); !r) {
        return r;
    }
    if (auto r = run_all(std::move(jobs)); !r) {
        return failed("writing ticks and candles", r.error());
    }
    _indexed.merge(fresh);
    for (auto& [symbol, n] : updates) {
        _latest_cache.insert_or_assign(std::move(symbol), n);
    }
    return put_state(b.state, b.state_versions, b.state_groups);
}

// A vendor's bar goes in with a write time just above the row it replaces
// (a filler or an older bar), or at 1 over nothing: a candle built from
// ticks, whatever its version, replaces it later, as in rocks_store.
result<backfill_outcome> cassandra_store::write_backfill(std::span<const model::candle> candles,
                                                         std::span<const state_change> state) {
    std::lock_guard lock(_write_mu);
    backfill_outcome out;
    std::vector<versioned_candle> rows;
    for (const auto& c : candles) {
        if (!internal::valid_symbol(c.symbol) || c.interval.micros() <= 0
            || c.window_start() % c.interval.micros() != 0) {
            return make_error(errc::bad_query,
                              "backfilled candle of '{}' at {} us is not aligned to its interval", c.symbol,
                              c.window_start());
        }
        auto stored = stored_candle(c);
        if (!stored) {
            return stored.error();
        }
        if (*stored && !(*stored)->candle.backfilled && (*stored)->candle.trade_count > 0) {
            ++out.kept_live;
            continue;
        }
        rows.emplace_back(&c, *stored ? (*stored)->written_at + 1 : 1);
        ++out.written;
    }
    std::vector<job> jobs;
    std::set<std::string> fresh;
    if (auto r = put_candles(jobs, rows, true, fresh); !r) {
        return r.error();
    }
    if (auto r = run_all(std::move(jobs)); !r) {
        return failed("writing backfilled candles", r.error());
    }
    _indexed.merge(fresh);
    if (auto r = put_state(state, {}, {}); !r) {
        return r.error();
    }
    return out;
}

} // namespace mdsp::store
