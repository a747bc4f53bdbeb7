#include "registry/avro_schema.h"

#include <array>
#include <limits>
#include <map>
#include <set>
#include <utility>

#include <boost/json/error.hpp>
#include <boost/json/parse_options.hpp>
#include <boost/json/serialize.hpp>

#include "registry/internal/exact_json.h"

namespace mdsp::registry::avro {

namespace json = boost::json;

namespace {

constexpr std::array<std::pair<std::string_view, kind>, 8> primitives{{
    {"null", kind::null_type},
    {"boolean", kind::boolean},
    {"int", kind::int_type},
    {"long", kind::long_type},
    {"float", kind::float_type},
    {"double", kind::double_type},
    {"bytes", kind::bytes},
    {"string", kind::string},
}};

std::optional<kind> primitive(std::string_view name) {
    for (const auto& [n, k] : primitives) {
        if (n == name) {
            return k;
        }
    }
    return std::nullopt;
}

bool valid_name_part(std::string_view s) {
    if (s.empty()) {
        return false;
    }
    auto alpha = [](char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_'; };
    if (!alpha(s[0])) {
        return false;
    }
    for (char c : s) {
        if (!alpha(c) && !(c >= '0' && c <= '9')) {
            return false;
        }
    }
    return true;
}

// "a.b.C" with every part a valid name; empty is the null namespace.
bool valid_namespace(std::string_view s) {
    if (s.empty()) {
        return true;
    }
    size_t start = 0;
    while (true) {
        auto dot = s.find('.', start);
        if (!valid_name_part(s.substr(start, dot == std::string_view::npos ? dot : dot - start))) {
            return false;
        }
        if (dot == std::string_view::npos) {
            return true;
        }
        start = dot + 1;
    }
}

std::string_view namespace_of(std::string_view fullname) {
    auto dot = fullname.rfind('.');
    return dot == std::string_view::npos ? std::string_view{} : fullname.substr(0, dot);
}

std::string qualify(std::string_view name, std::string_view ns) {
    if (name.find('.') != std::string_view::npos || ns.empty()) {
        return std::string(name);
    }
    return std::string(ns) + "." + std::string(name);
}

} // namespace

std::string_view unqualified(std::string_view fullname) {
    auto dot = fullname.rfind('.');
    return dot == std::string_view::npos ? fullname : fullname.substr(dot + 1);
}

std::string_view kind_name(kind k) {
    switch (k) {
    case kind::record:
        return "record";
    case kind::enumeration:
        return "enum";
    case kind::array:
        return "array";
    case kind::map:
        return "map";
    case kind::fixed:
        return "fixed";
    case kind::union_type:
        return "union";
    default:
        for (const auto& [n, pk] : primitives) {
            if (pk == k) {
                return n;
            }
        }
    }
    return "?";
}

struct parser {
    std::vector<node>& nodes;

    static node of(kind k, std::string fullname = {}, std::vector<std::string> aliases = {}) {
        node n;
        n.k = k;
        n.fullname = std::move(fullname);
        n.aliases = std::move(aliases);
        return n;
    }
    std::map<std::string, int, std::less<>> named;

    template<typename... Args>
    static mdsp::error bad(fmt::format_string<Args...> f, Args&&... args) {
        return make_error(errc::invalid_schema, f, std::forward<Args>(args)...);
    }

    result<int> add(node n) {
        if (nodes.size() >= max_types) {
            return make_error(errc::too_large, "more than {} types in one schema", max_types);
        }
        nodes.push_back(std::move(n));
        return static_cast<int>(nodes.size() - 1);
    }

    // A name attribute with the enclosing namespace: the fullname, checked.
    result<std::string> full_name(const json::object& o, std::string_view enclosing,
                                  const std::string& path) {
        auto* n = o.if_contains("name");
        if (!n || !n->is_string()) {
            return bad("{}: a named type needs a string \"name\"", path);
        }
        std::string_view name = n->get_string();
        std::string ns(enclosing);
        if (auto* nsv = o.if_contains("namespace")) {
            if (!nsv->is_string() && !nsv->is_null()) {
                return bad("{}: \"namespace\" must be a string", path);
            }
            ns = nsv->is_string() ? std::string(nsv->get_string()) : std::string();
        }
        std::string full = qualify(name, ns);
        if (!valid_namespace(namespace_of(full)) || !valid_name_part(unqualified(full))) {
            return bad("{}: '{}' is not a valid Avro name (letters, digits and _, not starting with a digit)",
                       path, full);
        }
        if (primitive(full)) {
            return bad("{}: '{}' is a primitive type and cannot be redefined", path, full);
        }
        if (named.contains(full)) {
            return bad("{}: the type '{}' is defined twice", path, full);
        }
        return full;
    }

