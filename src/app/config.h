#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "base/result.h"
#include "pipeline/config.h"

namespace mdsp::app {

enum class errc {
    bad_config = 1,
    bad_flag,
    io_error,
};

// The settings live in pipeline/config.h (the stages take them); app/ loads
// them from the file, the environment and the flags.
using config = pipeline::config;

// One documented setting: its TOML path ("http.port"), environment variable,
// help text and current value as text. Used by --help and by errors.
struct setting_info {
    std::string path;
    std::string env;
    std::string help;
    std::string value;
};
std::vector<setting_info> describe(const config& c);

// Applies the TOML file at path onto c. Unknown keys and bad values are
// errors that name the key, the file and line, and what is accepted.
result<void> load_file(config& c, const std::string& path);
// Applies MDSP_* variables from the environment onto c.
result<void> load_env(config& c);
// Sets one setting by its path from text, as a flag or variable would.
result<void> set(config& c, const std::string& path, const std::string& value);

} // namespace mdsp::app

MDSP_DECLARE_ERRC(mdsp::app)
