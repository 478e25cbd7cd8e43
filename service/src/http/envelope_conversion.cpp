#include "http/envelope_conversion.hpp"

#include <algorithm>
#include <array>

#include <fmt/format.h>
#include <boost/beast/http/field.hpp>
#include <boost/beast/http/status.hpp>
#include <boost/beast/http/verb.hpp>

#include "http/legacy_path.hpp"
#include "http/route_table.hpp"
#include "version.hpp"

namespace hserver::service {
namespace bhttp = boost::beast::http;

namespace {

bool iequals(std::string_view a, std::string_view b) noexcept {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(), [](char x, char y) {
    auto lower = [](char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; };
    return lower(x) == lower(y);
  });
}

// Framing and connection management belong to this hop (RFC 9110 7.6.1); 1C cannot set them.
bool is_hop_by_hop_or_framing(std::string_view name) noexcept {
  static constexpr std::array<std::string_view, 8> kNames{"Connection", "Keep-Alive",    "Proxy-Connection",
                                                          "TE",         "Trailer",       "Transfer-Encoding",
                                                          "Upgrade",    "Content-Length"};
  return std::any_of(kNames.begin(), kNames.end(), [&](std::string_view n) { return iequals(n, name); });
}

// RFC 9110 5.6.2 token characters.
bool is_token(std::string_view name) noexcept {
  if (name.empty()) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
    return std::string_view{"!#$%&'*+-.^_`|~"}.find(c) != std::string_view::npos;
  });
}

// CR and LF would let a header value start a new header or end the head (response splitting).
// RFC 9110 5.5: VCHAR, obs-text, SP and HTAB. Other control characters are not only CR/LF injection
// risks: strict clients (Beast's parser among them) refuse the whole response. Found by tests/fuzz.
bool is_safe_field_value(std::string_view value) noexcept {
  return std::none_of(value.begin(), value.end(), [](char c) {
    const auto b = static_cast<unsigned char>(c);
    return (b < 0x20 && b != '\t') || b == 0x7F;
  });
}

std::string server_header() {
  return fmt::format("1chserver/{}", kVersion);
}

std::vector<Header> copy_headers(const HttpRequest& request) {
  std::vector<Header> headers;
  for (const auto& field : request.base()) {
    headers.push_back(Header{std::string{field.name_string()}, std::string{field.value()}});
  }
  return headers;
}

HttpResponse bad_gateway(std::string_view why, const ResponseContext& context) {
  ResponseContext plain = context;
  plain.mode = RouteMode::legacy;  // text/plain, no headers from 1C
  return to_http_response(make_error_envelope(502, why), plain);
}

}  // namespace

void remove_credential_headers(std::vector<Header>& headers) {
  std::erase_if(headers, [](const Header& header) {
    return iequals(header.name, "Authorization") || iequals(header.name, "Proxy-Authorization") ||
           iequals(header.name, "Cookie");
  });
}

ResponseEnvelope make_error_envelope(std::uint16_t status, std::string_view why) {
  ResponseEnvelope response;
  response.status = status;
  response.body = fmt::format("Error: {}", why);
  return response;
}

EnvelopeOrRefusal to_request_envelope(HttpRequest request, RouteMode mode, std::string remote_address,
                                      std::string_view path_prefix) {
  RequestEnvelope envelope;
  envelope.mode = mode;
  envelope.method = std::string{request.method_string()};
  envelope.target = std::string{request.target()};
  envelope.remote_address = std::move(remote_address);
  envelope.headers = copy_headers(request);

  if (mode == RouteMode::http) {
    envelope.body = std::move(request.body());
    return envelope;
  }

  if (request.method() != bhttp::verb::get && request.method() != bhttp::verb::head) {
    ResponseEnvelope refusal = make_error_envelope(405, "method not allowed");
    refusal.headers.push_back(Header{"Allow", "GET, HEAD"});
    return Unexpected{std::move(refusal)};
  }
  auto code = decode_legacy_target(target_after_prefix(request.target(), path_prefix));
  if (!code) return Unexpected{make_error_envelope(400, code.error())};
  envelope.body = std::move(*code);
  return envelope;
}

HttpResponse to_http_response(ResponseEnvelope envelope, const ResponseContext& context) {
  // 1xx cannot be a final response, and Beast throws on codes above 999.
  if (envelope.status < 200 || envelope.status > 599) {
    return bad_gateway(fmt::format("1C answered with an invalid status code {}", envelope.status), context);
  }
  for (const Header& header : envelope.headers) {
    if (!is_token(header.name)) {
      return bad_gateway(fmt::format("1C answered with an invalid header name \"{}\"", header.name), context);
    }
    if (!is_safe_field_value(header.value)) {
      return bad_gateway(fmt::format("1C answered with an invalid value of header \"{}\"", header.name), context);
    }
  }

  HttpResponse response{static_cast<bhttp::status>(envelope.status), context.version};
  bool has_server = false;
  for (Header& header : envelope.headers) {
    if (is_hop_by_hop_or_framing(header.name)) continue;
    if (context.mode == RouteMode::legacy && iequals(header.name, "Content-Type")) continue;
    has_server = has_server || iequals(header.name, "Server");
    response.insert(header.name, header.value);
  }
  if (!has_server) response.set(bhttp::field::server, server_header());
  if (context.mode == RouteMode::legacy) {
    response.set(bhttp::field::content_type, "text/plain; charset=utf-8");
  }
  response.keep_alive(context.keep_alive);

  // 204 and 304 carry no body by definition (RFC 9110 15.3.5, 15.4.5).
  const bool body_forbidden = envelope.status == 204 || envelope.status == 304;
  if (body_forbidden) {
    envelope.body.clear();
  } else {
    response.content_length(envelope.body.size());
  }
  if (!context.head) response.body() = std::move(envelope.body);
  return response;
}

std::string format_endpoint(const boost::asio::ip::tcp::endpoint& endpoint) {
  const auto address = endpoint.address();
  if (address.is_v6()) return fmt::format("[{}]:{}", address.to_string(), endpoint.port());
  return fmt::format("{}:{}", address.to_string(), endpoint.port());
}

}  // namespace hserver::service