    result<std::vector<std::string>> aliases(const json::object& o, std::string_view ns,
                                             const std::string& path) {
        std::vector<std::string> out;
        auto* a = o.if_contains("aliases");
        if (!a) {
            return out;
        }
        if (!a->is_array()) {
            return bad("{}: \"aliases\" must be an array of names", path);
        }
        for (const auto& v : a->get_array()) {
            if (!v.is_string() || !valid_namespace(v.get_string())) {
                return bad("{}: \"aliases\" must be an array of valid names", path);
            }
            out.push_back(qualify(v.get_string(), ns));
        }
        return out;
    }

    result<int> type(const json::value& v, const std::string& ns, const std::string& path, size_t depth) {
        if (depth > max_depth) {
            return make_error(errc::too_large, "{}: types nested deeper than {}", path, max_depth);
        }
        if (v.is_string()) {
            std::string_view s = v.get_string();
            if (auto p = primitive(s)) {
                return add(of(*p));
            }
            for (const auto& candidate : {qualify(s, ns), std::string(s)}) {
                if (auto it = named.find(candidate); it != named.end()) {
                    return it->second;
                }
            }
            return bad("{}: unknown type '{}' (named types must be defined before they are used)", path, s);
        }
        if (v.is_array()) {
            return union_type(v.get_array(), ns, path, depth);
        }
        if (!v.is_object()) {
            return bad("{}: a type is a name, an object or an array (a union), not {}", path,
                       json::serialize(v).substr(0, 40));
        }
        const auto& o = v.get_object();
        auto* t = o.if_contains("type");
        if (!t) {
            return bad("{}: the type object has no \"type\"", path);
        }
        if (!t->is_string()) {
            // {"type": {...}} or {"type": [...]}: the attribute holds the type itself.
            return type(*t, ns, path + "/type", depth + 1);
        }
        std::string_view tn = t->get_string();
        if (auto p = primitive(tn)) {
            return add(of(*p)); // logicalType and other attributes do not change resolution
        }
        if (tn == "record" || tn == "error") {
            return record(o, ns, path, depth);
        }
        if (tn == "enum") {
            return enumeration(o, ns, path);
        }
        if (tn == "fixed") {
            auto full = full_name(o, ns, path);
            if (!full) {
                return full.error();
            }
            auto* sz = o.if_contains("size");
            if (!sz || !sz->is_int64() || sz->get_int64() < 0
                || sz->get_int64() > std::numeric_limits<int32_t>::max()) {
                return bad("{}: fixed '{}' needs a \"size\" between 0 and 2^31-1", path, *full);
            }
            auto al = aliases(o, namespace_of(*full), path);
            if (!al) {
                return al.error();
            }
            node n = of(kind::fixed, *full, std::move(*al));
            n.size = sz->get_int64();
            auto i = add(std::move(n));
            if (i) {
                named.emplace(*full, *i);
            }
            return i;
        }
        if (tn == "array" || tn == "map") {
            const char* attr = tn == "array" ? "items" : "values";
            auto* inner = o.if_contains(attr);
            if (!inner) {
                return bad("{}: {} needs \"{}\"", path, tn, attr);
            }
            auto i = add(of(tn == "array" ? kind::array : kind::map));
            if (!i) {
                return i;
            }
            auto it = type(*inner, ns, path + "/" + attr, depth + 1);
            if (!it) {
                return it;
            }
            nodes[static_cast<size_t>(*i)].items = *it;
            return i;
        }
        auto full = qualify(tn, ns);
        for (const auto& candidate : {full, std::string(tn)}) {
            if (auto it = named.find(candidate); it != named.end()) {
                return it->second;
            }
        }
        return bad("{}: unknown type '{}'", path, tn);
    }

