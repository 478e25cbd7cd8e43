#pragma once
/// @brief The HTTP front's request handling as plain functions, separate from I/O: an HTTP request
/// becomes an envelope (or an immediate refusal), an envelope becomes an HTTP response. No sockets,
/// no state: each function is pure and thread-safe, so it is unit-tested and fuzzed directly.

#include <cstdint>
#include <string>
#include <string_view>

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

#include "hserver/common/envelope.hpp"
#include "hserver/common/expected.hpp"

namespace hserver::service {

using HttpRequest = boost::beast::http::request<boost::beast::http::string_body>;
using HttpResponse = boost::beast::http::response<boost::beast::http::string_body>;

/// @brief A request ready for dispatch, or the answer to send at once because the request is refused
/// (a legacy route given a POST, or an undecodable code path).
using EnvelopeOrRefusal = Expected<RequestEnvelope, ResponseEnvelope>;

/// @brief Builds the envelope for `request` on a route of `mode`. The id is left 0 for the caller.
/// Legacy: only GET and HEAD (else 405 "Error: method not allowed"); body = the code decoded from the
/// target after the route's `path_prefix` (else 400 "Error: <why>"). Http: method, the target as given
/// (prefix included; Session gives the normalised one, see RouteTable::resolve), every header with
/// duplicates, body.
/// Headers: all of them, duplicates kept in the order received. Beast files a repeated name right after
/// its earlier occurrences, so only the order among fields of one name is kept: the order RFC 9110 5.3
/// makes significant.
/// The request is taken by value so that a large body is moved, not copied.
EnvelopeOrRefusal to_request_envelope(HttpRequest request, RouteMode mode, std::string remote_address,
                                      std::string_view path_prefix = "/");

/// @brief Drops Authorization, Proxy-Authorization and Cookie. Every member of the shared-memory group
/// could read them on their way to 1C, and the route's own credentials have done their work here: a
/// route passes them on only with `forward_credentials` (the user name travels as a field of its own).
void remove_credential_headers(std::vector<Header>& headers);

/// @brief A service-made error answer: `status` with the body "Error: <why>".
ResponseEnvelope make_error_envelope(std::uint16_t status, std::string_view why);

/// @brief What the response needs to know about the request it answers.
struct ResponseContext {
  RouteMode mode = RouteMode::legacy;
  unsigned version = 11;   ///< HTTP version of the request: 10 or 11
  bool keep_alive = true;  ///< false: the response says Connection: close
  bool head = false;       ///< HEAD request: Content-Length of the body, but no body bytes
};

/// @brief Builds the HTTP response for `envelope`. Always sets Content-Length and a Server header.
/// Legacy: status and body, Content-Type text/plain; charset=utf-8. Http: status, the envelope's
/// headers except hop-by-hop ones, Content-Length and Transfer-Encoding (framing is ours), body.
/// An envelope that cannot be sent as valid HTTP (status outside 100..599 or a 1xx, a header name that
/// is not a token, a value with a control character other than HTAB) becomes 502 "Error: <why>" rather
/// than a corrupt stream.
HttpResponse to_http_response(ResponseEnvelope envelope, const ResponseContext& context);

/// @brief "127.0.0.1:53122" or "[::1]:53122".
std::string format_endpoint(const boost::asio::ip::tcp::endpoint& endpoint);

}  // namespace hserver::service
