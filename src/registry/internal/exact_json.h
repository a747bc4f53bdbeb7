#pragma once

#include <cstddef>
#include <string_view>
#include <system_error>

#include <boost/json/parse_options.hpp>
#include <boost/json/value.hpp>

namespace mdsp::registry::internal {

// json::parse, except that every number with a fraction or an exponent is
// read exactly (std::from_chars: the double nearest to its text). Boost.JSON
// 1.81 reads some of them a few ulps off (long mantissas, large exponents),
// so a schema's canonical text, read again, gave other numbers: another
// text, another identity for the same schema. Same syntax, same options,
// same errors (in ec) as json::parse, and one more: a number too large for a
// double is error::exponent_overflow (json::parse makes it infinity, which
// json::serialize writes as "Infinity": not JSON). A repeated key keeps the
// last value in the place of the first, as json::parse does.
boost::json::value parse_exact(std::string_view text, std::error_code& ec,
                               const boost::json::parse_options& options);

} // namespace mdsp::registry::internal