    result<int> union_type(const json::array& a, const std::string& ns, const std::string& path,
                           size_t depth) {
        auto i = add(of(kind::union_type));
        if (!i) {
            return i;
        }
        std::set<std::string> seen;
        for (size_t b = 0; b < a.size(); ++b) {
            auto bp = path + "/" + std::to_string(b);
            auto m = type(a[b], ns, bp, depth + 1);
            if (!m) {
                return m;
            }
            const auto& mn = nodes[static_cast<size_t>(*m)];
            if (mn.k == kind::union_type) {
                return bad("{}: a union cannot contain a union directly", bp);
            }
            std::string key = mn.fullname.empty() ? std::string(kind_name(mn.k)) : mn.fullname;
            if (!seen.insert(key).second) {
                return bad("{}: the union has '{}' twice", bp, key);
            }
            nodes[static_cast<size_t>(*i)].members.push_back(*m);
        }
        return i;
    }

    result<int> record(const json::object& o, const std::string& ns, const std::string& path, size_t depth) {
        auto full = full_name(o, ns, path);
        if (!full) {
            return full.error();
        }
        auto al = aliases(o, namespace_of(*full), path);
        if (!al) {
            return al.error();
        }
        auto i = add(of(kind::record, *full, std::move(*al)));
        if (!i) {
            return i;
        }
        named.emplace(*full, *i); // before the fields: a record may refer to itself
        auto* fs = o.if_contains("fields");
        if (!fs || !fs->is_array()) {
            return bad("{}: record '{}' needs a \"fields\" array", path, *full);
        }
        std::string inner_ns(namespace_of(*full));
        std::set<std::string, std::less<>> names;
        const auto& arr = fs->get_array();
        for (size_t f = 0; f < arr.size(); ++f) {
            auto fp = path + "/fields/" + std::to_string(f);
            if (!arr[f].is_object()) {
                return bad("{}: a field is an object", fp);
            }
            const auto& fo = arr[f].get_object();
            auto* fname = fo.if_contains("name");
            if (!fname || !fname->is_string() || !valid_name_part(fname->get_string())) {
                return bad("{}: a field needs a valid \"name\"", fp);
            }
            field fl;
            fl.name = std::string(fname->get_string());
            if (!names.insert(fl.name).second) {
                return bad("{}: record '{}' has the field '{}' twice", fp, *full, fl.name);
            }
            auto* ft = fo.if_contains("type");
            if (!ft) {
                return bad("{}: field '{}' has no \"type\"", fp, fl.name);
            }
            auto t = type(*ft, inner_ns, fp + "/type", depth + 1);
            if (!t) {
                return t;
            }
            fl.type = *t;
            if (auto* d = fo.if_contains("default")) {
                if (!fits(*d, fl.type, 0)) {
                    return bad("{}: the default of field '{}', {}, is not a valid {}", fp, fl.name,
                               json::serialize(*d).substr(0, 60), describe(fl.type));
                }
                fl.default_value = *d;
            }
            if (auto* fa = fo.if_contains("aliases")) {
                if (!fa->is_array()) {
                    return bad("{}: \"aliases\" must be an array of names", fp);
                }
                for (const auto& a : fa->get_array()) {
                    if (!a.is_string() || !valid_name_part(a.get_string())) {
                        return bad("{}: field aliases must be valid names", fp);
                    }
                    fl.aliases.emplace_back(a.get_string());
                }
            }
            nodes[static_cast<size_t>(*i)].fields.push_back(std::move(fl));
        }
        return i;
    }

