#include "testing/http_client.h"

namespace mdsp::http::testing {

client::client(uint16_t port)
  : _stream(_ioc) {
    _stream.connect(boost::asio::ip::tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), port));
}

reply client::request(boost::beast::http::verb method, const std::string& target,
                      const std::vector<std::pair<std::string, std::string>>& headers, std::string body) {
    namespace bhttp = boost::beast::http;
    bhttp::request<bhttp::string_body> req(method, target, 11);
    req.set(bhttp::field::host, "127.0.0.1");
    for (const auto& [k, v] : headers) {
        req.set(k, v);
    }
    if (!body.empty()) {
        req.body() = std::move(body);
        req.prepare_payload();
    }
    bhttp::write(_stream, req);
    reply r;
    bhttp::response_parser<bhttp::string_body> parser;
    parser.body_limit(64 * 1024 * 1024);
    parser.skip(method == bhttp::verb::head);
    bhttp::read(_stream, _buffer, parser);
    r.raw = parser.release();
    r.status = r.raw.result_int();
    r.content_type = std::string(r.raw[bhttp::field::content_type]);
    r.body = r.raw.body();
    return r;
}

reply get(uint16_t port, const std::string& target) {
    return client(port).get(target);
}

} // namespace mdsp::http::testing
