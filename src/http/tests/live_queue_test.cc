#include <gtest/gtest.h>

#include "http/live_queue.h"

namespace mdsp::http {
namespace {

live_queue::message msg(std::string s) {
    return std::make_shared<const std::string>(std::move(s));
}

std::vector<std::string> drain(live_queue& q) {
    std::vector<std::string> out;
    while (auto m = q.pop()) {
        out.push_back(**m);
    }
    return out;
}

TEST(live_queue, updates_of_one_key_coalesce_to_the_newest) {
    live_queue q(4, 4);
    for (int i = 0; i < 1000; ++i) {
        q.push_update("BTC/1m/0", msg("forming " + std::to_string(i)));
    }
    EXPECT_EQ(q.updates_size(), 1u);
    EXPECT_EQ(q.coalesced(), 999u);
    EXPECT_EQ(drain(q), std::vector<std::string>{"forming 999"});
    EXPECT_EQ(q.bytes(), 0u);
}

TEST(live_queue, must_messages_come_first_in_order_and_are_never_dropped) {
    live_queue q(3, 2);
    q.push_update("a", msg("ua"));
    EXPECT_TRUE(q.push_must(msg("f1")));
    EXPECT_TRUE(q.push_must(msg("f2")));
    EXPECT_TRUE(q.push_must(msg("f3")));
    EXPECT_FALSE(q.push_must(msg("f4"))); // full: the caller closes the client
    EXPECT_EQ(drain(q), (std::vector<std::string>{"f1", "f2", "f3", "ua"}));
}

TEST(live_queue, a_final_supersedes_the_waiting_update_of_its_window) {
    live_queue q(4, 4);
    q.push_update("w1", msg("forming w1"));
    q.push_update("w2", msg("forming w2"));
    EXPECT_TRUE(q.push_must(msg("final w1"), "w1"));
    EXPECT_EQ(drain(q), (std::vector<std::string>{"final w1", "forming w2"}));
}

TEST(live_queue, too_many_keys_drop_the_oldest_update) {
    live_queue q(4, 3);
    for (int i = 0; i < 10; ++i) {
        q.push_update("k" + std::to_string(i), msg("u" + std::to_string(i)));
    }
    EXPECT_EQ(q.updates_size(), 3u);
    EXPECT_EQ(q.dropped(), 7u);
    EXPECT_EQ(drain(q), (std::vector<std::string>{"u7", "u8", "u9"}));
}

TEST(live_queue, key_list_stays_bounded_when_finals_keep_superseding) {
    live_queue q(1'000'000, 4);
    for (int i = 0; i < 100'000; ++i) {
        std::string k = "w" + std::to_string(i % 3);
        q.push_update(k, msg("u"));
        ASSERT_TRUE(q.push_must(msg("f"), k));
        q.pop();
    }
    EXPECT_LE(q.updates_size(), 4u);
    size_t n = drain(q).size();
    EXPECT_LE(n, 100'000u);
    EXPECT_TRUE(q.empty());
}

} // namespace
} // namespace mdsp::http
