#pragma once
/// @brief The checks of RFC 9112 on a request's framing headers that Beast's parser leaves out. A proxy in
/// front of the service may read an ambiguous request differently from us (request smuggling): such a
/// request is refused once its header is in, before any route, credentials or body.

#include <cstdint>
#include <optional>
#include <string>

#include <boost/beast/http/message.hpp>

namespace hserver::service {

struct FramingRefusal {
  std::uint16_t status = 400;  ///< 400, or 501 for a transfer coding the service does not implement
  std::string why;             ///< one line, for the client and the log
};

/// @brief Checks, on a parsed request header (pure function; thread-safe):
///  - Transfer-Encoding (all its field lines read as one list): refused in an HTTP/1.0 request, together
///    with Content-Length, when its final coding is not "chunked" or "chunked" comes twice (RFC 9112 6.1,
///    6.3: 400); another coding before "chunked" (gzip...) is not implemented (501);
///  - Content-Length: every value (field lines and list members) must be the same decimal number (RFC 9112
///    6.3; Beast 1.81 refuses differing values itself, this states the rule whatever the parser version);
///  - Host: exactly one in HTTP/1.1, at most one in HTTP/1.0, with a valid value (RFC 9112 3.2: 400).
/// The caller closes the connection after the answer: the end of such a request cannot be known.
std::optional<FramingRefusal> check_request_framing(const boost::beast::http::request_header<>& header);

}  // namespace hserver::service