    result<int> enumeration(const json::object& o, const std::string& ns, const std::string& path) {
        auto full = full_name(o, ns, path);
        if (!full) {
            return full.error();
        }
        auto al = aliases(o, namespace_of(*full), path);
        if (!al) {
            return al.error();
        }
        node n = of(kind::enumeration, *full, std::move(*al));
        auto* syms = o.if_contains("symbols");
        if (!syms || !syms->is_array()) {
            return bad("{}: enum '{}' needs a \"symbols\" array", path, *full);
        }
        std::set<std::string, std::less<>> seen;
        for (const auto& s : syms->get_array()) {
            if (!s.is_string() || !valid_name_part(s.get_string())) {
                return bad("{}: enum '{}' symbols must be valid names", path, *full);
            }
            if (!seen.emplace(s.get_string()).second) {
                return bad("{}: enum '{}' has the symbol '{}' twice", path, *full, s.get_string());
            }
            n.symbols.emplace_back(s.get_string());
        }
        if (auto* d = o.if_contains("default")) {
            if (!d->is_string() || !seen.contains(d->get_string())) {
                return bad("{}: the default of enum '{}' must be one of its symbols", path, *full);
            }
            n.enum_default = std::string(d->get_string());
        }
        auto i = add(std::move(n));
        if (i) {
            named.emplace(*full, *i);
        }
        return i;
    }

    std::string describe(int t) const {
        const auto& n = nodes[static_cast<size_t>(t)];
        return n.fullname.empty() ? std::string(kind_name(n.k))
                                  : std::string(kind_name(n.k)) + " " + n.fullname;
    }

    // Whether a JSON default value is a valid value of the type. Depth is that
    // of the value, which is finite, so recursive types terminate.
    bool fits(const json::value& v, int t, size_t depth) const {
        if (depth > max_depth) {
            return false;
        }
        const auto& n = nodes[static_cast<size_t>(t)];
        switch (n.k) {
        case kind::null_type:
            return v.is_null();
        case kind::boolean:
            return v.is_bool();
        case kind::int_type:
            return (v.is_int64() && v.get_int64() >= std::numeric_limits<int32_t>::min()
                    && v.get_int64() <= std::numeric_limits<int32_t>::max())
                   || (v.is_uint64() && v.get_uint64() <= std::numeric_limits<int32_t>::max());
        case kind::long_type:
            return v.is_int64() || (v.is_uint64() && v.get_uint64() <= std::numeric_limits<int64_t>::max());
        case kind::float_type:
        case kind::double_type:
            return v.is_number();
        case kind::bytes:
        case kind::string:
            return v.is_string();
        case kind::fixed:
            return v.is_string();
        case kind::enumeration:
            if (!v.is_string()) {
                return false;
            }
            for (const auto& s : n.symbols) {
                if (s == v.get_string()) {
                    return true;
                }
            }
            return false;
        case kind::array:
            if (!v.is_array()) {
                return false;
            }
            for (const auto& e : v.get_array()) {
                if (!fits(e, n.items, depth + 1)) {
                    return false;
                }
            }
            return true;
        case kind::map:
            if (!v.is_object()) {
                return false;
            }
            for (const auto& e : v.get_object()) {
                if (!fits(e.value(), n.items, depth + 1)) {
                    return false;
                }
            }
            return true;
        case kind::record:
            if (!v.is_object()) {
                return false;
            }
            for (const auto& f : n.fields) {
                auto* fv = v.get_object().if_contains(f.name);
                if (fv ? !fits(*fv, f.type, depth + 1) : !f.default_value) {
                    return false;
                }
            }
            return true;
        case kind::union_type:
            return !n.members.empty() && fits(v, n.members.front(), depth);
        }
        return false;
    }
};

result<schema> schema::parse(std::string_view text) {
    if (text.size() > max_schema_bytes) {
        return make_error(errc::too_large, "the schema is {} bytes; at most {} are accepted", text.size(),
                          max_schema_bytes);
    }
    json::parse_options po;
    po.max_depth = max_depth;
    std::error_code ec;
    json::value v = internal::parse_exact(text, ec, po);
    if (ec == json::error::too_deep) {
        return make_error(errc::too_large,
                          "the schema nests JSON arrays and objects deeper than {} levels, the limit",
                          max_depth);
    }
    if (ec) {
        return make_error(errc::invalid_schema, "the schema is not valid JSON: {}", ec.message());
    }
    schema s;
    parser p{s._nodes, {}};
    auto root = p.type(v, "", "", 0);
    if (!root) {
        return root.error();
    }
    if (*root != 0) {
        // A bare reference at the top cannot happen (nothing is defined yet),
        // so the root is always the first node added.
        return make_error(errc::invalid_schema, "the schema's top-level type is not defined");
    }
    s._canonical = json::serialize(v);
    return s;
}

} // namespace mdsp::registry::avro
