// Runs a libFuzzer entry point over every file of the corpus folders (and
// files) named on the command line, once each: the corpus and any crashers
// found become ordinary regression tests.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace {
int run_file(const std::filesystem::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
    return 1;
}
} // namespace

int main(int argc, char** argv) {
    int files = 0;
    for (int i = 1; i < argc; ++i) {
        std::filesystem::path p(argv[i]);
        if (std::filesystem::is_directory(p)) {
            std::vector<std::filesystem::path> all;
            for (const auto& e : std::filesystem::recursive_directory_iterator(p)) {
                if (e.is_regular_file()) {
                    all.push_back(e.path());
                }
            }
            std::sort(all.begin(), all.end());
            for (const auto& f : all) {
                files += run_file(f);
            }
        } else if (std::filesystem::exists(p)) {
            files += run_file(p);
        } else {
            std::fprintf(stderr, "fuzz replay: %s does not exist\n", argv[i]);
            return 2;
        }
    }
    std::printf("fuzz replay: %d inputs ran without a crash\n", files);
    return files > 0 ? 0 : 3;
}
