// ERROR (section 4.2.1, codes in v4 section 9 and v5 section 8): the body
// with its extras, and the mapping of CQL error codes to cql::errc.
#include <fmt/format.h>

#include "cql/internal/wire.h"
#include "cql/messages.h"

namespace mdsp::cql {

errc errc_of_server_code(int32_t code) noexcept {
    switch (code) {
    case 0x0000:
        return errc::server_error;
    case 0x000A:
        return errc::protocol_error;
    case 0x0100:
        return errc::bad_credentials;
    case 0x1000:
        return errc::unavailable;
    case 0x1001:
        return errc::overloaded;
    case 0x1002:
        return errc::is_bootstrapping;
    case 0x1003:
        return errc::truncate_error;
    case 0x1100:
        return errc::write_timeout;
    case 0x1200:
        return errc::read_timeout;
    case 0x1300:
        return errc::read_failure;
    case 0x1400:
        return errc::function_failure;
    case 0x1500:
        return errc::write_failure;
    case 0x1600:
        return errc::cdc_write_failure;
    case 0x1700:
        return errc::cas_write_unknown;
    case 0x2000:
        return errc::syntax_error;
    case 0x2100:
        return errc::unauthorized;
    case 0x2200:
        return errc::invalid;
    case 0x2300:
        return errc::config_error;
    case 0x2400:
        return errc::already_exists;
    case 0x2500:
        return errc::unprepared;
    default:
        return errc::unknown_server_error;
    }
}

namespace {
// v5's <reasonmap>: an [int] n, then n pairs of an [inetaddr] and a [short]
// reason code (each at least 1 + 4 + 2 bytes, so n is bounded by the body).
void read_reasons(internal::reader& r, server_error& e) {
    size_t n = r.count32(7, "reasonmap");
    e.reasons.reserve(n);
    for (size_t i = 0; i < n && r.ok(); ++i) {
        auto addr = r.inetaddr("reasonmap endpoint");
        auto code = r.u16("reasonmap failure code");
        e.reasons.emplace_back(std::move(addr), code);
    }
    e.num_failures = int32_t(n);
}
} // namespace

result<server_error> decode_error(std::string_view body, protocol v) {
    internal::reader r(body);
    server_error e;
    e.code = r.i32("error code");
    e.message = std::string(r.string("error message"));
    auto cl = [&] { e.cl = consistency(r.u16("consistency")); };
    auto failures = [&] {
        if (v == protocol::v4) {
            e.num_failures = r.i32("numfailures");
        } else {
            read_reasons(r, e);
        }
    };
    switch (e.code) {
    case 0x1000: // Unavailable
        cl();
        e.required = r.i32("required");
        e.alive = r.i32("alive");
        break;
    case 0x1100: // Write_timeout
        cl();
        e.received = r.i32("received");
        e.block_for = r.i32("blockfor");
        e.write_type = std::string(r.string("writeType"));
        if (v != protocol::v4 && e.write_type == "CAS" && r.remaining() >= 2) {
            e.contentions = r.u16("contentions");
        }
        break;
    case 0x1200: // Read_timeout
        cl();
        e.received = r.i32("received");
        e.block_for = r.i32("blockfor");
        e.data_present = r.u8("data_present") != 0;
        break;
    case 0x1300: // Read_failure
        cl();
        e.received = r.i32("received");
        e.block_for = r.i32("blockfor");
        failures();
        e.data_present = r.u8("data_present") != 0;
        break;
    case 0x1400: // Function_failure
        e.keyspace = std::string(r.string("keyspace"));
        e.function = std::string(r.string("function"));
        e.arg_types = r.string_list("arg_types");
        break;
    case 0x1500: // Write_failure
        cl();
        e.received = r.i32("received");
        e.block_for = r.i32("blockfor");
        failures();
        e.write_type = std::string(r.string("writeType"));
        break;
    case 0x1700: // CAS_write_unknown (v5)
        cl();
        e.received = r.i32("received");
        e.block_for = r.i32("blockfor");
        break;
    case 0x2400: // Already_exists
        e.keyspace = std::string(r.string("keyspace"));
        e.table = std::string(r.string("table"));
        break;
    case 0x2500: // Unprepared
        e.unprepared_id = std::string(r.short_bytes("unprepared id"));
        break;
    default:
        break;
    }
    if (!r.ok()) {
        return r.error("ERROR");
    }
    return e;
}

namespace {
// The replicas that failed: v5 names them and their reason codes, v4 counts them.
std::string failures_text(const server_error& e) {
    if (e.reasons.empty()) {
        return fmt::format("{} failed", e.num_failures);
    }
    constexpr size_t shown = 8;
    std::string out = "failed on";
    for (size_t i = 0; i < e.reasons.size() && i < shown; ++i) {
        out += fmt::format("{} {} (reason 0x{:04x})", i == 0 ? "" : ",", e.reasons[i].first,
                           e.reasons[i].second);
    }
    if (e.reasons.size() > shown) {
        out += fmt::format(" and {} more", e.reasons.size() - shown);
    }
    return out;
}
} // namespace

mdsp::error to_error(const server_error& e) {
    auto code = errc_of_server_code(e.code);
    std::string cl = e.cl ? std::string(to_string(*e.cl)) : std::string();
    switch (code) {
    case errc::unavailable:
        return make_error(code, "Cassandra: {} (consistency {}: {} replicas required, {} alive)", e.message,
                          cl, e.required, e.alive);
    case errc::write_timeout:
    case errc::cas_write_unknown:
        return make_error(code, "Cassandra: {} (consistency {}, {} of {} replicas answered{}{})", e.message,
                          cl, e.received, e.block_for, e.write_type.empty() ? "" : ", write type ",
                          e.write_type);
    case errc::write_failure:
        return make_error(code,
                          "Cassandra: {} (consistency {}, {} of {} replicas answered, {}, write type {})",
                          e.message, cl, e.received, e.block_for, failures_text(e), e.write_type);
    case errc::read_timeout:
        return make_error(code, "Cassandra: {} (consistency {}, {} of {} replicas answered, data {})",
                          e.message, cl, e.received, e.block_for, e.data_present ? "present" : "missing");
    case errc::read_failure:
        return make_error(code, "Cassandra: {} (consistency {}, {} of {} replicas answered, {}, data {})",
                          e.message, cl, e.received, e.block_for, failures_text(e),
                          e.data_present ? "present" : "missing");
    case errc::already_exists:
        return make_error(code, "Cassandra: {} ({}{}{})", e.message, e.keyspace, e.table.empty() ? "" : ".",
                          e.table);
    case errc::bad_credentials:
        return make_error(code,
                          "Cassandra refused the credentials: {} (check the user name and "
                          "MDSP_CASSANDRA_PASSWORD)",
                          e.message);
    case errc::unknown_server_error:
        return make_error(code, "Cassandra error 0x{:04x}: {}", e.code, e.message);
    default:
        return make_error(code, "Cassandra: {}", e.message);
    }
}

} // namespace mdsp::cql
