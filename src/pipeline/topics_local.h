#pragma once

#include <string>

#include "http/topics.h"
#include "log/log.h"
#include "store/store.h"

namespace mdsp::pipeline {

// The Topics view over the embedded log (mdsp up, serve, process without
// --kafka): topics and partitions from log::log, records read from its
// segments, groups from what the embedded log keeps: the process stage's
// positions in the store (group "mdsp-process", pos/market.ticks/<p>, the
// same atomic write as its candles) and the offsets local consumers commit
// under <log>/__consumer_offsets/ (e.g. mdsp deadletters' group).
//
// Threads: every method is thread-safe (the log's and the store's reads
// are); the HTTP workers call it concurrently. The log and the store must
// outlive it.
class local_topics final : public http::topics::source {
public:
    // st may be null (no process-stage group then); process_here says that
    // this process runs the process stage, its one member.
    local_topics(log::log& l, store::store* st, bool process_here)
      : _log(l)
      , _store(st)
      , _process_here(process_here) {}

    std::string_view kind() const override { return "embedded"; }
    result<std::vector<http::topics::topic_info>> list_topics() override;
    result<http::topics::topic_info> describe_topic(std::string_view name) override;
    result<std::vector<http::topics::group_info>> list_groups() override;
    result<std::vector<http::topics::message>> read(const http::topics::read_request& r) override;
    // A binary search over the batches' max timestamps, one batch read per
    // step: the first offset at or after ts_ms when timestamps grow with
    // offsets (Kafka's time index assumes the same).
    result<int64_t> offset_for_time(std::string_view topic, int32_t partition, int64_t ts_ms) override;

private:
    log::log& _log;
    store::store* _store;
    bool _process_here;
};

} // namespace mdsp::pipeline
