// What 1C answers, as the service turns it into HTTP: a ResponseEnvelope decoded from the fuzz bytes (as
// it arrives over the channel) or, when they do not decode, built field by field from them, through
// to_http_response under every ResponseContext. Properties (http_check.hpp): an envelope that cannot go
// out as valid HTTP becomes 502 "Error: ..."; otherwise status, headers (less hop-by-hop ones) and body
// pass; Content-Length is right; the bytes on the wire parse back as exactly one identical response.
//
// Input: one byte of context flags (bit 0 http route, bit 1 HTTP/1.0, bit 2 Connection: close, bit 3
// HEAD request), then an encoded ResponseEnvelope.

#include <cstddef>
#include <cstdint>
#include <span>

#include "fuzz_support.hpp"
#include "hserver/common/envelope.hpp"
#include "http/envelope_conversion.hpp"
#include "http_check.hpp"

namespace {

using namespace hserver;

/// When the bytes are no envelope: status, then (name, value) pairs, then the body.
ResponseEnvelope build(fuzz::Input& in) {
  ResponseEnvelope envelope;
  envelope.status = in.integer<std::uint16_t>();
  const unsigned headers = in.byte() % 8;
  for (unsigned i = 0; i < headers; ++i) {
    const auto name = in.bytes(in.byte() % 32);
    const auto value = in.bytes(in.byte() % 64);
    envelope.headers.push_back(Header{std::string(name), std::string(value)});
  }
  envelope.body = std::string(in.rest());
  return envelope;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  fuzz::Input in(data, size);
  const std::uint8_t flags = in.byte();
  service::ResponseContext context;
  context.mode = (flags & 1) != 0 ? RouteMode::http : RouteMode::legacy;
  context.version = (flags & 2) != 0 ? 10 : 11;
  context.keep_alive = (flags & 4) == 0;
  context.head = (flags & 8) != 0;

  const std::size_t offset = size - in.remaining();
  auto decoded = decode_response(std::as_bytes(std::span(data + offset, size - offset)));
  const ResponseEnvelope envelope = decoded ? std::move(*decoded) : build(in);
  fuzz::check_http_response(envelope, context);
  return 0;
}
