#pragma once

// Test-only: one fake Cassandra node that understands exactly the statements
// cassandra_store prepares (recognised by their text) over in-memory tables,
// with paging and write times (USING TIMESTAMP: the newer write wins, a
// deletion is a tombstone), so the store's wiring (value order, buckets,
// tail reads, merge rules, paging, versions) is tested without a JVM. Not a CQL engine: anything
// else is answered with an Invalid error naming the statement.
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "cql/tests/builders.h"
#include "cql/tests/fake_server.h"

namespace mdsp::store::testing {

using cql::type_id;
using cql::testing::cells;
using cql::testing::col;
using cql::testing::fake_server;

class fake_cassandra {
public:
    fake_cassandra()
      : _srv([this](fake_server::session& s, const cql::frame_header& h, const std::string& body) {
          std::lock_guard lock(_mu);
          on_request(s, h, body);
      }) {}
    uint16_t port() const { return _srv.port(); }
    int executes = 0;            // statements executed (batch members each count)
    bool keyspace_exists = true; // false: PREPARE fails as on a cluster without the schema
    int page_size_seen = 0;
    // The text of every QUERY so far, in order.
    std::vector<std::string> queries() {
        std::lock_guard lock(_mu);
        return _queries;
    }
    // The state rows (scope, key) of each request that wrote any, in order:
    // a batch's rows together.
    std::vector<std::vector<std::pair<std::string, std::string>>> state_requests() {
        std::lock_guard lock(_mu);
        return _state_requests;
    }
    // A state row as an earlier version may have left it.
    void put_state_row(const std::string& scope, const std::string& key, const std::string& value) {
        std::lock_guard lock(_mu);
        _state[{scope, key}] = {++_clock, value};
    }

private:
    enum class kind {
        insert_tick,
        insert_candle,
        insert_candle_at,
        insert_latest,
        insert_candle_bucket,
        insert_tick_day,
        put_state,
        put_state_at,
        put_state_if_absent,
        delete_state,
        delete_state_at,
        load_state,
        one_candle,
        candles_asc,
        candles_desc,
        candle_buckets,
        ticks_asc,
        ticks_desc,
        tick_days,
        latest_all,
        latest_one,
        symbols
    };
    struct stmt {
        kind k;
        std::vector<col> result;
    };

    static std::vector<col> candle_cols() {
        return {{"window_start", type_id::timestamp},
                {"open", type_id::double_},
                {"high", type_id::double_},
                {"low", type_id::double_},
                {"close", type_id::double_},
                {"volume", type_id::double_},
                {"vwap", type_id::double_},
                {"trade_count", type_id::bigint},
                {"f", type_id::bigint},
                {"l", type_id::bigint},
                {"final", type_id::boolean},
                {"revision", type_id::bigint},
                {"backfilled", type_id::boolean},
                {"spike", type_id::boolean}};
    }
    static std::vector<col> tick_cols(bool with_symbol) {
        std::vector<col> c{
            {"event_time", type_id::bigint}, {"seq", type_id::bigint},     {"source", type_id::varchar},
            {"exchange", type_id::varchar},  {"mic", type_id::varchar},    {"asset", type_id::varchar},
            {"currency", type_id::varchar},  {"ingest", type_id::bigint},  {"price", type_id::double_},
            {"size", type_id::double_},      {"dv", type_id::double_},     {"bid", type_id::double_},
            {"ask", type_id::double_},       {"trade_id", type_id::bigint}};
        if (with_symbol) {
            c.insert(c.begin(), {"symbol", type_id::varchar});
        }
        return c;
    }

