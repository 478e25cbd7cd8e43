#pragma once
/// @brief The properties of to_http_response, shared by the HTTP fuzzers: whatever the envelope holds,
/// the response is valid HTTP/1.1 that a parser reads back whole (no response splitting, no trailing
/// bytes), with the status, headers and body the documentation promises.

#include <algorithm>
#include <sstream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/asio/buffer.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

#include "fuzz_support.hpp"
#include "hserver/common/envelope.hpp"
#include "http/envelope_conversion.hpp"

namespace hserver::fuzz {

inline std::string lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

/// Field values lose their surrounding spaces and tabs on the wire (RFC 9110 5.5).
inline std::string_view trim(std::string_view value) {
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
  while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.remove_suffix(1);
  return value;
}

inline bool is_framing_or_hop_by_hop(std::string_view name) {
  const std::string n = lower(name);
  return n == "connection" || n == "keep-alive" || n == "proxy-connection" || n == "te" || n == "trailer" ||
         n == "transfer-encoding" || n == "upgrade" || n == "content-length";
}

/// Whether to_http_response refuses every control character in a header value but HTAB (RFC 9110 5.5:
/// field values are VCHAR, obs-text, SP and HTAB), not only CR, LF and NUL as it does now. A value with,
/// say, 0x04 goes out as is, and strict clients (Beast's own parser among them) reject the response:
/// corpus/http_response/regression-ctl-in-header-value.bin. Set to true once envelope_conversion.cpp
/// refuses them; until then such responses are not read back from the wire.
inline constexpr bool kRefusesAllControls = true;

inline bool has_control(std::string_view value, bool all) {
  return std::any_of(value.begin(), value.end(), [&](char c) {
    const auto b = static_cast<unsigned char>(c);
    if (b == '\r' || b == '\n' || b == 0) return true;
    return all && ((b < 0x20 && b != '\t') || b == 0x7F);
  });
}

/// The envelope could go out as it is: status 200..599, header names tokens, values free of controls.
inline bool sendable(const ResponseEnvelope& envelope) {
  if (envelope.status < 200 || envelope.status > 599) return false;
  return std::all_of(envelope.headers.begin(), envelope.headers.end(), [](const Header& h) {
    return reference_is_token(h.name) && !has_control(h.value, kRefusesAllControls);
  });
}

inline std::vector<std::pair<std::string, std::string>> fields_of(const service::HttpResponse& response) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& field : response.base()) out.emplace_back(lower(field.name_string()), trim(field.value()));
  return out;
}

/// Converts `envelope` as the session does and checks the result, down to the bytes on the wire.
inline void check_http_response(const ResponseEnvelope& envelope, const service::ResponseContext& context) {
  namespace bhttp = boost::beast::http;
  const bool ok = sendable(envelope);
  // Exceptions are not caught: one escaping to_http_response is a bug the fuzzer must report.
  service::HttpResponse response = service::to_http_response(envelope, context);

  const unsigned status = response.result_int();
  FUZZ_CHECK(status == (ok ? envelope.status : 502u));
  FUZZ_CHECK(response.version() == context.version);
  FUZZ_CHECK(response.keep_alive() == context.keep_alive);
  FUZZ_CHECK(response.count(bhttp::field::transfer_encoding) == 0);
  FUZZ_CHECK(response.count(bhttp::field::server) >= 1);
  if (context.mode == RouteMode::legacy || !ok) {
    FUZZ_CHECK(response.count(bhttp::field::content_type) == 1);
    FUZZ_CHECK(response[bhttp::field::content_type] == "text/plain; charset=utf-8");
  }
  const bool body_forbidden = status == 204 || status == 304;
  if (context.head || body_forbidden) FUZZ_CHECK(response.body().empty());
  if (body_forbidden) {
    FUZZ_CHECK(response.count(bhttp::field::content_length) == 0);
  } else {
    FUZZ_CHECK(response.count(bhttp::field::content_length) == 1);
    if (ok) {
      FUZZ_CHECK(response[bhttp::field::content_length] == std::to_string(envelope.body.size()));
      if (!context.head) FUZZ_CHECK(response.body() == envelope.body);
    } else if (!context.head) {
      FUZZ_CHECK(response.body().starts_with("Error: "));
      FUZZ_CHECK(response[bhttp::field::content_length] == std::to_string(response.body().size()));
    }
  }
  if (ok) {
    // Every header 1C gave that is ours to pass on reaches the response.
    auto present = fields_of(response);
    for (const Header& header : envelope.headers) {
      if (is_framing_or_hop_by_hop(header.name)) continue;
      if (context.mode == RouteMode::legacy && lower(header.name) == "content-type") continue;
      const auto it =
          std::find(present.begin(), present.end(), std::pair{lower(header.name), std::string(trim(header.value))});
      FUZZ_CHECK(it != present.end());
      present.erase(it);
    }
  }

  // On the wire and back: one whole response, nothing before or after it.
  const bool controls =
      std::any_of(response.begin(), response.end(), [](const auto& field) { return has_control(field.value(), true); });
  if (controls && !kRefusesAllControls) return;
  std::ostringstream stream;
  stream << response;
  const std::string wire = stream.str();
  bhttp::response_parser<bhttp::string_body> parser;
  parser.eager(true);
  parser.skip(context.head);
  parser.body_limit(wire.size());
  boost::beast::error_code ec;
  const std::size_t used = parser.put(boost::asio::buffer(wire.data(), wire.size()), ec);
  if (!ec && !parser.is_done()) parser.put_eof(ec);
  FUZZ_CHECK(!ec);
  FUZZ_CHECK(parser.is_done());
  FUZZ_CHECK(used == wire.size());
  const auto& parsed = parser.get();
  FUZZ_CHECK(parsed.result_int() == status);
  FUZZ_CHECK(parsed.body() == response.body());
  std::vector<std::pair<std::string, std::string>> parsed_fields;
  for (const auto& field : parsed.base()) parsed_fields.emplace_back(lower(field.name_string()), field.value());
  FUZZ_CHECK(parsed_fields == fields_of(response));
}

}  // namespace hserver::fuzz
