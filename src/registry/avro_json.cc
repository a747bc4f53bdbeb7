#include "registry/avro_json.h"

#include <bit>
#include <cmath>
#include <cstring>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <fmt/format.h>

#include "model/text.h"

namespace mdsp::registry::avro {

namespace {

// Reads one datum; every failure becomes an errc::invalid_data that says
// the byte where it happened.
class reader {
public:
    reader(const schema& s, std::string_view bytes, json_limits limits)
      : _s(s)
      , _p(bytes.data())
      , _begin(bytes.data())
      , _end(bytes.data() + bytes.size())
      , _limits(limits) {}

    result<boost::json::value> datum() {
        boost::json::value v;
        if (!value(_s.root(), 0, v)) {
            return make_error(errc::invalid_data, "{} at byte {}", _why, _p - _begin);
        }
        if (_p != _end) {
            return make_error(errc::invalid_data, "{} bytes left over after the datum, at byte {}", _end - _p,
                              _p - _begin);
        }
        return v;
    }

private:
    bool fail(std::string why) {
        if (_why.empty()) {
            _why = std::move(why);
        }
        return false;
    }

    bool varlong(int64_t& out) {
        uint64_t u = 0;
        for (int shift = 0; shift < 64; shift += 7) {
            if (_p == _end) {
                return fail("truncated varint");
            }
            auto b = static_cast<uint8_t>(*_p++);
            u |= uint64_t(b & 0x7f) << shift;
            if ((b & 0x80) == 0) {
                out = static_cast<int64_t>((u >> 1) ^ (~(u & 1) + 1));
                return true;
            }
        }
        return fail("varint longer than 10 bytes");
    }

    bool take(size_t n, std::string_view& out) {
        if (size_t(_end - _p) < n) {
            return fail(fmt::format("{} bytes wanted, {} left", n, _end - _p));
        }
        out = {_p, n};
        _p += n;
        return true;
    }

    bool length(int64_t& n) {
        if (!varlong(n)) {
            return false;
        }
        if (n < 0) {
            return fail(fmt::format("negative length {}", n));
        }
        if (n > _end - _p) {
            return fail(fmt::format("length {} runs past the {} bytes left", n, _end - _p));
        }
        return true;
    }

    static std::string hex(std::string_view b) {
        std::string s;
        s.reserve(b.size() * 2);
        for (char c : b) {
            fmt::format_to(std::back_inserter(s), "{:02x}", static_cast<uint8_t>(c));
        }
        return s;
    }

    // Counts toward max_values; false once over.
    bool count() {
        if (++_values > _limits.max_values) {
            return fail(fmt::format("more than {} values", _limits.max_values));
        }
        return true;
    }

    // An array's or map's next block count: items in the block, 0 at the end.
    bool block(int64_t& items) {
        if (!varlong(items)) {
            return false;
        }
        if (items < 0) {
            if (items == INT64_MIN) {
                return fail("bad block count");
            }
            items = -items;
            int64_t size = 0;
            if (!length(size)) {
                return false;
            }
        }
        // Every item takes at least one byte except null-typed ones; bound by values.
        if (items > int64_t(_limits.max_values)) {
            return fail(fmt::format("block of {} items", items));
        }
        return true;
    }

