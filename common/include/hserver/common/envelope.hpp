#pragma once
/// @brief The request/response envelope that crosses the shared-memory channel, and its binary codec.
///
/// The codec is the only place that knows the byte layout of a message payload; the channel moves the
/// bytes (in fragments when they exceed a ring) and never looks inside. All integers are little-endian,
/// fixed width, so a 32-bit add-in and a 64-bit service agree.

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "hserver/common/expected.hpp"

namespace hserver {

/// How a route hands requests to 1C. Values are part of the wire format.
enum class RouteMode : std::uint8_t {
  legacy = 1,  ///< the original 1CHServer protocol: the decoded GET path is 1C code, the answer is text
  http = 2,    ///< method, target, headers and body pass to 1C; 1C answers with status, headers, body
};

/// @brief Returns "legacy" or "http".
std::string_view to_string(RouteMode mode) noexcept;

struct Header {
  std::string name;
  std::string value;
  friend bool operator==(const Header&, const Header&) = default;
};

/// @brief One HTTP request as the add-in sees it. For legacy routes `body` holds the decoded code text.
struct RequestEnvelope {
  std::uint64_t id = 0;  ///< unique per service run; the add-in answers with the same id
  RouteMode mode = RouteMode::legacy;
  std::string method;          ///< "GET", "POST", ...
  std::string target;          ///< the raw request target, path and query as received
  std::string remote_address;  ///< "127.0.0.1:53122" or "[::1]:53122"
  /// Who the route's authentication let in: the HTTP Basic user name; empty when the route asks for no
  /// credentials or a bearer token was presented (see auth_scheme).
  std::string user;
  std::string auth_scheme;  ///< "basic", "bearer", or empty: no authentication on this route
  std::vector<Header> headers;
  std::string body;
  friend bool operator==(const RequestEnvelope&, const RequestEnvelope&) = default;
};

/// @brief The answer to one request. For legacy routes `body` is the result text.
struct ResponseEnvelope {
  std::uint64_t id = 0;
  std::uint16_t status = 200;
  std::vector<Header> headers;
  std::string body;
  friend bool operator==(const ResponseEnvelope&, const ResponseEnvelope&) = default;
};

enum class CodecError {
  truncated,         ///< the payload ends inside a field
  trailing_bytes,    ///< bytes left over after the last field
  bad_mode,          ///< unknown RouteMode value
  too_many_headers,  ///< more headers than kMaxHeaders
};
std::string_view to_string(CodecError error) noexcept;

inline constexpr std::uint32_t kMaxHeaders = 1024;

/// @brief Serialises into `out` (cleared first; its capacity is reused).
void encode(const RequestEnvelope& request, std::vector<std::byte>& out);
void encode(const ResponseEnvelope& response, std::vector<std::byte>& out);

/// @brief Parses a payload produced by encode(); never reads past `payload`.
Expected<RequestEnvelope, CodecError> decode_request(std::span<const std::byte> payload);
Expected<ResponseEnvelope, CodecError> decode_response(std::span<const std::byte> payload);

}  // namespace hserver
