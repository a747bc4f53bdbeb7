#pragma once

#include <filesystem>
#include <string_view>

namespace mdsp::testing {

// A fresh directory under $TMPDIR (or /tmp), named <prefix>-XXXXXX, removed
// with everything in it when the object goes away. Aborts when it cannot be
// made: no test can run without it. Owned by the test's thread.
class temp_dir {
public:
    explicit temp_dir(std::string_view prefix = "mdsp-test");
    ~temp_dir();
    temp_dir(const temp_dir&) = delete;
    temp_dir& operator=(const temp_dir&) = delete;

    const std::filesystem::path& path() const { return _path; }

private:
    std::filesystem::path _path;
};

} // namespace mdsp::testing
