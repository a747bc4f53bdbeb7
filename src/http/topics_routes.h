#pragma once

#include <cstddef>

#include "http/server.h"
#include "http/topics.h"

namespace mdsp::http {

// The bounds of the Topics routes: no request can make them read or hold
// more than this (beyond one log batch, the unit the log reads in).
struct topics_limits {
    size_t max_messages = 100; // a message page's limit, at most
    size_t default_messages = 20;
    size_t max_page_bytes = size_t{1} << 20;    // read from the log per page, and key+value bytes answered
    size_t max_value_bytes = size_t{16} << 10;  // of each value shown (decoded or hex); longer ones are cut
    size_t max_letters = 100;                   // dead letters answered
    size_t letters_scanned_per_partition = 200; // the newest letters searched in each partition
};

// Adds the Topics view's JSON API (before start()):
//   GET /api/v1/topics                    {"source","topics":[{name,partitions:[..],messages,size_bytes}]}
//   GET /api/v1/topics/{topic}            one topic, with its partitions
//   GET /api/v1/topics/{topic}/messages?partition[&offset|&time][&limit]
//       {"topic","partition","start_offset","end_offset","messages":[..],"prev_offset","next_offset"}
//       Without offset and time the newest page. Each message: offset, timestamp, key, headers and
//       the value decoded with its schema from the registry (Confluent framing, Avro -> JSON), or
//       value_hex with decode_error when it does not decode.
//   GET /api/v1/groups                    consumer groups: members, committed offsets and lag
//   GET /api/v1/deadletters[?kind][&q][&limit]
//       the newest dead letters (kind, reason, origin), filtered by kind and a text in the
//       reason or origin, newest first.
// A bad partition, offset, time or limit is 400 {"error":"bad_parameter","parameter",
// "message"}; an unknown topic is 404 {"error":"unknown_topic","topic","message"}.
// src and the schemas must outlive the server; both are called from the workers.
void add_topics_routes(server& srv, topics::source& src, topics::schema_lookup schemas,
                       std::string deadletter_topic, topics_limits limits = {});

} // namespace mdsp::http