    static std::optional<stmt> classify(const std::string& q) {
        auto has = [&](const char* s) { return q.find(s) != std::string::npos; };
        const bool at = has("USING TIMESTAMP");
        if (has("INSERT INTO") && has(".ticks ")) {
            return stmt{kind::insert_tick, {}};
        }
        if (has("INSERT INTO") && has(".candles ")) {
            return stmt{at ? kind::insert_candle_at : kind::insert_candle, {}};
        }
        if (has("INSERT INTO") && has(".latest ")) {
            return stmt{kind::insert_latest, {}};
        }
        if (has("INSERT INTO") && has(".candle_buckets")) {
            return stmt{kind::insert_candle_bucket, {}};
        }
        if (has("INSERT INTO") && has(".tick_days")) {
            return stmt{kind::insert_tick_day, {}};
        }
        if (has("INSERT INTO") && has(".state") && has("IF NOT EXISTS")) {
            return stmt{kind::put_state_if_absent,
                        {{"[applied]", type_id::boolean}, {"value", type_id::blob}}};
        }
        if (has("INSERT INTO") && has(".state")) {
            return stmt{at ? kind::put_state_at : kind::put_state, {}};
        }
        if (has("DELETE FROM") && has(".state")) {
            return stmt{at ? kind::delete_state_at : kind::delete_state, {}};
        }
        if (has("SELECT key, value")) {
            return stmt{kind::load_state, {{"key", type_id::blob}, {"value", type_id::blob}}};
        }
        if (has(".candles WHERE") && has("window_start = ?")) {
            auto cols = candle_cols();
            cols.push_back({"writetime(open)", type_id::bigint});
            return stmt{kind::one_candle, cols};
        }
        if (has(".candles WHERE")) {
            return stmt{has("DESC") ? kind::candles_desc : kind::candles_asc, candle_cols()};
        }
        if (has("SELECT bucket")) {
            return stmt{kind::candle_buckets, {{"bucket", type_id::varchar}}};
        }
        if (has(".ticks WHERE")) {
            return stmt{has("DESC") ? kind::ticks_desc : kind::ticks_asc, tick_cols(false)};
        }
        if (has("SELECT day")) {
            return stmt{kind::tick_days, {{"day", type_id::date}}};
        }
        if (has("SELECT symbol FROM")) {
            return stmt{kind::symbols, {{"symbol", type_id::varchar}}};
        }
        if (has(".latest WHERE")) {
            return stmt{kind::latest_one, tick_cols(true)};
        }
        if (has(".latest")) {
            return stmt{kind::latest_all, tick_cols(true)};
        }
        return std::nullopt;
    }

    static int64_t be(const std::optional<std::string>& v) {
        uint64_t x = 0;
        for (char c : v.value_or("")) {
            x = x << 8 | uint8_t(c);
        }
        return int64_t(x);
    }

    void on_request(fake_server::session& s, const cql::frame_header& h, const std::string& body) {
        using cql::opcode;
        if (h.op == opcode::register_) {
            return s.reply(h.stream, opcode::ready, "");
        }
        auto q = cql::testing::parse_request(h, body);
        if (h.op == opcode::query) {
            return answer_query(s, h, q);
        }
        if (h.op == opcode::prepare && !keyspace_exists) {
            return s.reply(h.stream, opcode::error,
                           cql::testing::error_body(0x2200, "Keyspace 'market' does not exist"));
        }
        if (h.op == opcode::prepare) {
            auto st = classify(q.text);
            if (!st) {
                return s.reply(h.stream, opcode::error, cql::testing::error_body(0x2200, "fake: " + q.text));
            }
            _stmts.push_back(*st);
            std::string id = "S" + std::to_string(_stmts.size() - 1);
            return s.reply(h.stream, opcode::result,
                           cql::testing::prepared_body(s.version(), id, {}, {}, st->result));
        }
        if (h.op == opcode::execute) {
            auto i = std::stoul(q.id.substr(1));
            return run(s, h.stream, _stmts[i], q.values, q.page_size, q.paging_state);
        }
        if (h.op == opcode::batch) {
            cql::internal::reader r(body);
            r.u8("type");
            size_t n = r.u16("n");
            _state_requests.emplace_back();
            _in_batch = true;
            for (size_t i = 0; i < n && r.ok(); ++i) {
                r.u8("kind");
                auto id = std::string(r.short_bytes("id"));
                size_t nv = r.u16("nv");
                std::vector<std::optional<std::string>> vals;
                for (size_t j = 0; j < nv; ++j) {
                    auto v = r.bytes("v");
                    vals.push_back(v ? std::optional<std::string>(std::string(*v)) : std::nullopt);
                }
                apply(_stmts[std::stoul(id.substr(1))], vals);
            }
            _in_batch = false;
            if (_state_requests.back().empty()) {
                _state_requests.pop_back();
            }
            return s.reply(h.stream, opcode::result, cql::testing::void_body());
        }
    }

