#include "cql/uri.h"

#include <charconv>

namespace mdsp::cql {

namespace {
std::vector<std::string_view> split(std::string_view s, char sep) {
    std::vector<std::string_view> out;
    size_t start = 0;
    while (true) {
        size_t at = s.find(sep, start);
        out.push_back(s.substr(start, at == std::string_view::npos ? std::string_view::npos : at - start));
        if (at == std::string_view::npos) {
            return out;
        }
        start = at + 1;
    }
}

result<bool> parse_bool(std::string_view key, std::string_view v) {
    if (v == "true" || v == "1" || v == "yes") {
        return true;
    }
    if (v == "false" || v == "0" || v == "no") {
        return false;
    }
    return make_error(errc::invalid_argument, "the Cassandra URI's {} must be true or false, got '{}'", key,
                      v);
}

result<void> apply_param(cluster_uri& out, std::string_view key, std::string_view v) {
    auto& o = out.options;
    if (key == "dc") {
        o.local_dc = std::string(v);
    } else if (key == "user") {
        o.conn.auth = o.conn.auth.value_or(credentials{});
        o.conn.auth->user = std::string(v);
    } else if (key == "tls") {
        auto b = parse_bool(key, v);
        if (!b) {
            return b.error();
        }
        o.conn.tls.enabled = *b;
    } else if (key == "ca_file") {
        o.conn.tls.ca_file = std::string(v);
        o.conn.tls.enabled = true;
    } else if (key == "compression") {
        if (v != "lz4" && v != "none") {
            return make_error(errc::invalid_argument,
                              "the Cassandra URI's compression must be lz4 or none, got '{}'", v);
        }
        o.conn.lz4 = v == "lz4";
    } else if (key == "protocol_version") {
        if (v == "4" || v == "5") {
            o.conn.protocol_version = protocol(v[0] - '0');
        } else if (v == "auto") {
            o.conn.protocol_version.reset();
        } else {
            return make_error(
                errc::invalid_argument,
                "the Cassandra URI's protocol_version must be 4, 5 or auto (v5, falling back to "
                "v4 on servers without it), got '{}'",
                v);
        }
    } else if (key == "password") {
        return make_error(errc::invalid_argument,
                          "a password does not belong in the Cassandra URI (it would show in process lists "
                          "and logs); set MDSP_CASSANDRA_PASSWORD instead");
    } else {
        return make_error(errc::invalid_argument,
                          "unknown Cassandra URI parameter '{}' (known: dc, user, tls, ca_file, compression, "
                          "protocol_version)",
                          key);
    }
    return ok();
}
} // namespace

bool valid_keyspace_name(std::string_view name) {
    if (name.empty() || name.size() > 48 || name[0] == '_') {
        return false;
    }
    for (char c : name) {
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
        if (!ok) {
            return false;
        }
    }
    return true;
}

result<cluster_uri> parse_cluster_uri(std::string_view uri, std::string_view password) {
    constexpr std::string_view scheme = "cassandra://";
    if (uri.substr(0, scheme.size()) != scheme) {
        return make_error(errc::invalid_argument,
                          "a Cassandra store is named cassandra://host1,host2:9042/keyspace, got '{}'", uri);
    }
    uri.remove_prefix(scheme.size());
    std::string_view query;
    if (auto q = uri.find('?'); q != std::string_view::npos) {
        query = uri.substr(q + 1);
        uri = uri.substr(0, q);
    }
    cluster_uri out;
    auto slash = uri.find('/');
    std::string_view hosts = uri.substr(0, slash);
    out.keyspace = slash == std::string_view::npos ? "" : std::string(uri.substr(slash + 1));
    if (!valid_keyspace_name(out.keyspace)) {
        return make_error(
            errc::invalid_argument,
            "the Cassandra URI needs a keyspace after the hosts (cassandra://host:9042/market); "
            "'{}' is not a valid keyspace name",
            out.keyspace);
    }
    out.options.contact_points.clear();
    uint16_t port = 9042;
    auto parts = split(hosts, ',');
    // Ports apply backwards: "h1,h2:9142" puts both on 9142.
    for (auto it = parts.rbegin(); it != parts.rend(); ++it) {
        auto h = *it;
        auto colon = h.rfind(':');
        if (colon != std::string_view::npos && h.find(':') == colon) {
            int p = 0;
            auto ps = h.substr(colon + 1);
            auto [end, ec] = std::from_chars(ps.data(), ps.data() + ps.size(), p);
            if (ec != std::errc() || end != ps.data() + ps.size() || p <= 0 || p > 65535) {
                return make_error(errc::invalid_argument, "bad port '{}' in the Cassandra URI", ps);
            }
            port = uint16_t(p);
            h = h.substr(0, colon);
        }
        if (h.empty()) {
            return make_error(errc::invalid_argument, "an empty host in the Cassandra URI's host list");
        }
        out.options.contact_points.insert(out.options.contact_points.begin(),
                                          std::string(h) + ":" + std::to_string(port));
    }
    out.options.port = port;
    for (auto kv : split(query, '&')) {
        if (kv.empty()) {
            continue;
        }
        auto eq = kv.find('=');
        auto r = apply_param(out, kv.substr(0, eq), eq == std::string_view::npos ? "" : kv.substr(eq + 1));
        if (!r) {
            return r.error();
        }
    }
    if (out.options.conn.auth) {
        out.options.conn.auth->password = std::string(password);
    }
    return out;
}

} // namespace mdsp::cql
