#include "store/store.h"

namespace {
std::string store_errc_message(mdsp::store::errc e) {
    using mdsp::store::errc;
    switch (e) {
    case errc::io_error:
        return "store I/O error";
    case errc::corrupt:
        return "store data is corrupt";
    case errc::bad_query:
        return "bad store query";
    case errc::closed:
        return "store is closed";
    case errc::locked:
        return "store directory is in use by another process";
    }
    return "unknown store error";
}
} // namespace

MDSP_DEFINE_ERRC_CATEGORY(mdsp::store, "mdsp.store", store_errc_message)

namespace mdsp::store {

result<std::string> store::put_state_if_absent(const std::string& key, const std::string& value) {
    auto have = load_state(key);
    if (!have) {
        return have.error();
    }
    for (auto& [k, v] : *have) {
        if (k == key) {
            return std::move(v);
        }
    }
    const state_change change{key, value};
    if (auto r = write(write_batch{{}, {}, {}, std::span<const state_change>(&change, 1)}); !r) {
        return r.error();
    }
    return value;
}

} // namespace mdsp::store