    void answer_query(fake_server::session& s, const cql::frame_header& h, const cql::testing::request& q) {
        using cql::opcode;
        _queries.push_back(q.text);
        if (q.text.find("schema_version") != std::string::npos) {
            bool local = q.text.find("system.local") != std::string::npos;
            std::vector<cells> rows;
            if (local) {
                rows.push_back({std::string(16, 'v')});
            }
            std::vector<col> cols{{"schema_version", type_id::uuid}};
            if (!local) {
                cols.insert(cols.begin(), col{"peer", type_id::inet});
            }
            return s.reply(h.stream, opcode::result, cql::testing::rows_body(cols, rows));
        }
        if (q.text.find("system.local") != std::string::npos) {
            return s.reply(
                h.stream, opcode::result,
                cql::testing::rows_body({{"data_center", type_id::varchar}}, {{std::string("dc1")}}));
        }
        if (q.text.find("system.peers") != std::string::npos) {
            return s.reply(h.stream, opcode::result, cql::testing::rows_body({{"peer", type_id::inet}}, {}));
        }
        if (q.text.rfind("CREATE", 0) == 0 || q.text.rfind("ALTER", 0) == 0) {
            return s.reply(h.stream, opcode::result, cql::testing::void_body());
        }
        s.reply(h.stream, opcode::error,
                cql::testing::error_body(0x2200, "fake: unexpected query " + q.text));
    }

    // Writes; reads return their rows.
    std::vector<cells> apply(const stmt& st, const std::vector<std::optional<std::string>>& v) {
        ++executes;
        std::vector<cells> out;
        auto text = [&](size_t i) { return v.at(i).value_or(""); };
        switch (st.k) {
        case kind::insert_tick:
            _ticks[{text(0), text(1)}][{be(v[2]), be(v[3])}] = cells(v.begin() + 2, v.end());
            break;
        case kind::insert_candle:
        case kind::insert_candle_at: {
            const bool at = st.k == kind::insert_candle_at;
            auto& row = _candles[{text(0), text(1), text(2)}][be(v[3])];
            int64_t ts = at ? be(v.back()) : ++_clock;
            if (row.first <= ts) {
                row = {ts, cells(v.begin() + 3, at ? v.end() - 1 : v.end())};
            }
            break;
        }
        case kind::insert_latest: {
            auto& row = _latest[text(0)];
            int64_t ts = be(v.back());
            if (row.first <= ts) {
                row = {ts, cells(v.begin(), v.end() - 1)};
            }
            break;
        }
        case kind::insert_candle_bucket:
            _candle_buckets[{text(0), text(1)}].insert(text(2));
            break;
        case kind::insert_tick_day:
            _tick_days[text(0)].insert(text(1));
            break;
        case kind::put_state:
        case kind::put_state_at:
        case kind::delete_state:
        case kind::delete_state_at: {
            const bool del = st.k == kind::delete_state || st.k == kind::delete_state_at;
            const bool at = st.k == kind::put_state_at || st.k == kind::delete_state_at;
            const size_t k = del && at ? 1 : 0; // DELETE USING TIMESTAMP ? WHERE scope = ? AND key = ?
            int64_t ts = !at ? ++_clock : be(del ? v[0] : v.back());
            auto& cell = _state[{text(k), text(k + 1)}];
            if (!_in_batch) {
                _state_requests.emplace_back();
            }
            _state_requests.back().emplace_back(text(k), text(k + 1));
            if (cell.first <= ts) {
                cell = {ts, del ? std::nullopt : std::optional<std::string>(text(k + 2))};
            }
            break;
        }
        case kind::put_state_if_absent: {
            // Cassandra answers with [applied] and, when not, the row there.
            auto& cell = _state[{text(0), text(1)}];
            const bool applied = !cell.second;
            if (applied) {
                cell = {++_clock, text(2)};
            }
            out.push_back({std::string(1, applied ? '\x01' : '\x00'), *cell.second});
            break;
        }
        case kind::load_state:
            for (auto it = _state.lower_bound({text(0), text(1)});
                 it != _state.end() && it->first.first == text(0) && it->first.second < text(2); ++it) {
                if (it->second.second) {
                    out.push_back({it->first.second, *it->second.second});
                }
            }
            break;
        case kind::one_candle: {
            auto& part = _candles[{text(0), text(1), text(2)}];
            if (auto it = part.find(be(v[3])); it != part.end()) {
                out.push_back(it->second.second);
                std::string ts(8, '\0');
                for (int b = 0; b < 8; ++b) {
                    ts[size_t(b)] = char(uint64_t(it->second.first) >> (56 - 8 * b));
                }
                out.back().push_back(ts);
            }
            break;
        }
        case kind::candles_asc:
        case kind::candles_desc: {
            auto& part = _candles[{text(0), text(1), text(2)}];
            for (auto it = part.lower_bound(be(v[3])); it != part.end() && it->first < be(v[4]); ++it) {
                out.push_back(it->second.second);
            }
            if (st.k == kind::candles_desc) {
                std::reverse(out.begin(), out.end());
            }
            out.resize(std::min<size_t>(out.size(), size_t(be(v[5]))));
            break;
        }
        case kind::candle_buckets:
            for (const auto& b : _candle_buckets[{text(0), text(1)}]) {
                out.push_back({b});
            }
            break;
        case kind::ticks_asc:
        case kind::ticks_desc: {
            auto& part = _ticks[{text(0), text(1)}];
            for (const auto& [k, row] : part) {
                if (k.first >= be(v[2]) && k.first < be(v[3])) {
                    out.push_back(row);
                }
            }
            if (st.k == kind::ticks_desc) {
                std::reverse(out.begin(), out.end());
            }
            out.resize(std::min<size_t>(out.size(), size_t(be(v[4]))));
            break;
        }
        case kind::tick_days:
            for (const auto& d : _tick_days[text(0)]) {
                out.push_back({d});
            }
            break;
        case kind::latest_all:
        case kind::latest_one:
        case kind::symbols:
            for (const auto& [sym, row] : _latest) {
                if (st.k == kind::latest_one && sym != text(0)) {
                    continue;
                }
                out.push_back(st.k == kind::symbols ? cells{sym} : row.second);
            }
            break;
        }
        return out;
    }

