#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

// Token-aware routing: Cassandra's Murmur3Partitioner token of a partition
// key and the ring of token owners. Pure values; no I/O, not thread-safe
// beyond const use (the session rebuilds a ring and swaps it in whole).
namespace mdsp::cql {

// MurmurHash3 x64-128 (seed 0) of the key, first half, as Cassandra's
// Murmur3Partitioner computes it: including its quirk of sign-extending the
// tail bytes, and mapping INT64_MIN (reserved as the ring's minimum) to
// INT64_MAX. Empty keys hash to 0 here; Cassandra gives them the minimum token.
int64_t murmur3_token(std::string_view key);

// The serialized partition key of a table: one component as its bytes; a
// composite key as each component's <u16 length><bytes><0x00>.
std::string partition_key(const std::vector<std::string_view>& components);

// Tokens and their owners (hosts by index into the session's host list). The
// replicas of a token are found walking the ring clockwise from the first
// token >= it; the first owner met is a replica under every strategy.
class token_ring {
public:
    void add(int64_t token, size_t host) { _owners[token] = host; }
    bool empty() const noexcept { return _owners.empty(); }
    size_t size() const noexcept { return _owners.size(); }
    // Distinct hosts in ring order starting at the owner of token.
    std::vector<size_t> walk(int64_t token, size_t max_hosts) const;

private:
    std::map<int64_t, size_t> _owners;
};

} // namespace mdsp::cql
