#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "base/result.h"
#include "registry/errc.h"

// A small client of a Confluent-compatible schema registry (Confluent's,
// Redpanda's, Apicurio's ccompat API, or mdsp's own): register a schema and
// look ids up, over plain HTTP.
namespace mdsp::registry {

// Threads: one object per thread (each call opens its own connection, so
// calls are independent; registrations are rare and ids are cached by the
// caller). Every answer is bounded to 2 MiB.
class client {
public:
    // url: "http://host:port" with an optional base path ("http://h:8081/sr").
    static result<client> create(std::string_view url,
                                 std::chrono::milliseconds timeout = std::chrono::seconds(10));

    // POST /subjects/{subject}/versions: the schema's id (the same id when it
    // is registered already; errc::refused with 409 when incompatible).
    result<int32_t> register_schema(std::string_view subject, std::string_view schema) const;
    // POST /subjects/{subject}: the id of a schema already under the subject.
    result<int32_t> lookup(std::string_view subject, std::string_view schema) const;
    // GET /schemas/ids/{id}: the schema's text.
    result<std::string> schema_by_id(int32_t id) const;

    const std::string& host() const noexcept { return _host; }
    uint16_t port() const noexcept { return _port; }

private:
    struct reply {
        unsigned status = 0;
        std::string body;
    };
    result<reply> call(std::string_view method, const std::string& target, const std::string& body) const;
    result<int32_t> id_from(std::string_view method, const std::string& target,
                            std::string_view schema) const;

    std::string _host;
    uint16_t _port = 80;
    std::string _base; // path prefix without a trailing '/'
    std::chrono::milliseconds _timeout{10'000};
};

// The ids of the model's schemas in a registry: registers tick, candle and
// dead-letter schemas (model/schemas.h) under market.ticks-value,
// market.candles-value and market.deadletter-value (a no-op when they are
// there already) and returns the ids the registry gave them. Against mdsp's
// own registry these are the pinned 1, 2, 3.
struct model_schema_ids {
    int32_t tick = 0;
    int32_t candle = 0;
    int32_t dead_letter = 0;
};
result<model_schema_ids> register_model_schemas(const client& c);

} // namespace mdsp::registry
