// Avro schema resolution (what org.apache.avro.SchemaCompatibility decides):
// whether data written with one schema can be read with another.
#include <map>
#include <set>
#include <string>
#include <utility>

#include "registry/avro_schema.h"

namespace mdsp::registry::avro {

namespace {

bool is_promotion(kind writer, kind reader) {
    switch (writer) {
    case kind::int_type:
        return reader == kind::long_type || reader == kind::float_type || reader == kind::double_type;
    case kind::long_type:
        return reader == kind::float_type || reader == kind::double_type;
    case kind::float_type:
        return reader == kind::double_type;
    case kind::string:
        return reader == kind::bytes;
    case kind::bytes:
        return reader == kind::string;
    default:
        return false;
    }
}

struct checker {
    const schema& reader;
    const schema& writer;
    std::map<std::pair<int, int>, bool> memo;
    std::vector<std::string>* messages = nullptr; // null while probing union branches

    static constexpr size_t max_messages = 20;

    template<typename... Args>
    bool fail(fmt::format_string<Args...> f, Args&&... args) {
        if (messages && messages->size() < max_messages) {
            messages->push_back(fmt::format(f, std::forward<Args>(args)...));
        }
        return false;
    }

    static std::string where(const std::string& path) { return path.empty() ? "/" : path; }

    bool names_match(const node& r, const node& w) const {
        if (unqualified(r.fullname) == unqualified(w.fullname)) {
            return true;
        }
        for (const auto& a : r.aliases) {
            if (a == w.fullname) {
                return true;
            }
        }
        return false;
    }

    bool check(int ri, int wi, const std::string& path) {
        auto key = std::make_pair(ri, wi);
        if (auto it = memo.find(key); it != memo.end()) {
            return it->second; // true while in progress: a recursive type is assumed compatible
        }
        memo[key] = true;
        bool ok = check_uncached(ri, wi, path);
        memo[key] = ok;
        return ok;
    }

    bool check_uncached(int ri, int wi, const std::string& path) {
        const node& r = reader.at(ri);
        const node& w = writer.at(wi);
        if (w.k == kind::union_type) {
            bool ok = true;
            for (int m : w.members) {
                ok = check(ri, m, path) && ok;
            }
            return ok;
        }
        if (r.k == kind::union_type) {
            auto* saved = messages;
            messages = nullptr;
            bool found = false;
            for (int m : r.members) {
                if (check(m, wi, path)) {
                    found = true;
                    break;
                }
            }
            messages = saved;
            return found
                   || fail("{}: the writer's {} is none of the reader's union branches", where(path),
                           describe(w));
        }
        if (r.k != w.k) {
            if (is_promotion(w.k, r.k)) {
                return true;
            }
            return fail("{}: the reader expects {} but the writer wrote {}", where(path), describe(r),
                        describe(w));
        }
        switch (r.k) {
        case kind::record:
            return record(r, w, path);
        case kind::enumeration: {
            if (!names_match(r, w)) {
                return fail("{}: the reader's enum is named '{}', the writer's '{}'", where(path), r.fullname,
                            w.fullname);
            }
            if (r.enum_default) {
                return true;
            }
            bool ok = true;
            for (const auto& s : w.symbols) {
                bool known = false;
                for (const auto& rs : r.symbols) {
                    known = known || rs == s;
                }
                if (!known) {
                    ok = fail(
                        "{}: the writer's enum symbol '{}' is not in the reader's enum '{}' (which has no "
                        "default)",
                        where(path), s, r.fullname);
                }
            }
            return ok;
        }
        case kind::fixed:
            if (!names_match(r, w)) {
                return fail("{}: the reader's fixed is named '{}', the writer's '{}'", where(path),
                            r.fullname, w.fullname);
            }
            if (r.size != w.size) {
                return fail("{}: fixed '{}' has size {} in the reader and {} in the writer", where(path),
                            r.fullname, r.size, w.size);
            }
            return true;
        case kind::array:
            return check(r.items, w.items, path + "/items");
        case kind::map:
            return check(r.items, w.items, path + "/values");
        default:
            return true; // equal primitives
        }
    }

    bool record(const node& r, const node& w, const std::string& path) {
        if (!names_match(r, w)) {
            return fail("{}: the reader's record is named '{}', the writer's '{}'", where(path), r.fullname,
                        w.fullname);
        }
        bool ok = true;
        for (size_t i = 0; i < r.fields.size(); ++i) {
            const auto& rf = r.fields[i];
            const field* wf = nullptr;
            for (const auto& f : w.fields) {
                if (f.name == rf.name) {
                    wf = &f;
                }
            }
            for (size_t a = 0; !wf && a < rf.aliases.size(); ++a) {
                for (const auto& f : w.fields) {
                    if (f.name == rf.aliases[a]) {
                        wf = &f;
                    }
                }
            }
            auto fp = path + "/fields/" + std::to_string(i);
            if (!wf) {
                if (!rf.default_value) {
                    ok = fail(
                        "{}: the reader's field '{}' of '{}' has no default and the writer has no such field",
                        fp, rf.name, r.fullname);
                }
                continue;
            }
            ok = check(rf.type, wf->type, fp + "/type") && ok;
        }
        return ok;
    }

    static std::string describe(const node& n) {
        return n.fullname.empty() ? std::string(kind_name(n.k))
                                  : std::string(kind_name(n.k)) + " '" + n.fullname + "'";
    }
};

} // namespace

compatibility can_read(const schema& reader, const schema& writer) {
    compatibility out;
    checker c{reader, writer, {}, &out.messages};
    out.compatible = c.check(reader.root(), writer.root(), "");
    if (!out.compatible && out.messages.empty()) {
        out.messages.emplace_back("the reader schema cannot read data written with the writer schema");
    }
    return out;
}

} // namespace mdsp::registry::avro
