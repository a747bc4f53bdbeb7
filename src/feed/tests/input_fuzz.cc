// libFuzzer target: the replay's file reader (internal/input.h) on arbitrary
// bytes, gzip or not. The first byte picks the read sizes; the rest is the
// file. Besides not crashing: no read returns more than its room, a read
// after an error fails again, the end stays the end, and a seek back to the
// start reads the same data again.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include <unistd.h>

#include "feed/internal/input.h"

namespace {

void check(bool ok) {
    if (!ok) {
        std::abort();
    }
}

const std::string& scratch_path() {
    static const std::string path = [] {
        const char* tmp = std::getenv("TMPDIR");
        return std::string(tmp && *tmp ? tmp : "/tmp") + "/mdsp_input_fuzz_" + std::to_string(::getpid());
    }();
    return path;
}

// The whole data of the file, or what came before an error; at most `cap`
// bytes (a small gzip may inflate to gigabytes).
struct reading {
    std::string data;
    bool error = false;
};

reading read_all(mdsp::feed::internal::input_file& in, size_t room, size_t cap) {
    using status = mdsp::feed::internal::input_file::status;
    reading r;
    std::vector<char> buf(room);
    for (int idle = 0; r.data.size() < cap && idle < 1000;) {
        size_t got = 0;
        const auto st = in.read(buf.data(), buf.size(), 0, got);
        check(got <= room);
        if (st == status::data) {
            check(got > 0);
            r.data.append(buf.data(), got);
            idle = 0;
        } else if (st == status::eof) {
            check(in.read(buf.data(), buf.size(), 0, got) == status::eof && got == 0);
            break;
        } else if (st == status::error) {
            check(!in.error().empty());
            check(in.read(buf.data(), buf.size(), 0, got) == status::error && got == 0);
            r.error = true;
            break;
        } else {
            ++idle; // a regular file is always readable; inflate may still need calls
        }
    }
    return r;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size == 0) {
        return 0;
    }
    constexpr size_t rooms[] = {1, 2, 7, 64, 4096, 300'000};
    const size_t room = rooms[data[0] % std::size(rooms)];
    const std::string& path = scratch_path();
    if (FILE* f = std::fopen(path.c_str(), "wb")) {
        std::fwrite(data + 1, 1, size - 1, f);
        std::fclose(f);
    } else {
        std::abort();
    }
    // Enough to check what a small file inflates to, few enough calls at room 1.
    const size_t cap = std::min<size_t>(8 << 20, room * 65'536);
    mdsp::feed::internal::input_file in;
    std::string error;
    check(in.open(path, error));
    const reading first = read_all(in, room, cap);
    if (!in.gzip() && size - 1 < cap) {
        // Plain bytes come through as they are.
        check(!first.error && first.data == std::string(reinterpret_cast<const char*>(data + 1), size - 1));
    }
    if (!first.error && first.data.size() < cap) {
        // The data again from the start, and from its middle.
        char before = 0;
        bool at_end = false;
        using seek_status = mdsp::feed::internal::input_file::seek_status;
        check(in.seek(0, before, at_end) == seek_status::ok && at_end == first.data.empty());
        const reading again = read_all(in, room, cap);
        check(!again.error && again.data == first.data);
        const auto mid = static_cast<int64_t>(first.data.size() / 2);
        if (mid > 0) {
            check(in.seek(mid, before, at_end) == seek_status::ok
                  && before == first.data[static_cast<size_t>(mid) - 1]);
            const reading rest = read_all(in, room, cap);
            check(!rest.error && rest.data == first.data.substr(static_cast<size_t>(mid)));
        }
        check(in.seek(static_cast<int64_t>(first.data.size()) + 1, before, at_end) == seek_status::past_end);
    }
    ::unlink(path.c_str());
    return 0;
}
