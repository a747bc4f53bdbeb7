#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace mdsp::http {

// The messages waiting to be written to one live (WebSocket) client, with
// fixed bounds so that a client that reads slowly or not at all costs the
// server a bounded amount of memory:
// - "must" messages (final candles, replies to the client) are kept in order
//   and never dropped; push_must() refuses one more than max_must, and the
//   caller then closes the client instead of letting the queue grow;
// - updates (forming candles, latest prices) are coalesced by key, the newest
//   replacing the one waiting, so a slow client skips intermediate states;
//   beyond max_updates keys the oldest key's update is dropped.
// pop() gives the must messages first, then updates oldest key first. A
// final candle supersedes the waiting update of the same window (its key),
// so a forming state never follows the final of its window.
//
// Not thread-safe: the owner locks around it.
class live_queue {
public:
    using message = std::shared_ptr<const std::string>;

    live_queue(size_t max_must, size_t max_updates)
      : _max_must(max_must)
      , _max_updates(max_updates) {}

    // False (and nothing queued) when max_must messages are waiting already.
    bool push_must(message m, std::string_view supersedes = {}) {
        if (_must.size() >= _max_must) {
            return false;
        }
        if (!supersedes.empty()) {
            if (auto it = _updates.find(std::string(supersedes)); it != _updates.end()) {
                _bytes -= it->second->size();
                _updates.erase(it); // its key stays in _order and is skipped by pop()
            }
        }
        _bytes += m->size();
        _must.push_back(std::move(m));
        return true;
    }

    void push_update(const std::string& key, message m) {
        if (auto it = _updates.find(key); it != _updates.end()) {
            _bytes += m->size();
            _bytes -= it->second->size();
            it->second = std::move(m);
            ++_coalesced;
            return;
        }
        while (_updates.size() >= _max_updates && !_order.empty()) {
            auto old = _updates.find(_order.front());
            _order.pop_front();
            if (old != _updates.end()) {
                _bytes -= old->second->size();
                _updates.erase(old);
                ++_dropped;
            }
        }
        compact();
        _bytes += m->size();
        _updates.emplace(key, std::move(m));
        _order.push_back(key);
    }

    std::optional<message> pop() {
        if (!_must.empty()) {
            auto m = std::move(_must.front());
            _must.pop_front();
            _bytes -= m->size();
            return m;
        }
        while (!_order.empty()) {
            auto it = _updates.find(_order.front());
            _order.pop_front();
            if (it != _updates.end()) {
                auto m = std::move(it->second);
                _updates.erase(it);
                _bytes -= m->size();
                return m;
            }
        }
        return std::nullopt;
    }

    void clear() {
        _must.clear();
        _updates.clear();
        _order.clear();
        _bytes = 0;
    }

    bool empty() const noexcept { return _must.empty() && _updates.empty(); }
    size_t must_size() const noexcept { return _must.size(); }
    size_t updates_size() const noexcept { return _updates.size(); }
    // Payload bytes waiting.
    size_t bytes() const noexcept { return _bytes; }
    // Updates replaced by a newer one of the same key; dropped for room.
    uint64_t coalesced() const noexcept { return _coalesced; }
    uint64_t dropped() const noexcept { return _dropped; }

private:
    // Keys of superseded updates linger in _order until popped; keep that
    // list within twice the bound.
    void compact() {
        if (_order.size() < 2 * _max_updates + 16) {
            return;
        }
        std::deque<std::string> live;
        for (auto& k : _order) {
            if (_updates.contains(k)) {
                live.push_back(std::move(k));
            }
        }
        _order = std::move(live);
    }

    size_t _max_must;
    size_t _max_updates;
    std::deque<message> _must;
    std::unordered_map<std::string, message> _updates;
    std::deque<std::string> _order; // keys in the order they first came
    size_t _bytes = 0;
    uint64_t _coalesced = 0;
    uint64_t _dropped = 0;
};

} // namespace mdsp::http
