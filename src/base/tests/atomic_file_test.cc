// write_file_atomically: the new contents or the old ones, never a mix, and
// no temporary left behind by a failure.
#include <algorithm>
#include <csignal>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <sys/resource.h>

#include "base/atomic_file.h"
#include "testing/temp_dir.h"

namespace mdsp {
namespace {

namespace fs = std::filesystem;

std::string slurp(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

std::vector<std::string> names_in(const fs::path& dir) {
    std::vector<std::string> out;
    for (const auto& e : fs::directory_iterator(dir)) {
        out.push_back(e.path().filename().string());
    }
    std::sort(out.begin(), out.end());
    return out;
}

// Lowers RLIMIT_FSIZE for the scope, so that writing past `bytes` fails
// with EFBIG (SIGXFSZ ignored meanwhile) as a full disk would.
class file_size_limit {
public:
    explicit file_size_limit(rlim_t bytes) {
        ::getrlimit(RLIMIT_FSIZE, &_old);
        _old_handler = std::signal(SIGXFSZ, SIG_IGN);
        rlimit lim = _old;
        lim.rlim_cur = bytes;
        ::setrlimit(RLIMIT_FSIZE, &lim);
    }
    ~file_size_limit() {
        ::setrlimit(RLIMIT_FSIZE, &_old);
        std::signal(SIGXFSZ, _old_handler);
    }

private:
    rlimit _old{};
    void (*_old_handler)(int) = nullptr;
};

TEST(atomic_file, creates_and_replaces_leaving_no_temporary) {
    testing::temp_dir dir;
    auto p = dir.path() / "meta";
    ASSERT_TRUE(write_file_atomically(p, "first\n"));
    EXPECT_EQ(slurp(p), "first\n");
    ASSERT_TRUE(write_file_atomically(p, "second, longer\n"));
    EXPECT_EQ(slurp(p), "second, longer\n");
    ASSERT_TRUE(write_file_atomically(p, "3\n"));
    EXPECT_EQ(slurp(p), "3\n") << "a shorter file leaves nothing of the longer one";
    ASSERT_TRUE(write_file_atomically(p, ""));
    EXPECT_EQ(fs::file_size(p), 0u);
    EXPECT_EQ(names_in(dir.path()), std::vector<std::string>{"meta"});
}

TEST(atomic_file, a_stale_temporary_from_a_crash_is_overwritten) {
    testing::temp_dir dir;
    auto p = dir.path() / "offset";
    std::ofstream(dir.path() / "offset.tmp") << std::string(1000, 'x');
    ASSERT_TRUE(write_file_atomically(p, "42\n"));
    EXPECT_EQ(slurp(p), "42\n");
    EXPECT_EQ(names_in(dir.path()), std::vector<std::string>{"offset"});
}

TEST(atomic_file, a_failed_write_keeps_the_old_file_and_removes_the_temporary) {
    testing::temp_dir dir;
    auto p = dir.path() / "meta";
    ASSERT_TRUE(write_file_atomically(p, "old contents\n"));
    result<void> r;
    {
        file_size_limit limit(4096);
        r = write_file_atomically(p, std::string(64 * 1024, 'n'));
    }
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, std::error_code(EFBIG, std::system_category()));
    EXPECT_NE(r.error().what().find("meta.tmp"), std::string::npos) << r.error().what();
    EXPECT_EQ(slurp(p), "old contents\n");
    EXPECT_EQ(names_in(dir.path()), std::vector<std::string>{"meta"});
}

TEST(atomic_file, a_failed_rename_removes_the_temporary) {
    testing::temp_dir dir;
    auto p = dir.path() / "target";
    fs::create_directories(p / "child"); // rename(2) cannot replace a non-empty directory
    auto r = write_file_atomically(p, "contents");
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().what().find("cannot rename onto"), std::string::npos) << r.error().what();
    EXPECT_TRUE(fs::is_directory(p / "child"));
    EXPECT_EQ(names_in(dir.path()), std::vector<std::string>{"target"});
}

TEST(atomic_file, a_missing_directory_is_an_error_naming_the_file) {
    testing::temp_dir dir;
    auto r = write_file_atomically(dir.path() / "no" / "such" / "file", "x");
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, std::error_code(ENOENT, std::system_category()));
    EXPECT_NE(r.error().what().find("no/such/file.tmp"), std::string::npos) << r.error().what();
}

TEST(atomic_file, sync_directory_reports_a_missing_directory) {
    testing::temp_dir dir;
    EXPECT_TRUE(sync_directory(dir.path()));
    EXPECT_FALSE(sync_directory(dir.path() / "missing"));
}

} // namespace
} // namespace mdsp
