#pragma once

#include <string>

#include <boost/json/value.hpp>

namespace mdsp::http {

// JSON text of v, like boost::json::serialize but with doubles in their
// shortest round-trip decimal form ("61487.6", "0.00141342", "1482"), which
// is what people and charting code expect; NaN and infinities become null.
std::string to_json(const boost::json::value& v);

} // namespace mdsp::http
