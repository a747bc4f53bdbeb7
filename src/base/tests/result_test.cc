#include <gtest/gtest.h>

#include "base/result.h"

namespace mdsp::test {
enum class errc { bad = 1 };
} // namespace mdsp::test
MDSP_DECLARE_ERRC(mdsp::test)
MDSP_DEFINE_ERRC_CATEGORY(mdsp::test, "mdsp.test", [](mdsp::test::errc) { return std::string("bad thing"); })

namespace mdsp {

result<int> half(int x) {
    if (x % 2) {
        return make_error(test::errc::bad, "{} is odd", x);
    }
    return x / 2;
}

TEST(result, carries_value_or_error) {
    auto a = half(4);
    ASSERT_TRUE(a);
    EXPECT_EQ(*a, 2);
    auto b = half(3);
    ASSERT_FALSE(b);
    EXPECT_EQ(b.error().what(), "3 is odd");
    EXPECT_EQ(b.error().code, test::errc::bad);
    EXPECT_EQ(b.error().code.category().name(), std::string("mdsp.test"));
}

} // namespace mdsp
