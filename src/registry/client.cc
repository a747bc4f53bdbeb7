#include "registry/client.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include "model/schemas.h"

namespace mdsp::registry {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace json = boost::json;

namespace {

constexpr size_t max_answer_bytes = 2 << 20;

// Percent-encodes a path segment: everything but unreserved characters.
std::string encode_segment(std::string_view s) {
    static constexpr char hex[] = "0123456789ABCDEF";
    std::string out;
    for (unsigned char c : s) {
        if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_'
            || c == '.' || c == '~') {
            out.push_back(static_cast<char>(c));
        } else {
            out.push_back('%');
            out.push_back(hex[c >> 4]);
            out.push_back(hex[c & 15]);
        }
    }
    return out;
}

} // namespace

result<client> client::create(std::string_view url, std::chrono::milliseconds timeout) {
    auto bad = [&](std::string_view why) {
        return make_error(errc::bad_url,
                          "schema registry URL '{}': {}; write http://HOST:PORT, e.g. http://127.0.0.1:8081",
                          url, why);
    };
    constexpr std::string_view scheme = "http://";
    if (!url.starts_with(scheme)) {
        return bad(url.starts_with("https://") ? "https is not supported yet" : "it must start with http://");
    }
    std::string_view rest = url.substr(scheme.size());
    auto slash = rest.find('/');
    std::string_view authority = rest.substr(0, slash);
    std::string_view path = slash == std::string_view::npos ? std::string_view{} : rest.substr(slash);
    while (!path.empty() && path.back() == '/') {
        path.remove_suffix(1);
    }
    if (authority.empty() || authority.find('@') != std::string_view::npos) {
        return bad(authority.empty() ? "no host" : "credentials in the URL are not supported");
    }
    client c;
    c._timeout = timeout;
    c._base = std::string(path);
    auto colon = authority.rfind(':');
    if (colon != std::string_view::npos && authority.find(']') == std::string_view::npos) {
        auto p = authority.substr(colon + 1);
        unsigned port = 0;
        if (p.empty() || p.size() > 5) {
            return bad("bad port");
        }
        for (char ch : p) {
            if (ch < '0' || ch > '9') {
                return bad("bad port");
            }
            port = port * 10 + static_cast<unsigned>(ch - '0');
        }
        if (port == 0 || port > 65535) {
            return bad("bad port");
        }
        c._port = static_cast<uint16_t>(port);
        c._host = std::string(authority.substr(0, colon));
    } else {
        c._host = std::string(authority);
    }
    if (c._host.empty()) {
        return bad("no host");
    }
    return c;
}

result<client::reply> client::call(std::string_view method, const std::string& target,
                                   const std::string& body) const {
    asio::io_context ioc;
    beast::tcp_stream stream(ioc);
    beast::error_code ec;
    asio::ip::tcp::resolver resolver(ioc);
    auto where = fmt::format("http://{}:{}", _host, _port);
    auto endpoints = resolver.resolve(_host, std::to_string(_port), ec);
    if (ec) {
        return make_error(errc::unreachable, "cannot resolve the schema registry {}: {}", where,
                          ec.message());
    }
    stream.expires_after(_timeout);
    stream.connect(endpoints, ec);
    if (ec) {
        return make_error(errc::unreachable,
                          "cannot connect to the schema registry at {}: {}; is it running?", where,
                          ec.message());
    }
    bhttp::request<bhttp::string_body> req(bhttp::string_to_verb(method), _base + target, 11);
    req.set(bhttp::field::host, _host);
    req.set(bhttp::field::accept, "application/vnd.schemaregistry.v1+json, application/json");
    req.set(bhttp::field::connection, "close");
    if (!body.empty()) {
        req.set(bhttp::field::content_type, "application/vnd.schemaregistry.v1+json");
        req.body() = body;
    }
    req.prepare_payload();
    bhttp::write(stream, req, ec);
    if (ec) {
        return make_error(errc::unreachable, "sending to the schema registry at {} failed: {}", where,
                          ec.message());
    }
    beast::flat_buffer buf;
    bhttp::response_parser<bhttp::string_body> parser;
    parser.body_limit(max_answer_bytes);
    bhttp::read(stream, buf, parser, ec);
    if (ec) {
        return make_error(errc::unreachable, "reading the answer of the schema registry at {} failed: {}",
                          where, ec.message());
    }
    beast::error_code ignored;
    stream.socket().shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
    auto res = parser.release();
    reply r{res.result_int(), std::move(res.body())};
    if (r.status < 200 || r.status > 299) {
        std::error_code jec;
        auto v = json::parse(r.body, jec);
        std::string detail = r.body.substr(0, 300);
        if (!jec && v.is_object() && v.get_object().if_contains("message")
            && v.get_object().at("message").is_string()) {
            auto* code = v.get_object().if_contains("error_code");
            detail = fmt::format("error_code {}: {}", code ? json::serialize(*code) : "?",
                                 std::string_view(v.get_object().at("message").get_string()).substr(0, 1000));
        }
        return make_error(errc::refused, "the schema registry at {} answered {} {} with HTTP {}, {}", where,
                          method, _base + target, r.status, detail);
    }
    return r;
}

result<int32_t> client::id_from(std::string_view method, const std::string& target,
                                std::string_view schema) const {
    auto r = call(method, target, json::serialize(json::object{{"schema", schema}}));
    if (!r) {
        return r.error();
    }
    std::error_code ec;
    auto v = json::parse(r->body, ec);
    const json::value* id = !ec && v.is_object() ? v.get_object().if_contains("id") : nullptr;
    if (!id || !id->is_int64() || id->get_int64() < 1 || id->get_int64() > INT32_MAX) {
        return make_error(errc::bad_response,
                          "the schema registry answered {} {} with '{}', not {{\"id\":N}}", method, target,
                          r->body.substr(0, 200));
    }
    return static_cast<int32_t>(id->get_int64());
}

result<int32_t> client::register_schema(std::string_view subject, std::string_view schema) const {
    return id_from("POST", "/subjects/" + encode_segment(subject) + "/versions", schema);
}

result<int32_t> client::lookup(std::string_view subject, std::string_view schema) const {
    return id_from("POST", "/subjects/" + encode_segment(subject), schema);
}

result<std::string> client::schema_by_id(int32_t id) const {
    auto r = call("GET", "/schemas/ids/" + std::to_string(id), {});
    if (!r) {
        return r.error();
    }
    std::error_code ec;
    auto v = json::parse(r->body, ec);
    const json::value* s = !ec && v.is_object() ? v.get_object().if_contains("schema") : nullptr;
    if (!s || !s->is_string()) {
        return make_error(errc::bad_response,
                          "the schema registry answered schema {} with '{}', not {{\"schema\":..}}", id,
                          r->body.substr(0, 200));
    }
    return std::string(s->get_string());
}

result<model_schema_ids> register_model_schemas(const client& c) {
    model_schema_ids ids;
    struct one {
        const char* subject;
        std::string_view schema;
        int32_t* id;
    };
    for (const auto& o : {one{"market.ticks-value", model::tick_schema(), &ids.tick},
                          one{"market.candles-value", model::candle_schema(), &ids.candle},
                          one{"market.deadletter-value", model::dead_letter_schema(), &ids.dead_letter}}) {
        auto id = c.register_schema(o.subject, o.schema);
        if (!id) {
            return id.error();
        }
        *o.id = *id;
    }
    return ids;
}

} // namespace mdsp::registry
