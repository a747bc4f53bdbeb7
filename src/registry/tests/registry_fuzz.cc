// libFuzzer target: schema registry requests as they come off the wire. The
// first line of the input is a request target, the rest a request body; both
// go through the path splitter, the body decoders and the Avro schema parser,
// and a parsed schema is checked against itself and the model schemas.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "base/assert.h"
#include "model/schemas.h"
#include "registry/avro_schema.h"
#include "registry/request.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using namespace mdsp::registry;
    const std::string_view in(reinterpret_cast<const char*>(data), size);
    auto nl = in.find('\n');
    std::string_view target = in.substr(0, nl);
    std::string_view body = nl == std::string_view::npos ? std::string_view{} : in.substr(nl + 1);

    if (auto segs = split_path(target)) {
        MDSP_ASSERT(segs->size() <= max_path_segments, "{} segments", segs->size());
        for (const auto& s : *segs) {
            MDSP_ASSERT(!s.empty(), "an empty segment");
        }
        if (segs->size() > 2) {
            (void)parse_schema_id((*segs)[2]);
        }
    }
    (void)parse_config_body(body);
    auto b = parse_schema_body(body);
    // The body as a schema body, or else the whole body as a schema text.
    std::string text =
        std::holds_alternative<schema_body>(b) ? std::get<schema_body>(b).schema : std::string(body);
    auto s = avro::schema::parse(text);
    if (!s) {
        MDSP_ASSERT(!s.error().what().empty(), "an error without a message");
        return 0;
    }
    MDSP_ASSERT(!s->nodes().empty(), "a schema without types");
    // Canonical text is a fixed point: parsing it gives the same canonical text.
    auto again = avro::schema::parse(s->canonical());
    MDSP_ASSERT(again.has_value() && again->canonical() == s->canonical(),
                "canonical text does not re-parse");
    auto self = avro::can_read(*s, *s);
    MDSP_ASSERT(self.compatible, "a schema cannot read its own data: {}",
                self.messages.empty() ? "" : self.messages.front());
    static const auto tick = *avro::schema::parse(mdsp::model::tick_schema());
    (void)avro::can_read(*s, tick);
    (void)avro::can_read(tick, *s);
    return 0;
}
