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
