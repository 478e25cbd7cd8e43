#include "support/http_client.hpp"

#include <strings.h>
#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

namespace hserver::test {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;

std::string HttpReply::header(const std::string& name) const {
  for (const auto& [n, v] : headers) {
    if (strcasecmp(n.c_str(), name.c_str()) == 0) return v;
  }
  return {};
}

HttpReply http_request(unsigned short port, const std::string& method, const std::string& target,
                       const std::string& body, std::vector<std::pair<std::string, std::string>> headers,
                       std::chrono::milliseconds timeout) {
  HttpReply reply;
  try {
    net::io_context io;
    beast::tcp_stream stream(io);
    stream.expires_after(timeout);
    stream.connect(net::ip::tcp::endpoint(net::ip::make_address("127.0.0.1"), port));
    http::request<http::string_body> req(http::string_to_verb(method), target, 11);
    req.set(http::field::host, "127.0.0.1");
    for (auto& [n, v] : headers) req.set(n, v);
    if (!body.empty() || method == "POST" || method == "PUT") {
      req.body() = body;
      req.prepare_payload();
    }
    http::write(stream, req);
    beast::flat_buffer buffer;
    http::response_parser<http::string_body> parser;
    parser.body_limit(1ull << 30);
    http::read(stream, buffer, parser);
    auto& res = parser.get();
    reply.status = static_cast<int>(res.result_int());
    reply.body = std::move(res.body());
    for (const auto& f : res) reply.headers.emplace_back(std::string(f.name_string()), std::string(f.value()));
  } catch (const std::exception& e) {
    reply.status = 0;
    reply.error = e.what();
  }
  return reply;
}

std::string legacy_target(const std::string& code) {
  static const char* hex = "0123456789ABCDEF";
  std::string out = "/";
  for (const unsigned char c : code) {
    if (c == '+') {
      out += "&&";
    } else if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
               c == '.' || c == '~' || c == '/') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

}  // namespace hserver::test
