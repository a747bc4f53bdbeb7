#include "registry/internal/exact_json.h"

#include <charconv>
#include <cmath>
#include <cstdint>
#include <string>

#include <boost/json/basic_parser_impl.hpp>
#include <boost/json/value_stack.hpp>

namespace mdsp::registry::internal {

namespace {

namespace json = boost::json;
using json::error_code;
using json::string_view;

// The handler of json::basic_parser that builds a value on a value_stack,
// as json::parser does, but reads doubles from their text.
struct exact_handler {
    static constexpr std::size_t max_object_size = json::object::max_size();
    static constexpr std::size_t max_array_size = json::array::max_size();
    static constexpr std::size_t max_key_size = json::string::max_size();
    static constexpr std::size_t max_string_size = json::string::max_size();

    json::value_stack st;
    std::string number; // the text of the number being read

    bool on_document_begin(error_code&) { return true; }
    bool on_document_end(error_code&) { return true; }
    bool on_array_begin(error_code&) { return true; }
    bool on_array_end(std::size_t n, error_code&) {
        st.push_array(n);
        return true;
    }
    bool on_object_begin(error_code&) { return true; }
    bool on_object_end(std::size_t n, error_code&) {
        st.push_object(n);
        return true;
    }
    bool on_string_part(string_view s, std::size_t, error_code&) {
        st.push_chars(s);
        return true;
    }
    bool on_string(string_view s, std::size_t, error_code&) {
        st.push_string(s);
        return true;
    }
    bool on_key_part(string_view s, std::size_t, error_code&) {
        st.push_chars(s);
        return true;
    }
    bool on_key(string_view s, std::size_t, error_code&) {
        st.push_key(s);
        return true;
    }
    bool on_number_part(string_view s, error_code&) {
        number.append(s.data(), s.size());
        return true;
    }
    bool on_int64(int64_t i, string_view, error_code&) {
        number.clear();
        st.push_int64(i);
        return true;
    }
    bool on_uint64(uint64_t u, string_view, error_code&) {
        number.clear();
        st.push_uint64(u);
        return true;
    }
    bool on_double(double d, string_view s, error_code& ec) {
        number.append(s.data(), s.size());
        double exact = 0;
        auto [end, err] = std::from_chars(number.data(), number.data() + number.size(), exact);
        number.clear();
        const double v = err == std::errc() ? exact : d; // d: what underflows, as Boost.JSON reads it
        if (!std::isfinite(v)) {
            // 1e400: json::parse makes it infinity, which serializes as
            // "Infinity", which is not JSON.
            ec = json::error::exponent_overflow;
            return false;
        }
        st.push_double(v);
        return true;
    }
    bool on_bool(bool b, error_code&) {
        st.push_bool(b);
        return true;
    }
    bool on_null(error_code&) {
        st.push_null();
        return true;
    }
    bool on_comment_part(string_view, error_code&) { return true; }
    bool on_comment(string_view, error_code&) { return true; }
};

} // namespace

json::value parse_exact(std::string_view text, std::error_code& ec, const json::parse_options& options) {
    json::basic_parser<exact_handler> p(options);
    p.handler().st.reset();
    error_code bec;
    const std::size_t n = p.write_some(false, text.data(), text.size(), bec);
    if (!bec && n < text.size()) {
        bec = json::error::extra_data;
    }
    if (bec) {
        ec = bec;
        return nullptr;
    }
    ec.clear();
    return p.handler().st.release();
}

} // namespace mdsp::registry::internal
