#pragma once

#include <compare>
#include <cstdint>
#include <functional>
#include <ostream>
#include <type_traits>

#include <fmt/format.h>

namespace mdsp {

// A value of T that cannot be mixed up with another named_type of the same T:
// offsets, partitions, sequence numbers, event and ingest times each get their
// own tag. Construction is explicit; the raw value is read with operator().
template<typename T, typename Tag>
class named_type {
public:
    using value_type = T;

    constexpr named_type() = default;
    constexpr explicit named_type(T v) noexcept
      : _value(v) {}

    constexpr T operator()() const noexcept { return _value; }
    constexpr T value() const noexcept { return _value; }

    constexpr auto operator<=>(const named_type&) const = default;
    constexpr bool operator==(const named_type&) const = default;

    constexpr named_type& operator++() noexcept requires std::is_integral_v<T> {
        ++_value;
        return *this;
    }
    constexpr named_type operator++(int) noexcept requires std::is_integral_v<T> {
        auto old = *this;
        ++_value;
        return old;
    }
    constexpr named_type& operator+=(T d) noexcept {
        _value += d;
        return *this;
    }
    constexpr named_type& operator-=(T d) noexcept {
        _value -= d;
        return *this;
    }
    friend constexpr named_type operator+(named_type a, T d) noexcept { return named_type(a._value + d); }
    friend constexpr named_type operator-(named_type a, T d) noexcept { return named_type(a._value - d); }
    // The distance between two values of the same kind is a plain T.
    friend constexpr T operator-(named_type a, named_type b) noexcept { return a._value - b._value; }

    friend std::ostream& operator<<(std::ostream& os, const named_type& v) { return os << v._value; }

private:
    T _value{};
};

// Kafka-style log offset within one partition.
using offset = named_type<int64_t, struct offset_tag>;
// Partition number within a topic.
using partition_id = named_type<int32_t, struct partition_tag>;
// Per-source sequence number: arrival order for dedupe and deterministic ties.
using sequence = named_type<int64_t, struct sequence_tag>;
// When the market event happened, microseconds since the Unix epoch (UTC).
using event_time = named_type<int64_t, struct event_time_tag>;
// When mdsp received the event, microseconds since the Unix epoch (UTC).
using ingest_time = named_type<int64_t, struct ingest_time_tag>;

} // namespace mdsp

template<typename T, typename Tag>
struct std::hash<mdsp::named_type<T, Tag>> {
    size_t operator()(const mdsp::named_type<T, Tag>& v) const noexcept { return std::hash<T>{}(v()); }
};

template<typename T, typename Tag>
struct fmt::formatter<mdsp::named_type<T, Tag>> : fmt::formatter<T> {
    auto format(const mdsp::named_type<T, Tag>& v, format_context& ctx) const {
        return fmt::formatter<T>::format(v(), ctx);
    }
};
