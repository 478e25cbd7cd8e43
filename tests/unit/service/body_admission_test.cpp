// What the front refuses from a request's header alone, before reading its body.
#include "http/body_admission.hpp"

#include <gtest/gtest.h>

namespace hserver::service {
namespace {

namespace bhttp = boost::beast::http;

RouteConfig route_of(RouteMode mode, std::uint64_t body_limit = 1000) {
  RouteConfig route;
  route.mode = mode;
  route.http.body_limit = body_limit;
  return route;
}

AnnouncedBody length(std::uint64_t bytes) {
  return AnnouncedBody{bytes, false};
}
const AnnouncedBody kChunked{std::nullopt, true};
const AnnouncedBody kNone{};

TEST(BodyAdmission, AnHttpRouteTakesBodiesUpToItsLimit) {
  const RouteConfig route = route_of(RouteMode::http);
  EXPECT_FALSE(refuse_before_body(&route, bhttp::verb::post, length(1000)));
  EXPECT_FALSE(refuse_before_body(&route, bhttp::verb::post, kChunked));  // bounded as it arrives
  EXPECT_FALSE(refuse_before_body(&route, bhttp::verb::get, kNone));
  const auto refused = refuse_before_body(&route, bhttp::verb::put, length(1001));
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 413);
  EXPECT_EQ(refused->why, "the request body exceeds 1000 bytes");
  EXPECT_EQ(refused->reason, FrontStats::Reason::body_too_large);
}

TEST(BodyAdmission, ALegacyRouteRefusesOtherMethodsWith405AndAllow) {
  const RouteConfig route = route_of(RouteMode::legacy);
  for (const auto method : {bhttp::verb::post, bhttp::verb::put, bhttp::verb::delete_, bhttp::verb::options}) {
    const auto refused = refuse_before_body(&route, method, length(3));
    ASSERT_TRUE(refused);
    EXPECT_EQ(refused->status, 405);
    ASSERT_EQ(refused->headers.size(), 1u);
    EXPECT_EQ(refused->headers[0].name, "Allow");
    EXPECT_EQ(refused->headers[0].value, "GET, HEAD");
    EXPECT_EQ(refused->reason, FrontStats::Reason::method_not_allowed);
  }
  // Even without a body, and whatever its size would be: decided from the method alone.
  EXPECT_EQ(refuse_before_body(&route, bhttp::verb::post, kNone)->status, 405);
  EXPECT_EQ(refuse_before_body(&route, bhttp::verb::post, length(UINT64_MAX))->status, 405);
}

TEST(BodyAdmission, ALegacyRouteTakesNoBodyEvenWithAGet) {
  const RouteConfig route = route_of(RouteMode::legacy);
  EXPECT_FALSE(refuse_before_body(&route, bhttp::verb::get, kNone));
  EXPECT_FALSE(refuse_before_body(&route, bhttp::verb::get, length(0)));
  EXPECT_FALSE(refuse_before_body(&route, bhttp::verb::head, kNone));
  for (const AnnouncedBody& body : {length(1), kChunked}) {
    const auto refused = refuse_before_body(&route, bhttp::verb::get, body);
    ASSERT_TRUE(refused);
    EXPECT_EQ(refused->status, 413);
    EXPECT_EQ(refused->reason, FrontStats::Reason::body_too_large);
  }
}

TEST(BodyAdmission, NoRouteAndABodyIsRefusedWith404BeforeTheBody) {
  EXPECT_FALSE(refuse_before_body(nullptr, bhttp::verb::get, kNone));  // the usual 404, connection kept
  for (const AnnouncedBody& body : {length(1), kChunked}) {
    const auto refused = refuse_before_body(nullptr, bhttp::verb::post, body);
    ASSERT_TRUE(refused);
    EXPECT_EQ(refused->status, 404);
    EXPECT_EQ(refused->reason, FrontStats::Reason::no_route);
  }
}

}  // namespace
}  // namespace hserver::service
