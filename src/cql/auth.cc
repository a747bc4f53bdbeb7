// AUTHENTICATE and the SASL PLAIN answer of PasswordAuthenticator (4.1.2, 4.2.3).
#include "cql/internal/wire.h"
#include "cql/messages.h"

namespace mdsp::cql {

result<std::string> decode_authenticate(std::string_view body) {
    internal::reader r(body);
    auto name = r.string("authenticator class");
    if (!r.ok()) {
        return r.error("AUTHENTICATE");
    }
    return std::string(name);
}

std::string encode_plain_auth_response(std::string_view user, std::string_view password) {
    std::string token;
    token.reserve(2 + user.size() + password.size());
    token.push_back('\0');
    token.append(user);
    token.push_back('\0');
    token.append(password);
    internal::writer w;
    w.bytes(token);
    return w.take();
}

bool is_plain_authenticator(std::string_view name) {
    for (std::string_view known : {"org.apache.cassandra.auth.PasswordAuthenticator",
                                   "com.datastax.bdp.cassandra.auth.DseAuthenticator",
                                   "com.scylladb.auth.TransitionalAuthenticator", "PasswordAuthenticator"}) {
        if (name == known) {
            return true;
        }
    }
    return false;
}

} // namespace mdsp::cql
