#pragma once
/// @brief What the HTTP front decides about a request's body from its header alone, before a byte of
/// the body is read: a plain function (no I/O, no state), unit-tested directly.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <boost/beast/http/verb.hpp>

#include "config.hpp"
#include "hserver/common/envelope.hpp"
#include "http/front_stats.hpp"

namespace hserver::service {

/// @brief The body a request header announces.
struct AnnouncedBody {
  std::optional<std::uint64_t> content_length;  ///< absent: none given
  bool chunked = false;
  bool present() const noexcept { return chunked || content_length.value_or(0) > 0; }
};

/// @brief An answer to give at once, the body left unread (the connection is then closed).
struct EarlyRefusal {
  std::uint16_t status = 0;
  std::string why;
  std::vector<Header> headers;
  FrontStats::Reason reason = FrontStats::Reason::malformed;
};

/// @brief The refusal for a request to `route` (null: no route serves its path) whose header says
/// `method` and `body`, or nothing when its body may be read:
/// - no route and a body: 404 (reading it would only lead to the same 404);
/// - a legacy route and a method other than GET or HEAD: 405 with Allow (the code travels in the path);
/// - a legacy route and a body: 413 (it would be read for nothing);
/// - a Content-Length over the route's body_limit: 413.
std::optional<EarlyRefusal> refuse_before_body(const RouteConfig* route, boost::beast::http::verb method,
                                               const AnnouncedBody& body);

}  // namespace hserver::service
