// Bytes from a client, through what a session does with them: Beast's request parser with the service's
// limits (pipelined requests one after another), the route prefix match, to_request_envelope for a
// legacy and an http route, the envelope codec, and to_http_response for a refusal.
// Properties: http routes pass method, target, every header in order and the body unchanged; legacy
// routes take GET/HEAD only (else 405 with Allow) and carry exactly what decode_legacy_target gives, which
// is valid UTF-8 (else 400 with its reason); every envelope survives encode -> decode unchanged and
// re-encodes to the same bytes; every refusal becomes a valid HTTP response.

#include <cstddef>
#include <cstdint>
#include <iterator>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/buffer.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>

#include "config.hpp"
#include "fuzz_support.hpp"
#include "hserver/common/envelope.hpp"
#include "hserver/common/utf.hpp"
#include "http/envelope_conversion.hpp"
#include "http/legacy_path.hpp"
#include "http/route_table.hpp"
#include "http_check.hpp"

namespace {

namespace bhttp = boost::beast::http;
using namespace hserver;
using namespace hserver::service;

constexpr std::string_view kRemote = "127.0.0.1:53122";

void check_round_trip(RequestEnvelope envelope, std::uint64_t id) {
  envelope.id = id;
  std::vector<std::byte> bytes;
  encode(envelope, bytes);
  auto decoded = decode_request(bytes);
  FUZZ_CHECK(decoded.has_value());
  FUZZ_CHECK(*decoded == envelope);
  std::vector<std::byte> again;
  encode(*decoded, again);
  FUZZ_CHECK(again == bytes);
}

void check_refusal(const ResponseEnvelope& refusal, const HttpRequest& request, RouteMode mode) {
  FUZZ_CHECK(refusal.body.starts_with("Error: "));
  const ResponseContext context{mode, request.version(), request.keep_alive(), request.method() == bhttp::verb::head};
  fuzz::check_http_response(refusal, context);
}

void check_http_route(const HttpRequest& request, std::string_view prefix) {
  auto converted = to_request_envelope(request, RouteMode::http, std::string(kRemote), prefix);
  FUZZ_CHECK(converted.has_value());
  const RequestEnvelope& envelope = *converted;
  FUZZ_CHECK(envelope.id == 0);
  FUZZ_CHECK(envelope.mode == RouteMode::http);
  FUZZ_CHECK(envelope.method == request.method_string());
  FUZZ_CHECK(envelope.target == request.target());
  FUZZ_CHECK(envelope.remote_address == kRemote);
  FUZZ_CHECK(envelope.body == request.body());
  FUZZ_CHECK(envelope.headers.size() == static_cast<std::size_t>(std::distance(request.begin(), request.end())));
  std::size_t i = 0;
  for (const auto& field : request) {
    FUZZ_CHECK(envelope.headers[i].name == field.name_string());
    FUZZ_CHECK(envelope.headers[i].value == field.value());
    ++i;
  }
  check_round_trip(envelope, request.body().size() + 1);
}

void check_legacy_route(const HttpRequest& request, std::string_view prefix) {
  auto converted = to_request_envelope(request, RouteMode::legacy, std::string(kRemote), prefix);
  if (request.method() != bhttp::verb::get && request.method() != bhttp::verb::head) {
    FUZZ_CHECK(!converted.has_value());
    const ResponseEnvelope& refusal = converted.error();
    FUZZ_CHECK(refusal.status == 405);
    FUZZ_CHECK((refusal.headers == std::vector<Header>{Header{"Allow", "GET, HEAD"}}));
    check_refusal(refusal, request, RouteMode::legacy);
    return;
  }
  const auto code = decode_legacy_target(target_after_prefix(request.target(), prefix));
  if (!code) {
    FUZZ_CHECK(!converted.has_value());
    FUZZ_CHECK(converted.error().status == 400);
    FUZZ_CHECK(converted.error().body == "Error: " + code.error());
    check_refusal(converted.error(), request, RouteMode::legacy);
    return;
  }
  FUZZ_CHECK(converted.has_value());
  const RequestEnvelope& envelope = *converted;
  FUZZ_CHECK(envelope.mode == RouteMode::legacy);
  FUZZ_CHECK(envelope.body == *code);
  FUZZ_CHECK(is_valid_utf8(envelope.body));
  FUZZ_CHECK(envelope.target == request.target());
  check_round_trip(envelope, ~std::uint64_t{0} - request.target().size());
}

void check_request(const HttpRequest& request) {
  // Routes on one port as RouteTable orders them, longest prefix first; none matching is the 404 path.
  for (const std::string_view prefix : {"/api", "/"}) {
    if (!target_has_prefix(request.target(), prefix)) continue;
    check_http_route(request, prefix);
    check_legacy_route(request, prefix);
    break;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const HttpLimits limits;
  std::string_view rest = hserver::fuzz::as_text(data, size);
  // Pipelined requests, each with a fresh parser as the session does, until the bytes run out or fail.
  for (int requests = 0; requests < 8 && !rest.empty(); ++requests) {
    bhttp::request_parser<bhttp::string_body> parser;
    parser.eager(true);
    parser.header_limit(static_cast<std::uint32_t>(limits.header_limit));
    parser.body_limit(limits.body_limit);
    boost::beast::error_code ec;
    while (!rest.empty() && !parser.is_done()) {
      const std::size_t used = parser.put(boost::asio::buffer(rest.data(), rest.size()), ec);
      rest.remove_prefix(used);
      if (ec || used == 0) break;
    }
    if (ec == bhttp::error::need_more || (!ec && !parser.is_done())) {
      ec = {};
      parser.put_eof(ec);  // the client closed: a body delimited by the end of the stream ends here
    }
    if (ec || !parser.is_done()) break;
    check_request(parser.release());
  }
  return 0;
}
