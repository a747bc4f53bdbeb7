#include "model/text.h"

#include <fmt/format.h>

namespace mdsp::model {

size_t utf8_sequence_length(std::string_view s) noexcept {
    if (s.empty()) {
        return 0;
    }
    const auto* p = reinterpret_cast<const unsigned char*>(s.data());
    const unsigned char c = p[0];
    if (c < 0x80) {
        return 1;
    }
    size_t n = 0;
    unsigned char lo = 0x80;
    unsigned char hi = 0xbf;
    if (c >= 0xc2 && c <= 0xdf) {
        n = 2;
    } else if (c >= 0xe0 && c <= 0xef) {
        n = 3;
        lo = c == 0xe0 ? 0xa0 : lo; // no overlong 3-byte forms
        hi = c == 0xed ? 0x9f : hi; // no UTF-16 surrogates
    } else if (c >= 0xf0 && c <= 0xf4) {
        n = 4;
        lo = c == 0xf0 ? 0x90 : lo; // no overlong 4-byte forms
        hi = c == 0xf4 ? 0x8f : hi; // nothing above U+10FFFF
    } else {
        return 0; // a continuation byte, an overlong 2-byte lead, or 0xf5..0xff
    }
    if (s.size() < n || p[1] < lo || p[1] > hi) {
        return 0;
    }
    for (size_t i = 2; i < n; ++i) {
        if ((p[i] & 0xc0) != 0x80) {
            return 0;
        }
    }
    return n;
}

std::string echo_text(std::string_view s, size_t max_bytes, bool* cut) {
    std::string out;
    size_t i = 0;
    while (i < s.size()) {
        const auto u = static_cast<unsigned char>(s[i]);
        const size_t n = utf8_sequence_length(s.substr(i));
        const bool control = n == 0 || u < 0x20 || u == 0x7f;
        const size_t shown = control ? 4 : n;
        if (out.size() + shown > max_bytes) {
            break;
        }
        if (control) {
            fmt::format_to(std::back_inserter(out), "\\x{:02X}", u);
            ++i;
        } else {
            out.append(s.substr(i, n));
            i += n;
        }
    }
    if (cut != nullptr) {
        *cut = i < s.size();
    }
    if (i < s.size()) {
        out += "...";
    }
    return out;
}

namespace {
// The first byte of s that is not well-formed UTF-8, a control character (C0,
// DEL or C1) or, unless spaces are allowed, a space: why, or nullopt.
std::optional<std::string> bad_text_byte(std::string_view s, std::string_view what, bool spaces) {
    for (size_t i = 0; i < s.size();) {
        const auto c = static_cast<unsigned char>(s[i]);
        const size_t n = utf8_sequence_length(s.substr(i));
        if (n == 0) {
            return fmt::format("byte {} (0x{:02x}) is not valid UTF-8", i, c);
        }
        if (c == ' ' && !spaces) {
            return fmt::format("byte {} is a space; {} has none", i, what);
        }
        // C0 controls, DEL, and C1 controls (U+0080..U+009F: 0xc2 0x80..0x9f).
        const bool c1 = n == 2 && c == 0xc2 && static_cast<unsigned char>(s[i + 1]) <= 0x9f;
        if (c < 0x20 || c == 0x7f || c1) {
            return fmt::format("byte {} is a control character (U+{:04X}); {} has none", i,
                               c1 ? static_cast<unsigned char>(s[i + 1]) : c, what);
        }
        i += n;
    }
    return std::nullopt;
}
} // namespace

std::optional<std::string> valid_symbol(std::string_view s) {
    if (s.empty() || s.size() > max_symbol_bytes) {
        return fmt::format("a symbol is 1 to {} bytes long, this one is {}", max_symbol_bytes, s.size());
    }
    return bad_text_byte(s, "a symbol", false);
}

std::optional<std::string> valid_label(std::string_view s) {
    if (s.size() > max_label_bytes) {
        return fmt::format("it is at most {} bytes long, this one is {}", max_label_bytes, s.size());
    }
    return bad_text_byte(s, "it", true);
}

} // namespace mdsp::model
