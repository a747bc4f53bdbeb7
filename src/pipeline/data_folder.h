#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "base/result.h"
#include "log/log.h"
#include "pipeline/config.h"
#include "store/rocks_store.h"

// A data folder (`--data-dir`): log/ (the embedded bus), store/ (RocksDB),
// ingest/ (source checkpoints), registry/ (schemas). One process owns it.
namespace mdsp::pipeline {

// The store of cfg.data_dir (the folder is created when missing), with the
// store settings of cfg. Every command that owns a data folder opens it so.
// The store the configuration names: the embedded RocksDB store in the data
// folder, or Cassandra (store.uri = cassandra://...).
result<std::unique_ptr<store::store>> open_store(const config& cfg);

// The log of cfg.data_dir with market.ticks (log.partitions, for a new log)
// and market.deadletter.
result<std::unique_ptr<log::log>> open_log(const config& cfg);

// The checkpoint file of a source id inside data_dir.
std::string checkpoint_path_for(const std::string& data_dir, const std::string& source_id);

// State key of a partition of market.ticks' next offset to read.
std::string position_key(int32_t partition);

// Offsets and times in the state table: 8-byte big-endian.
std::string be64(int64_t v);
int64_t from_be64(std::string_view s);

} // namespace mdsp::pipeline
