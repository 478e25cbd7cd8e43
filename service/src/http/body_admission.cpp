#include "http/body_admission.hpp"

#include <fmt/format.h>

namespace hserver::service {

namespace bhttp = boost::beast::http;

std::optional<EarlyRefusal> refuse_before_body(const RouteConfig* route, bhttp::verb method,
                                               const AnnouncedBody& body) {
  if (route == nullptr) {
    if (!body.present()) return std::nullopt;  // answered 404 as usual, the connection kept
    return EarlyRefusal{404, "no route serves this path", {}, FrontStats::Reason::no_route};
  }
  if (route->mode == RouteMode::legacy) {
    // The original served the code in the path whatever the method and never read a body; a GET or
    // HEAD is all existing 1C clients send (HTTPСоединение.Получить).
    if (method != bhttp::verb::get && method != bhttp::verb::head) {
      return EarlyRefusal{
          405, "method not allowed", {Header{"Allow", "GET, HEAD"}}, FrontStats::Reason::method_not_allowed};
    }
    if (body.present()) {
      return EarlyRefusal{413,
                          "a legacy route takes no request body: the 1C code travels in the path",
                          {},
                          FrontStats::Reason::body_too_large};
    }
    return std::nullopt;
  }
  const std::uint64_t limit = route->http.body_limit;
  if (body.content_length && *body.content_length > limit) {
    return EarlyRefusal{
        413, fmt::format("the request body exceeds {} bytes", limit), {}, FrontStats::Reason::body_too_large};
  }
  return std::nullopt;
}

}  // namespace hserver::service
