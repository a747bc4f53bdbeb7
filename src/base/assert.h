#pragma once

#include <cstdlib>
#include <string>

#include <fmt/format.h>

namespace mdsp::detail {
// Logs "assertion failed" with the location and message, then aborts.
[[noreturn]] void assert_failed(const char* cond, const char* file, int line, const std::string& msg);
} // namespace mdsp::detail

// An always-on check of an invariant; a broken one logs and aborts, in every
// build. For expected failures return a result<T> instead.
#define MDSP_ASSERT(cond, ...)                                                                               \
    do {                                                                                                     \
        if (!(cond)) [[unlikely]] {                                                                          \
            ::mdsp::detail::assert_failed(#cond, __FILE__, __LINE__, ::fmt::format(__VA_ARGS__));            \
        }                                                                                                    \
    } while (0)

// Heavier checks that only debug builds pay for.
#ifndef NDEBUG
#define MDSP_DEBUG_ASSERT(cond, ...) MDSP_ASSERT(cond, __VA_ARGS__)
#else
#define MDSP_DEBUG_ASSERT(cond, ...)                                                                         \
    do {                                                                                                     \
    } while (0)
#endif
