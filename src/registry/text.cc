#include "registry/text.h"

#include <fmt/format.h>

#include "registry/store.h"

namespace mdsp::registry {

std::optional<code_point> utf8_at(std::string_view s) noexcept {
    if (s.empty()) {
        return std::nullopt;
    }
    const auto b = [&](size_t i) { return static_cast<uint8_t>(s[i]); };
    const uint8_t c = b(0);
    if (c < 0x80) {
        return code_point{c, 1};
    }
    size_t n = 0;
    uint32_t cp = 0;
    uint8_t lo = 0x80; // bounds of the second byte (RFC 3629 table 3-7)
    uint8_t hi = 0xBF;
    if (c >= 0xC2 && c <= 0xDF) {
        n = 2;
        cp = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
        n = 3;
        cp = c & 0x0F;
        lo = c == 0xE0 ? 0xA0 : 0x80; // no overlong forms
        hi = c == 0xED ? 0x9F : 0xBF; // no surrogates
    } else if (c >= 0xF0 && c <= 0xF4) {
        n = 4;
        cp = c & 0x07;
        lo = c == 0xF0 ? 0x90 : 0x80; // no overlong forms
        hi = c == 0xF4 ? 0x8F : 0xBF; // nothing above U+10FFFF
    } else {
        return std::nullopt; // a continuation byte, C0, C1 or F5..FF
    }
    if (s.size() < n || b(1) < lo || b(1) > hi) {
        return std::nullopt;
    }
    for (size_t i = 1; i < n; ++i) {
        if ((b(i) & 0xC0) != 0x80) {
            return std::nullopt;
        }
        cp = (cp << 6) | (b(i) & 0x3F);
    }
    return code_point{cp, n};
}

std::string printable_utf8(std::string_view s, size_t max_bytes) {
    std::string out;
    size_t i = 0;
    while (i < s.size() && i < max_bytes) {
        if (auto cp = utf8_at(s.substr(i))) {
            out.append(s.substr(i, cp->length));
            i += cp->length;
        } else {
            out.append("\xEF\xBF\xBD"); // U+FFFD REPLACEMENT CHARACTER
            ++i;
        }
    }
    return out;
}

std::optional<std::string> subject_problem(std::string_view s) {
    if (s.empty() || s.size() > max_subject_bytes) {
        return fmt::format("a subject is 1 to {} bytes", max_subject_bytes);
    }
    size_t i = 0;
    while (i < s.size()) {
        auto cp = utf8_at(s.substr(i));
        if (!cp) {
            return fmt::format("a subject is UTF-8 text; byte {} (0x{:02X}) is not", i,
                               static_cast<uint8_t>(s[i]));
        }
        if (cp->value < 0x20 || (cp->value >= 0x7F && cp->value <= 0x9F)) {
            return fmt::format("a subject may not hold a control character (U+{:04X} at byte {})", cp->value,
                               i);
        }
        i += cp->length;
    }
    return std::nullopt;
}

} // namespace mdsp::registry
