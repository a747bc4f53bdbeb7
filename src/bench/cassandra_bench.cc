// `mdsp bench --only cassandra`: the store over a real Apache Cassandra (one
// node started here with tests/cluster/cassandra_cluster.py, or the cluster
// of --cassandra).
//
// a. Candle and tick upserts per second through cassandra_store::write, as
//    the processing stage writes them, beside the DataStax Python driver's
//    execute_concurrent_with_args on the very same prepared INSERTs and the
//    same rows in the same run. Each client writes into a fresh keyspace of
//    the store's schema: into one, the second client would overwrite the
//    first's rows instead of writing new ones.
// b. The whole cluster path with both JVMs running: ingest -> Kafka ->
//    process -> Cassandra, ticks per second, and ingest -> readable latency
//    at a fixed rate (the Kafka phase's rig, kafka_rig.h, with this store).
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <optional>
#include <span>
#include <type_traits>

#include <boost/json.hpp>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include "bench/bench.h"
#include "bench/cassandra_tools.h"
#include "bench/kafka_rig.h"
#include "cql/uri.h"
#include "pipeline/errc.h"
#include "store/cassandra.h"
// The store's own rows and statement texts, so that the Python driver binds
// exactly what the store sends, not a bench-only copy.
#include "store/internal/cassandra_rows.h"

namespace mdsp::bench {

namespace {

constexpr size_t upsert_candles = 200'000;
constexpr size_t upsert_ticks = 500'000;
constexpr size_t path_ticks = 1'000'000;
constexpr size_t python_concurrency = 256; // the store's max_parallel

// The Cassandra of the run: a node started here, or the cluster of
// --cassandra; the keyspaces the bench made there, dropped at the end.
struct cassandra_rig {
    cassandra_paths paths = cassandra_paths::find();
    std::optional<local_cassandra> local;
    cql::session_options session;
    std::string base; // of the bench's keyspaces: <base>_<pid>_<what>
    std::string replication;
    std::vector<std::string> keyspaces;

    std::string keyspace(std::string_view what) const {
        return fmt::format("{}_{}_{}", base, getpid(), what);
    }

    // A store on a fresh keyspace <base>_<pid>_<what> (schema applied).
    result<std::unique_ptr<store::cassandra_store>> open(std::string_view what, size_t batch_rows = 0) {
        store::cassandra_options o;
        o.session = session;
        o.keyspace = keyspace(what);
        o.apply_schema = true;
        o.replication = replication;
        if (batch_rows > 0) {
            o.batch_rows = batch_rows;
        }
        keyspaces.push_back(o.keyspace);
        return store::cassandra_store::open(std::move(o));
    }

    store_opener opener(std::string what) {
        return [this, what](const std::string&) -> result<std::unique_ptr<store::store>> {
            auto st = open(what);
            if (!st) {
                return st.error();
            }
            return std::unique_ptr<store::store>(std::move(*st));
        };
    }

    // Drops the keyspace of a phase once it is done, so that the next phase
    // does not also pay for its memtable flushes and compactions.
    void drop(const std::string& what) { drop_keyspaces({keyspace(what)}); }
    void drop_all() { drop_keyspaces(keyspaces); }

