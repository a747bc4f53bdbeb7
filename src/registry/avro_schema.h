#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/value.hpp>

#include "base/result.h"
#include "registry/errc.h"

// Avro schemas as the schema registry needs them: parsed and validated from
// their JSON text, reduced to a canonical text for identity, and checked for
// compatibility with the rules of Avro's schema resolution (what
// org.apache.avro.SchemaCompatibility and so Confluent's registry decide).
namespace mdsp::registry::avro {

inline constexpr size_t max_schema_bytes = 1 << 20; // schema text
inline constexpr size_t max_depth = 64;             // nesting of JSON values and of types
inline constexpr size_t max_types = 10'000;         // type nodes in one schema

enum class kind : uint8_t {
    null_type,
    boolean,
    int_type,
    long_type,
    float_type,
    double_type,
    bytes,
    string,
    record,
    enumeration,
    array,
    map,
    fixed,
    union_type,
};
std::string_view kind_name(kind k);
// A fullname without its namespace: "Name" of "ns.Name".
std::string_view unqualified(std::string_view fullname);

struct field {
    std::string name;
    int type = -1; // index into schema::nodes()
    std::optional<boost::json::value> default_value;
    std::vector<std::string> aliases;
};

// One type. Named types (record, enum, fixed) have a fullname; a reference to
// a named type by name points at the node that defined it (so recursive
// records are cycles through indices).
struct node {
    kind k = kind::null_type;
    std::string fullname;             // record, enum, fixed: "ns.Name" or "Name"
    std::vector<std::string> aliases; // fullnames
    std::vector<field> fields;        // record
    std::vector<std::string> symbols; // enum
    std::optional<std::string> enum_default;
    int64_t size = 0;         // fixed
    int items = -1;           // array items, map values
    std::vector<int> members; // union branches
};

// A parsed, validated schema. Immutable; safe to share between threads.
class schema {
public:
    // Parses and validates: primitive, record, enum, array, map, fixed and
    // union types; names and namespaces; defaults that fit their field's type
    // (a union's default fits its first branch); no duplicate field names,
    // enum symbols or union branches; names defined before use. Fails with
    // errc::invalid_schema (the message says what and where) or
    // errc::too_large.
    static result<schema> parse(std::string_view text);

    const std::vector<node>& nodes() const noexcept { return _nodes; }
    int root() const noexcept { return 0; }
    const node& at(int i) const { return _nodes[static_cast<size_t>(i)]; }

    // The schema's JSON without insignificant whitespace, keys in the order
    // written. Two texts with the same canonical text are the same schema to
    // the registry (same id).
    const std::string& canonical() const noexcept { return _canonical; }

private:
    std::vector<node> _nodes;
    std::string _canonical;
    friend struct parser;
};

struct compatibility {
    bool compatible = true;
    std::vector<std::string> messages; // why not, one line per problem (at most a few)
};

// Whether data written with `writer` can be read with `reader`: field by
// field (matched by name or the reader's aliases), a reader field missing in
// the writer needs a default, writer fields the reader lacks are skipped,
// promotions int -> long -> float -> double and string <-> bytes, every
// writer union branch readable, a non-union writer readable by some reader
// branch, enum symbols of the writer known to the reader (or a reader enum
// default), named types matched by unqualified name or alias, fixed sizes equal.
compatibility can_read(const schema& reader, const schema& writer);

} // namespace mdsp::registry::avro