    // Runs a statement and answers with a page of its rows (offset paging).
    void run(fake_server::session& s, int16_t stream, const stmt& st,
             const std::vector<std::optional<std::string>>& v, std::optional<int32_t> page_size,
             const std::optional<std::string>& paging_state) {
        auto rows = apply(st, v);
        if (st.result.empty()) {
            return s.reply(stream, cql::opcode::result, cql::testing::void_body());
        }
        page_size_seen = page_size.value_or(0);
        size_t from = paging_state ? std::stoul(*paging_state) : 0;
        size_t n = page_size ? size_t(*page_size) : rows.size();
        std::vector<cells> page(rows.begin() + std::min(from, rows.size()),
                                rows.begin() + std::min(from + n, rows.size()));
        std::optional<std::string> next;
        if (from + n < rows.size()) {
            next = std::to_string(from + n);
        }
        // Rows go without metadata, as the store's EXECUTEs ask (skip_metadata).
        s.reply(stream, cql::opcode::result, cql::testing::rows_body(st.result, page, next, true, true));
    }

    std::mutex _mu;
    std::vector<std::string> _queries;
    std::vector<stmt> _stmts;
    std::map<std::pair<std::string, std::string>, std::map<std::pair<int64_t, int64_t>, cells>> _ticks;
    int64_t _clock = 1'000'000'000'000'000; // write times without USING TIMESTAMP: "now", always later
    std::map<std::tuple<std::string, std::string, std::string>, std::map<int64_t, std::pair<int64_t, cells>>>
        _candles; // (write time, row) by window
    // (scope, key): (write time, value or a tombstone)
    std::map<std::pair<std::string, std::string>, std::pair<int64_t, std::optional<std::string>>> _state;
    std::map<std::string, std::pair<int64_t, cells>> _latest;
    std::vector<std::vector<std::pair<std::string, std::string>>> _state_requests;
    bool _in_batch = false;
    std::map<std::pair<std::string, std::string>, std::set<std::string>> _candle_buckets;
    std::map<std::string, std::set<std::string>> _tick_days;
    fake_server _srv; // last: its thread stops before the tables go
};

} // namespace mdsp::store::testing
