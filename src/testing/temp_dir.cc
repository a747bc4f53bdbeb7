#include "testing/temp_dir.h"

#include <cstdio>
#include <cstdlib>
#include <string>
#include <system_error>

namespace mdsp::testing {

temp_dir::temp_dir(std::string_view prefix) {
    const char* base = std::getenv("TMPDIR");
    std::string tmpl = std::string(base ? base : "/tmp") + "/" + std::string(prefix) + "-XXXXXX";
    char* p = ::mkdtemp(tmpl.data());
    if (p == nullptr) {
        std::perror(("mdsp::testing::temp_dir: mkdtemp " + tmpl).c_str());
        std::abort();
    }
    _path = p;
}

temp_dir::~temp_dir() {
    std::error_code ec;
    std::filesystem::remove_all(_path, ec);
}

} // namespace mdsp::testing
