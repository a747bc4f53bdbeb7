// libFuzzer target: Avro binary data as it comes out of a log, read with each
// model schema and with a recursive schema of every complex type. Whatever
// the bytes, the decoder answers a value or an error, within its bounds, and
// a value it answers serializes.
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include <boost/json/serialize.hpp>

#include "base/assert.h"
#include "model/schemas.h"
#include "registry/avro_json.h"

namespace {

const std::vector<mdsp::registry::avro::schema>& schemas() {
    using mdsp::registry::avro::schema;
    static const std::vector<schema> all = [] {
        std::vector<schema> s;
        for (auto text :
             {mdsp::model::tick_schema(), mdsp::model::candle_schema(), mdsp::model::dead_letter_schema(),
              std::string_view(R"({"type":"record","name":"N","fields":[
                              {"name":"a","type":{"type":"array","items":["null","N"]}},
                              {"name":"m","type":{"type":"map","values":"double"}},
                              {"name":"e","type":{"type":"enum","name":"E","symbols":["X","Y"]}},
                              {"name":"f","type":{"type":"fixed","name":"F","size":3}},
                              {"name":"b","type":"bytes"},{"name":"x","type":"float"},
                              {"name":"t","type":"boolean"},{"name":"i","type":"int"}]})")}) {
            auto p = schema::parse(text);
            MDSP_ASSERT(p.has_value(), "a fuzz schema does not parse");
            s.push_back(std::move(*p));
        }
        return s;
    }();
    return all;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string_view in(reinterpret_cast<const char*>(data), size);
    mdsp::registry::avro::json_limits lim;
    lim.max_values = 10'000;
    for (const auto& s : schemas()) {
        auto j = mdsp::registry::avro::to_json(s, in, lim);
        if (j) {
            (void)boost::json::serialize(*j);
        }
    }
    return 0;
}
