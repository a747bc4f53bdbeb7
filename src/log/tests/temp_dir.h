#pragma once

#include <cstdlib>
#include <filesystem>
#include <string>

namespace mdsp::log::testing {

// A fresh directory under $TMPDIR (or /tmp), removed with everything in it
// when the object goes away.
class temp_dir {
public:
    temp_dir() {
        const char* base = std::getenv("TMPDIR");
        std::string tmpl = std::string(base ? base : "/tmp") + "/mdsp-log-test-XXXXXX";
        char* p = ::mkdtemp(tmpl.data());
        if (p == nullptr) {
            std::abort();
        }
        _path = p;
    }
    ~temp_dir() {
        std::error_code ec;
        std::filesystem::remove_all(_path, ec);
    }
    temp_dir(const temp_dir&) = delete;
    temp_dir& operator=(const temp_dir&) = delete;
    const std::filesystem::path& path() const { return _path; }

private:
    std::filesystem::path _path;
};

} // namespace mdsp::log::testing