    bool value(int type, size_t depth, boost::json::value& out) {
        if (depth > _limits.max_depth) {
            return fail(fmt::format("nested deeper than {}", _limits.max_depth));
        }
        if (!count()) {
            return false;
        }
        const node& n = _s.at(type);
        switch (n.k) {
        case kind::null_type:
            out = nullptr;
            return true;
        case kind::boolean: {
            std::string_view b;
            if (!take(1, b)) {
                return false;
            }
            if (b[0] != 0 && b[0] != 1) {
                return fail("boolean byte is neither 0 nor 1");
            }
            out = b[0] == 1;
            return true;
        }
        case kind::int_type:
        case kind::long_type: {
            int64_t v = 0;
            if (!varlong(v)) {
                return false;
            }
            if (n.k == kind::int_type && (v < INT32_MIN || v > INT32_MAX)) {
                return fail("int out of range");
            }
            out = v;
            return true;
        }
        case kind::float_type: {
            std::string_view b;
            if (!take(4, b)) {
                return false;
            }
            uint32_t u = 0;
            for (int i = 3; i >= 0; --i) {
                u = (u << 8) | static_cast<uint8_t>(b[size_t(i)]);
            }
            return number(std::bit_cast<float>(u), out);
        }
        case kind::double_type: {
            std::string_view b;
            if (!take(8, b)) {
                return false;
            }
            uint64_t u = 0;
            for (int i = 7; i >= 0; --i) {
                u = (u << 8) | static_cast<uint8_t>(b[size_t(i)]);
            }
            return number(std::bit_cast<double>(u), out);
        }
        case kind::bytes:
        case kind::string: {
            int64_t len = 0;
            std::string_view b;
            if (!length(len) || !take(size_t(len), b)) {
                return false;
            }
            if (n.k == kind::bytes) {
                out = boost::json::string(hex(b));
                return true;
            }
            for (std::string_view rest = b; !rest.empty();) {
                size_t l = model::utf8_sequence_length(rest);
                if (l == 0) {
                    return fail("string is not UTF-8");
                }
                rest.remove_prefix(l);
            }
            out = boost::json::string(b);
            return true;
        }
        case kind::fixed: {
            std::string_view b;
            if (!take(size_t(n.size), b)) {
                return false;
            }
            out = boost::json::string(hex(b));
            return true;
        }
        case kind::enumeration: {
            int64_t i = 0;
            if (!varlong(i)) {
                return false;
            }
            if (i < 0 || size_t(i) >= n.symbols.size()) {
                return fail(fmt::format("enum index {} of {} symbols", i, n.symbols.size()));
            }
            out = boost::json::string(n.symbols[size_t(i)]);
            return true;
        }
        case kind::union_type: {
            int64_t i = 0;
            if (!varlong(i)) {
                return false;
            }
            if (i < 0 || size_t(i) >= n.members.size()) {
                return fail(fmt::format("union branch {} of {}", i, n.members.size()));
            }
            return value(n.members[size_t(i)], depth + 1, out);
        }
        case kind::record: {
            boost::json::object o;
            for (const auto& f : n.fields) {
                boost::json::value v;
                if (!value(f.type, depth + 1, v)) {
                    return false;
                }
                o[f.name] = std::move(v);
            }
            out = std::move(o);
            return true;
        }
        case kind::array:
            return array(n, depth, out);
        case kind::map:
            return map(n, depth, out);
        }
        return fail("unknown type");
    }

    bool number(double d, boost::json::value& out) {
        if (std::isfinite(d)) {
            out = d;
        } else {
            out = boost::json::string(std::isnan(d) ? "NaN" : (d > 0 ? "Infinity" : "-Infinity"));
        }
        return true;
    }

    bool array(const node& n, size_t depth, boost::json::value& out) {
        boost::json::array a;
        for (int64_t items = 0;;) {
            if (!block(items)) {
                return false;
            }
            if (items == 0) {
                break;
            }
            for (int64_t i = 0; i < items; ++i) {
                boost::json::value v;
                if (!value(n.items, depth + 1, v)) {
                    return false;
                }
                a.push_back(std::move(v));
            }
        }
        out = std::move(a);
        return true;
    }

    bool map(const node& n, size_t depth, boost::json::value& out) {
        boost::json::object o;
        for (int64_t items = 0;;) {
            if (!block(items)) {
                return false;
            }
            if (items == 0) {
                break;
            }
            for (int64_t i = 0; i < items; ++i) {
                int64_t len = 0;
                std::string_view key;
                if (!length(len) || !take(size_t(len), key)) {
                    return false;
                }
                boost::json::value v;
                if (!value(n.items, depth + 1, v)) {
                    return false;
                }
                o[model::echo_text(key, key.size() * 4 + 4)] = std::move(v);
            }
        }
        out = std::move(o);
        return true;
    }

    const schema& _s;
    const char* _p;
    const char* _begin;
    const char* _end;
    json_limits _limits;
    size_t _values = 0;
    std::string _why;
};

} // namespace

result<boost::json::value> to_json(const schema& s, std::string_view bytes, json_limits limits) {
    return reader(s, bytes, limits).datum();
}

} // namespace mdsp::registry::avro
