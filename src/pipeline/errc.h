#pragma once

#include "base/result.h"

namespace mdsp::pipeline {

// Errors of the pipeline module: wiring the stages, data folders, positions.
enum class errc {
    io_error = 1,  // a data folder, checkpoint or position cannot be read or written
    corrupt_state, // the store or a checkpoint holds something this version cannot read
    bad_setting,   // the settings cannot work together (named in the message)
};

} // namespace mdsp::pipeline

MDSP_DECLARE_ERRC(mdsp::pipeline)
