#pragma once

#include <string>
#include <system_error>
#include <type_traits>
#include <utility>
#include <variant>

#include <fmt/format.h>

#include "base/assert.h"

namespace mdsp {

// An expected failure: a machine-readable code (from a module's errc and its
// std::error_category) and a message for people that says what was wrong and,
// where it can, what to do about it.
struct error {
    std::error_code code;
    std::string message;

    // "message" or, when the message is empty, the code's own text.
    std::string what() const { return message.empty() ? code.message() : message; }
};

template<typename E, typename... Args>
requires std::is_error_code_enum_v<E> error make_error(E e, fmt::format_string<Args...> f, Args&&... args) {
    return error{make_error_code(e), fmt::format(f, std::forward<Args>(args)...)};
}

// result<T>: a T or an error. The value is read only after checking; reading
// the wrong alternative is a broken invariant and aborts.
template<typename T>
class [[nodiscard]] result {
public:
    result(T v)
      : _v(std::in_place_index<0>, std::move(v)) {}
    result(mdsp::error e)
      : _v(std::in_place_index<1>, std::move(e)) {}
    template<typename U>
    requires(
        std::is_constructible_v<
            T, U&&> && !std::is_same_v<std::decay_t<U>, T> && !std::is_same_v<std::decay_t<U>, mdsp::error>)
        result(U&& u)
      : _v(std::in_place_index<0>, T(std::forward<U>(u))) {}

    bool has_value() const noexcept { return _v.index() == 0; }
    bool has_error() const noexcept { return _v.index() == 1; }
    explicit operator bool() const noexcept { return has_value(); }

    T& value() & {
        MDSP_ASSERT(has_value(), "result::value() on an error: {}", std::get<1>(_v).what());
        return std::get<0>(_v);
    }
    const T& value() const& {
        MDSP_ASSERT(has_value(), "result::value() on an error: {}", std::get<1>(_v).what());
        return std::get<0>(_v);
    }
    T&& value() && {
        MDSP_ASSERT(has_value(), "result::value() on an error: {}", std::get<1>(_v).what());
        return std::get<0>(std::move(_v));
    }
    const mdsp::error& error() const {
        MDSP_ASSERT(has_error(), "result::error() on a value");
        return std::get<1>(_v);
    }
    T& operator*() & { return value(); }
    const T& operator*() const& { return value(); }
    T&& operator*() && { return std::move(*this).value(); }
    T* operator->() { return &value(); }
    const T* operator->() const { return &value(); }

private:
    std::variant<T, mdsp::error> _v;
};

template<>
class [[nodiscard]] result<void> {
public:
    result() = default;
    result(mdsp::error e)
      : _err(std::move(e))
      , _failed(true) {}

    bool has_value() const noexcept { return !_failed; }
    bool has_error() const noexcept { return _failed; }
    explicit operator bool() const noexcept { return !_failed; }
    void value() const { MDSP_ASSERT(!_failed, "result<void>::value() on an error: {}", _err.what()); }
    const mdsp::error& error() const {
        MDSP_ASSERT(_failed, "result::error() on a value");
        return _err;
    }

private:
    mdsp::error _err;
    bool _failed = false;
};

inline result<void> ok() {
    return {};
}

// Defines the std::error_category of a module's errc: name and one message per
// value. Use in a .cc file:
//   MDSP_ERROR_CATEGORY(mdsp::log, "mdsp.log", { switch (e) { case errc::x: return "..."; } ... })
#define MDSP_DEFINE_ERRC_CATEGORY(ns, cat_name, message_fn)                                                  \
    namespace ns {                                                                                           \
    namespace {                                                                                              \
    struct errc_category final : std::error_category {                                                       \
        const char* name() const noexcept override { return cat_name; }                                      \
        std::string message(int ev) const override { return message_fn(static_cast<errc>(ev)); }             \
    };                                                                                                       \
    } /* namespace */                                                                                        \
    const std::error_category& error_category() noexcept {                                                   \
        static const errc_category c;                                                                        \
        return c;                                                                                            \
    }                                                                                                        \
    std::error_code make_error_code(errc e) noexcept {                                                       \
        return {static_cast<int>(e), error_category()};                                                      \
    }                                                                                                        \
    }

// Declares, in a module header, what MDSP_DEFINE_ERRC_CATEGORY defines.
#define MDSP_DECLARE_ERRC(ns)                                                                                \
    namespace ns {                                                                                           \
    const std::error_category& error_category() noexcept;                                                    \
    std::error_code make_error_code(errc e) noexcept;                                                        \
    }                                                                                                        \
    template<>                                                                                               \
    struct std::is_error_code_enum<ns::errc> : std::true_type {};

} // namespace mdsp