    void drop_keyspaces(std::vector<std::string> gone) {
        if (gone.empty()) {
            return;
        }
        cql::session s(session);
        if (auto r = s.start(); !r) {
            spdlog::warn("bench cassandra: cannot drop the keyspaces {}: {}", fmt::join(gone, ", "),
                         r.error().what());
            return;
        }
        for (const auto& ks : gone) {
            if (auto r = s.query_sync(fmt::format("DROP KEYSPACE IF EXISTS {}", ks)); !r) {
                spdlog::warn("bench cassandra: DROP KEYSPACE {}: {}", ks, r.error().what());
            }
            std::erase(keyspaces, ks);
        }
    }
};

// The 1-minute load average: on a shared machine, what the figures ran beside.
double load_average() {
    double l = -1;
    if (std::FILE* f = std::fopen("/proc/loadavg", "r")) {
        if (std::fscanf(f, "%lf", &l) != 1) {
            l = -1;
        }
        std::fclose(f);
    }
    return l;
}

result<void> open_cassandra(const config& cfg, const std::string& uri, cassandra_rig& c) {
    std::string u = uri;
    const char* pw = std::getenv("MDSP_CASSANDRA_PASSWORD");
    int64_t t0 = mono_nanos();
    if (uri.empty()) {
        auto dir = std::filesystem::path(cfg.data_dir) / fmt::format("bench-cassandra-cluster-{}", getpid());
        auto lc = local_cassandra::start(c.paths, dir.string());
        if (!lc) {
            return lc.error();
        }
        c.local.emplace(std::move(*lc));
        u = fmt::format("cassandra://{}/mdsp_bench", c.local->contact_point());
        pw = nullptr;
    }
    auto parsed = cql::parse_cluster_uri(u, pw != nullptr ? pw : "");
    if (!parsed) {
        return make_error(pipeline::errc::bad_setting, "--cassandra: {}", parsed.error().what());
    }
    c.session = parsed->options;
    c.base = parsed->keyspace.substr(0, 24);
    // One node holds one copy; a cluster of the user's, what its keyspaces get.
    c.replication =
        c.local ? "{'class': 'SimpleStrategy', 'replication_factor': 1}" : cfg.store.cassandra_replication;
    std::string version = "?";
    {
        cql::session s(c.session);
        if (auto r = s.start(); !r) {
            return make_error(pipeline::errc::io_error, "Cassandra at {}: {}", u, r.error().what());
        }
        auto rel = s.query_sync("SELECT release_version FROM system.local");
        if (rel && rel->rows.size() == 1) {
            if (auto v = rel->rows.row(0).text(0); v && *v) {
                version = **v;
            }
        }
    }
    if (c.local) {
        std::printf(
            "cassandra Apache Cassandra %s, 1 node started with %s in %.1f s (%s); load average %.1f\n",
            version.c_str(), c.paths.tool.c_str(), seconds_since(t0), c.local->contact_point().c_str(),
            load_average());
    } else {
        std::printf(
            "cassandra Apache Cassandra %s at %s (--cassandra); keyspaces %s_%d_*, dropped at the end; load "
            "average %.1f\n",
            version.c_str(), fmt::format("{}", fmt::join(c.session.contact_points, ",")).c_str(),
            c.base.c_str(), static_cast<int>(getpid()), load_average());
    }
    return ok();
}

// --- a. Upserts -------------------------------------------------------------

// Candles of the bench symbols over the engine's intervals, consecutive
// windows each, as the engine emits them (trades in each, final); versions
// as the processing stage gives them on a shared store: growing.
struct candle_rows {
    std::vector<model::candle> candles;
    std::vector<int64_t> versions;
};

candle_rows make_candles(const std::vector<model::interval>& intervals, size_t n) {
    candle_rows out;
    const int64_t t0 = 1'700'000'000'000'000;
    const size_t per_round = bench_symbols.size() * intervals.size();
    for (size_t i = 0; i < n; ++i) {
        const auto& iv = intervals[(i / bench_symbols.size()) % intervals.size()];
        const auto w = static_cast<int64_t>(i / per_round);
        model::candle c;
        c.symbol = bench_symbols[i % bench_symbols.size()];
        c.interval = iv;
        c.window_start = mdsp::event_time(iv.window_start(t0) + w * iv.micros());
        c.open = 100.0 + static_cast<double>(i % 97) / 10;
        c.high = c.open + 1.25;
        c.low = c.open - 0.75;
        c.close = c.open + 0.5;
        c.volume = 10.0 + static_cast<double>(i % 13);
        c.vwap = c.open + 0.25;
        c.trade_count = 1 + static_cast<int64_t>(i % 50);
        c.first_event_time = mdsp::event_time(c.window_start());
        c.last_event_time = mdsp::event_time(c.window_start() + iv.micros() - 1);
        c.final = true;
        out.candles.push_back(std::move(c));
        out.versions.push_back(static_cast<int64_t>(1'000'000 + i));
    }
    return out;
}

// The ticks the cluster path sends (produce_ticks): event times 100 us apart.
std::vector<model::tick> make_ticks(size_t n) {
    tick_maker tm;
    std::vector<model::tick> out;
    out.reserve(n);
    for (size_t i = 0; i < n; ++i) {
        out.push_back(tm.next(1'700'000'000'000'000 + static_cast<int64_t>(i) * 100));
    }
    return out;
}

// A bound value as the Python driver takes it, read back from the bytes the
// store would send: date as days since 1970, timestamp as ms, unset as {}.
boost::json::value to_json(const cql::value& v, cql::type_id type) {
    if (v.kind() == cql::value::state::null) {
        return nullptr;
    }
    if (v.kind() == cql::value::state::unset) {
        return boost::json::object{};
    }
    const auto& b = v.bytes();
    auto be = [&b] {
        uint64_t u = 0;
        for (unsigned char ch : b) {
            u = (u << 8) | ch;
        }
        return u;
    };
    switch (type) {
    case cql::type_id::bigint:
    case cql::type_id::counter:
    case cql::type_id::timestamp:
        return static_cast<int64_t>(be());
    case cql::type_id::int_:
        return static_cast<int32_t>(static_cast<uint32_t>(be()));
    case cql::type_id::date:
        return static_cast<int64_t>(be()) - (int64_t{1} << 31);
    case cql::type_id::double_: {
        uint64_t u = be();
        double d = 0;
        std::memcpy(&d, &u, sizeof d);
        return d;
    }
    case cql::type_id::boolean:
        return !b.empty() && b[0] != 0;
    default:
        return boost::json::string(b);
    }
}

// Rows as JSON lines, each value typed by the statement's bind metadata.
result<void> write_rows(const std::filesystem::path& file, const cql::prepared& stmt,
                        const std::function<std::vector<cql::value>(size_t)>& row, size_t n) {
    std::ofstream out(file);
    const auto& cols = stmt.bind.columns;
    for (size_t i = 0; i < n; ++i) {
        auto values = row(i);
        if (values.size() != cols.size()) {
            return make_error(pipeline::errc::io_error, "{} values for the {} bind variables of `{}`",
                              values.size(), cols.size(), stmt.cql);
        }
        boost::json::array a;
        for (size_t k = 0; k < values.size(); ++k) {
            a.push_back(to_json(values[k], cols[k].type.id));
        }
        out << boost::json::serialize(a) << '\n';
    }
    if (!out.flush()) {
        return make_error(pipeline::errc::io_error, "cannot write {}", file.string());
    }
    return ok();
}

// Seconds mdsp takes to write all the rows, per_write rows a write().
template<typename Row>
result<double> timed_writes(store::cassandra_store& st, const std::vector<Row>& rows,
                            const std::vector<int64_t>* versions, size_t per_write) {
    int64_t t0 = mono_nanos();
    for (size_t i = 0; i < rows.size(); i += per_write) {
        size_t n = std::min(per_write, rows.size() - i);
        std::span<const Row> part(rows.data() + i, n);
        store::write_batch b;
        if constexpr (std::is_same_v<Row, model::tick>) {
            b.ticks = part;
        } else {
            b.candles = part;
            b.candle_versions = std::span<const int64_t>(versions->data() + i, n);
        }
        if (auto r = st.write(b); !r) {
            return r.error();
        }
    }
    return seconds_since(t0);
}

struct upsert_figures {
    double candles_s = 0, ticks_s = 0, candles_one_s = 0, ticks_one_s = 0; // mdsp's seconds for all the rows
    std::optional<result<python_figures>> python;
    std::optional<result<size_t>> checked; // rows read back equal from both clients' keyspaces
};

// The Python driver's side: its keyspace, the same rows as JSON lines.
result<python_figures> python_side(cassandra_rig& c, const candle_rows& cr,
                                   const std::vector<model::tick>& ticks, const std::string& dir,
                                   double seconds) {
    auto st = c.open("py"); // the schema, and the session's statements checked
    if (!st) {
        return st.error();
    }
    st->reset();
    python_spec spec;
    spec.session = c.session;
    spec.keyspace = c.keyspace("py");
    spec.concurrency = python_concurrency;
    spec.seconds = seconds;
    cql::session s(c.session);
    if (auto r = s.start(); !r) {
        return r.error();
    }
    const std::string candle_cql = store::internal::insert_candle_cql(spec.keyspace, true);
    const std::string tick_cql = store::internal::insert_tick_cql(spec.keyspace);
    auto pc = s.prepare_sync(candle_cql);
    auto pt = s.prepare_sync(tick_cql);
    if (!pc || !pt) {
        return (!pc ? pc.error() : pt.error());
    }
    const size_t nc = std::min(cr.candles.size(), spec.max_rows);
    const size_t nt = std::min(ticks.size(), spec.max_rows);
    auto cf = std::filesystem::path(dir) / "candles.jsonl";
    auto tf = std::filesystem::path(dir) / "ticks.jsonl";
    auto candle_row = [&](size_t i) {
        auto v = store::internal::candle_values(cr.candles[i]);
        v.push_back(cql::value::bigint(cr.versions[i]));
        return v;
    };
    auto tick_row = [&](size_t i) { return store::internal::tick_values(ticks[i], true); };
    if (auto r = write_rows(cf, **pc, candle_row, nc); !r) {
        return r.error();
    }
    if (auto r = write_rows(tf, **pt, tick_row, nt); !r) {
        return r.error();
    }
    spec.jobs = {{"candles", candle_cql, cf.string()}, {"ticks", tick_cql, tf.string()}};
    return run_python_driver(c.paths, spec, dir);
}

// The first rows of a partition as two keyspaces hold them, cell by cell:
// both clients stored the same rows. select(ks) is the query of keyspace
// ks; the number of rows compared.
result<size_t> same_rows(cql::session& s, const std::function<std::string(const std::string&)>& select,
                         const std::string& ks_a, const std::string& ks_b,
                         const std::vector<cql::value>& key) {
    std::vector<cql::result_message> got;
    for (const auto& ks : {ks_a, ks_b}) {
        auto r = s.query_sync(select(ks), key);
        if (!r) {
            return r.error();
        }
        got.push_back(std::move(*r));
    }
    const auto& a = got[0].rows;
    const auto& b = got[1].rows;
    if (a.size() != b.size() || a.size() == 0) {
        return make_error(pipeline::errc::io_error, "`{}`: {} rows, {} in {}", select(ks_a), a.size(),
                          b.size(), ks_b);
    }
    for (size_t i = 0; i < a.size(); ++i) {
        for (size_t k = 0; k < static_cast<size_t>(a.meta.column_count); ++k) {
            auto x = a.row(i).raw(k);
            auto y = b.row(i).raw(k);
            if (!x || !y || *x != *y) {
                return make_error(pipeline::errc::io_error, "`{}`: row {} column {} differs in {}",
                                  select(ks_a), i, k, ks_b);
            }
        }
    }
    return a.size();
}

// Candles with their write time (both clients give it: USING TIMESTAMP);
// ticks without (the server's clock gives theirs).
result<size_t> check_same_rows(cassandra_rig& c, const candle_rows& cr, const model::tick& t) {
    cql::session s(c.session);
    if (auto r = s.start(); !r) {
        return r.error();
    }
    const auto& k = cr.candles.front();
    auto candles = same_rows(
        s,
        [](const std::string& ks) {
            return fmt::format(
                "SELECT symbol, interval, bucket, {}, writetime(open) FROM {}.candles WHERE symbol = "
                "? AND interval = ? AND bucket = ? LIMIT 200",
                store::internal::candle_columns, ks);
        },
        c.keyspace("mdsp"), c.keyspace("py"),
        {cql::value::text(k.symbol), cql::value::text(k.interval.name()),
         cql::value::text(store::internal::candle_bucket(k.interval, k.window_start()))});
    if (!candles) {
        return candles.error();
    }
    auto ticks = same_rows(
        s,
        [](const std::string& ks) {
            return fmt::format("SELECT symbol, day, {} FROM {}.ticks WHERE symbol = ? AND day = ? LIMIT 200",
                               store::internal::tick_columns, ks);
        },
        c.keyspace("mdsp"), c.keyspace("py"),
        {cql::value::text(t.symbol), cql::value::date(store::internal::tick_day(t.event_time()))});
    if (!ticks) {
        return ticks.error();
    }
    return *candles + *ticks;
}

// Python first, on a node that has only the warm-up's rows: whatever
// flushes and compactions the runs leave behind fall on mdsp's runs.
result<upsert_figures> upserts(const config& cfg, cassandra_rig& c, const candle_rows& cr,
                               const std::vector<model::tick>& ticks, const std::string& dir,
                               double seconds) {
    const auto per_write = static_cast<size_t>(std::max<int64_t>(cfg.process.max_batch, 1));
    upsert_figures f;
    {
        // Warm the node's JIT up first, untimed, in a keyspace of its own.
        auto warm = c.open("warm");
        if (!warm) {
            return warm.error();
        }
        std::vector<model::candle> wc(cr.candles.begin(),
                                      cr.candles.begin() + std::min<size_t>(20'000, cr.candles.size()));
        std::vector<model::tick> wt(ticks.begin(), ticks.begin() + std::min<size_t>(50'000, ticks.size()));
        if (auto r = timed_writes(**warm, wc, &cr.versions, per_write); !r) {
            return r.error();
        }
        if (auto r = timed_writes(**warm, wt, nullptr, per_write); !r) {
            return r.error();
        }
    }
    f.python = python_side(c, cr, ticks, dir, seconds);
    auto st = c.open("mdsp");
    if (!st) {
        return st.error();
    }
    auto cs = timed_writes(**st, cr.candles, &cr.versions, per_write);
    if (!cs) {
        return cs.error();
    }
    auto ts = timed_writes(**st, ticks, nullptr, per_write);
    if (!ts) {
        return ts.error();
    }
    st->reset();
    auto one = c.open("mdsp1", 1);
    if (!one) {
        return one.error();
    }
    auto oc = timed_writes(**one, cr.candles, &cr.versions, per_write);
    if (!oc) {
        return oc.error();
    }
    auto os = timed_writes(**one, ticks, nullptr, per_write);
    if (!os) {
        return os.error();
    }
    one->reset();
    f.candles_one_s = *oc;
    f.candles_s = *cs;
    f.ticks_s = *ts;
    f.ticks_one_s = *os;
    if (*f.python) {
        f.checked = check_same_rows(c, cr, ticks.front());
    }
    return f;
}

const char* met(bool yes) {
    return yes ? "met" : "NOT met";
}

// The stage's store writes: how many ticks each carried and how long each took.
std::string writes(uint64_t ticks, uint64_t n, double seconds) {
    const double d = n > 0 ? static_cast<double>(n) : 1;
    return fmt::format("{} store writes of {:.0f} ticks, {:.0f} ms each", n, static_cast<double>(ticks) / d,
                       seconds * 1000 / d);
}

void print_upserts(const upsert_figures& f, size_t nc, size_t nt, size_t per_write) {
    const double mc = static_cast<double>(nc) / f.candles_s;
    const double mt = static_cast<double>(nt) / f.ticks_s;
    const double mo = static_cast<double>(nt) / f.ticks_one_s;
    const double mco = static_cast<double>(nc) / f.candles_one_s;
    std::printf(
        "          upserts into one node at LOCAL_QUORUM, the store's prepared INSERTs, the same rows "
        "(%zu candles: 10 symbols x intervals; %zu ticks), each client into a fresh keyspace:\n",
        nc, nt);
    std::printf("                                                                 candles/s     ticks/s\n");
    std::printf("            mdsp cassandra_store::write, %zu rows a write          %9.0f   %9.0f\n",
                per_write, mc, mt);
    std::printf(
        "              (unlogged batches of up to 50 rows of one partition; candles USING TIMESTAMP)\n");
    std::printf("            mdsp, one request a row (batch_rows=1)                 %9.0f   %9.0f\n", mco,
                mo);
    if (!*f.python) {
        std::printf("            DataStax Python driver: not measured: %s\n",
                    f.python->error().what().c_str());
        return;
    }
    const auto& p = **f.python;
    auto pc = p.jobs.count("candles") ? p.jobs.at("candles") : python_figures::job{};
    auto pt = p.jobs.count("ticks") ? p.jobs.at("ticks") : python_figures::job{};
    std::printf("            DataStax Python driver %s, execute_concurrent_with_args %9.0f   %9.0f\n",
                p.driver.c_str(), pc.rows_per_s(), pt.rows_per_s());
    std::printf("              (concurrency %zu, %s, protocol v%d, token-aware; %lld candles in %.1f s, %lld "
                "ticks in %.1f s)\n",
                python_concurrency, p.connection.c_str(), p.protocol_version, static_cast<long long>(pc.rows),
                pc.seconds, static_cast<long long>(pt.rows), pt.seconds);
    if (pc.rows_per_s() <= 0 || pt.rows_per_s() <= 0) {
        return;
    }
    const double rc = mc / pc.rows_per_s();
    const double rt = mt / pt.rows_per_s();
    std::printf(
        "            ratio mdsp/Python                                          %9.1f   %9.1f   (goal >= 10: "
        "candles %s, ticks %s)\n",
        rc, rt, met(rc >= 10), met(rt >= 10));
    std::printf("            ratio mdsp one request a row/Python                    %9.1f   %9.1f\n",
                mco / pc.rows_per_s(), mo / pt.rows_per_s());
    if (f.checked && *f.checked) {
        std::printf(
            "            (the same rows: %zu read back from both clients' keyspaces, equal cell by cell, "
            "write times included)\n",
            **f.checked);
    } else if (f.checked) {
        std::printf("            the rows differ between the clients' keyspaces: %s\n",
                    f.checked->error().what().c_str());
    }
}

// --- b. The cluster path ------------------------------------------------------

result<void> cluster_path(const config& cfg, cassandra_rig& cas, const std::string& kafka, double seconds,
                          double rate) {
    bench_cluster c;
    if (auto r = open_cluster(cfg, kafka, c); !r) {
        return r;
    }
    std::printf(
        "          the cluster path, Kafka and Cassandra both running (the store on a fresh keyspace; "
        "process.max_batch=%lld, commit_interval=%.0f ms, store_ticks=%s):\n",
        static_cast<long long>(cfg.process.max_batch),
        static_cast<double>(cfg.process.commit_interval_us) / 1000.0,
        cfg.process.store_ticks ? "true" : "false");
    std::printf("                                                                 ticks/s\n");
    // librdkafka's mock keeps at most 100,000 records a partition (see the kafka phase).
    const size_t n = c.mock ? 400'000 : path_ticks;
    auto e2e = stage_phase(cfg, c, stage_run{"cass-e2e", n, true}, cas.opener("e2e"));
    if (!e2e) {
        return e2e.error();
    }
    cas.drop("e2e");
    std::printf(
        "            ingest -> Kafka -> process -> Cassandra, at once  %9.0f   (%llu ticks in %.1f s, "
        "the producer done after %.1f s; %s; goal >= 300000: %s)\n",
        e2e->ticks_per_s(), static_cast<unsigned long long>(e2e->done), e2e->seconds, e2e->produce_s,
        writes(e2e->done, e2e->store_writes, e2e->store_write_s).c_str(), met(e2e->ticks_per_s() >= 300'000));
    auto backlog = stage_phase(cfg, c, stage_run{"cass-stage", n, false}, cas.opener("stage"));
    if (!backlog) {
        return backlog.error();
    }
    cas.drop("stage");
    std::printf(
        "            Kafka backlog -> process -> Cassandra             %9.0f   (%llu ticks in %.1f s, "
        "the group join's %.1f s included; %s; the backlog went in at %.0f ticks/s)\n",
        backlog->ticks_per_s(), static_cast<unsigned long long>(backlog->done), backlog->seconds,
        backlog->join_s, writes(backlog->done, backlog->store_writes, backlog->store_write_s).c_str(),
        static_cast<double>(n) / backlog->produce_s);
    std::printf(
        "            ingest -> Kafka -> readable in Cassandra:  offered  written/s    p50 ms    p99 ms  "
        "p99.9 ms\n");
    // The rate, then a fifth of it: below saturation the figures
    // are the path's latency, not a queue's.
    for (double r : {rate, rate / 5}) {
        auto lat = latency_phase(cfg, c, fmt::format("cass-lat{:.0f}", r), seconds, r,
                                 cas.opener(fmt::format("lat{:.0f}", r)));
        if (!lat) {
            return lat.error();
        }
        std::printf(
            "                                                     %7.0f  %9.0f %9.1f %9.1f %9.1f   (%zu "
            "ticks; %s; %s; goal p99 <= 50 ms: %s)\n",
            r, lat->written_per_s, lat->p50_ms, lat->p99_ms, lat->p999_ms, lat->ticks,
            writes(lat->written, lat->store_writes, lat->store_write_s).c_str(),
            cores_busy(lat->machine_busy).c_str(), met(lat->p99_ms <= 50));
        cas.drop(fmt::format("lat{:.0f}", r));
    }
    std::printf(
        "              (readable: the store's write of the tick was acknowledged at LOCAL_QUORUM; each "
        "rate measured after a %.0f s warm-up at it)\n",
        latency_warmup_s);
    if (!c.local && !c.mock) {
        std::printf("            (the bench's topics %s* stay on the Kafka cluster)\n", c.prefix.c_str());
    }
    return ok();
}

} // namespace

int bench_cassandra(const config& cfg, const std::string& cassandra, const std::string& kafka, double seconds,
                    double rate) {
    cassandra_rig c;
    if (auto r = open_cassandra(cfg, cassandra, c); !r) {
        spdlog::error("bench cassandra: {}", r.error().what());
        return 1;
    }
    auto dir = std::filesystem::path(cfg.data_dir) / fmt::format("bench-cassandra-{}", getpid());
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    const auto cr = make_candles(cfg.engine.intervals, upsert_candles);
    const auto ticks = make_ticks(upsert_ticks);
    auto f = upserts(cfg, c, cr, ticks, dir.string(), seconds);
    result<void> r = ok();
    if (f) {
        print_upserts(*f, cr.candles.size(), ticks.size(),
                      static_cast<size_t>(std::max<int64_t>(cfg.process.max_batch, 1)));
        c.drop_all(); // their flushes and compactions would run during the cluster path
        r = cluster_path(cfg, c, kafka, seconds, rate);
    } else {
        r = f.error();
    }
    if (!r) {
        spdlog::error("bench cassandra: {}", r.error().what());
    }
    if (!c.local) {
        c.drop_all(); // a node of the bench's own goes with everything on it
    }
    std::filesystem::remove_all(dir);
    return r ? 0 : 1;
}

} // namespace mdsp::bench
