#include "http/json.h"

#include <cmath>

#include <boost/json.hpp>
#include <fmt/format.h>

#include "model/text.h"

namespace mdsp::http {

namespace {

void write_string(std::string& out, std::string_view s) {
    out += '"';
    for (size_t i = 0; i < s.size();) {
        const char c = s[i];
        const auto u = static_cast<unsigned char>(c);
        if (u >= 0x80) {
            const size_t n = model::utf8_sequence_length(s.substr(i));
            if (n == 0) {
                out += "\\ufffd";
                ++i;
            } else {
                out.append(s.substr(i, n));
                i += n;
            }
            continue;
        }
        ++i;
        switch (c) {
        case '"':
            out += "\\\"";
            break;
        case '\\':
            out += "\\\\";
            break;
        case '\n':
            out += "\\n";
            break;
        case '\r':
            out += "\\r";
            break;
        case '\t':
            out += "\\t";
            break;
        default:
            if (u < 0x20) {
                fmt::format_to(std::back_inserter(out), "\\u{:04x}", u);
            } else {
                out += c;
            }
        }
    }
    out += '"';
}

void write(std::string& out, const boost::json::value& v) {
    switch (v.kind()) {
    case boost::json::kind::null:
        out += "null";
        break;
    case boost::json::kind::bool_:
        out += v.get_bool() ? "true" : "false";
        break;
    case boost::json::kind::int64:
        fmt::format_to(std::back_inserter(out), "{}", v.get_int64());
        break;
    case boost::json::kind::uint64:
        fmt::format_to(std::back_inserter(out), "{}", v.get_uint64());
        break;
    case boost::json::kind::double_: {
        double d = v.get_double();
        if (!std::isfinite(d)) {
            out += "null";
        } else if (d == 0 && std::signbit(d)) {
            out += "-0.0"; // "-0" would read back as the integer 0
        } else {
            fmt::format_to(std::back_inserter(out), "{}", d);
        }
        break;
    }
    case boost::json::kind::string:
        write_string(out, v.get_string());
        break;
    case boost::json::kind::array: {
        out += '[';
        bool first = true;
        for (const auto& e : v.get_array()) {
            if (!first) {
                out += ',';
            }
            first = false;
            write(out, e);
        }
        out += ']';
        break;
    }
    case boost::json::kind::object: {
        out += '{';
        bool first = true;
        for (const auto& kv : v.get_object()) {
            if (!first) {
                out += ',';
            }
            first = false;
            write_string(out, kv.key());
            out += ':';
            write(out, kv.value());
        }
        out += '}';
        break;
    }
    }
}

} // namespace

std::string echo_input(std::string_view s, size_t max_bytes) {
    return model::echo_text(s, max_bytes);
}

std::string to_json(const boost::json::value& v) {
    std::string out;
    write(out, v);
    return out;
}

} // namespace mdsp::http
