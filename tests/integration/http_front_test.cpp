// The HTTP front as a proxy or an attacker meets it, through the real service and a real 1C host: requests
// a proxy could frame differently (request smuggling) are refused and the connection closed before 1C sees
// anything, and a path is matched on its normalised form, so no spelling of "/api/..." reaches the public
// route beside it.
#include <gtest/gtest.h>

#include "support/fixture.hpp"
#include "support/raw_http.hpp"

namespace hserver::test {
namespace {

using namespace std::chrono_literals;

class HttpFront : public ServiceFixture {};

// A public "/" and an "/api" that wants "exchange" / "s3cret" (stored as sha256$<hex>).
constexpr const char* kPublicAndProtected = R"([
  {"name": "public", "listen": "127.0.0.1:$PORT", "mode": "http"},
  {"name": "api", "listen": "127.0.0.1:$PORT", "path_prefix": "/api", "mode": "http",
   "auth": {"basic": [{"user": "exchange",
                       "password_hash": "sha256$1ec1c26b50d5d3c58d9583181af8076655fe00756bf7285940ba3670f99fcba0"}]}}
])";
constexpr const char* kCredentials = "Basic ZXhjaGFuZ2U6czNjcmV0";

TEST_F(HttpFront, AmbiguousFramingIsRefusedAndNothingReaches1C) {
  start_service(ServiceOptions().with_routes_json(kPublicAndProtected));
  start_host(HostOptions().with_route("public"));

  // Each would carry a second request that a proxy in front does not see (or the reverse).
  const std::string smuggled = "GET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n";
  const struct {
    const char* what;
    std::string bytes;
    int status;
  } attacks[] = {
      {"xchunked", "POST /a HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: xchunked\r\n\r\n" + smuggled, 400},
      {"gzip with Content-Length",
       "POST /a HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\nContent-Length: " + std::to_string(smuggled.size()) +
           "\r\n\r\n" + smuggled,
       400},
      {"chunked, chunked", "POST /a HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked, chunked\r\n\r\n" + smuggled,
       400},
      {"chunked with Content-Length",
       "POST /a HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: 4\r\n\r\n0\r\n\r\n" + smuggled,
       400},
      {"differing Content-Length",
       "POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nContent-Length: " + std::to_string(smuggled.size()) +
           "\r\n\r\n" + smuggled,
       400},
      {"gzip, chunked", "POST /a HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n" + smuggled,
       501},
      {"no Host", "GET /a HTTP/1.1\r\n\r\n" + smuggled, 400},
      {"two Hosts", "GET /a HTTP/1.1\r\nHost: x\r\nHost: y\r\n\r\n" + smuggled, 400},
  };
  for (const auto& attack : attacks) {
    const RawExchange exchange = raw_exchange(port_, attack.bytes);
    EXPECT_EQ(exchange.error, "") << attack.what;
    EXPECT_EQ(exchange.statuses(), std::vector<int>{attack.status}) << attack.what << ":\n" << exchange.received;
    EXPECT_TRUE(exchange.closed) << attack.what << ": the connection stayed open";
    EXPECT_NE(exchange.received.find("Connection: close"), std::string::npos) << attack.what;
  }

  // A well-framed request still goes through, and it is the only one 1C has seen.
  const auto fine = http_request(port_, "POST", "/a", "x");
  EXPECT_EQ(fine.status, 200) << fine.error << fine.body;
  const std::string metrics = metrics_get("/metrics").body;
  EXPECT_EQ(metric(metrics, "hserver_requests_total{route=\"public\",status=\"200\"}"), "1") << metrics;
  EXPECT_EQ(metric(metrics, "hserver_http_refused_total{reason=\"bad_framing\"}"), std::to_string(std::size(attacks)))
      << metrics;
  // Every answer is counted by route and status, refusals too (refused before a route was chosen: "").
  EXPECT_EQ(metric(metrics, "hserver_requests_total{route=\"\",status=\"400\"}"),
            std::to_string(std::size(attacks) - 1))
      << metrics;
  EXPECT_EQ(metric(metrics, "hserver_requests_total{route=\"\",status=\"501\"}"), "1") << metrics;
}

TEST_F(HttpFront, NoSpellingOfAProtectedPathReachesThePublicRoute) {
  start_service(ServiceOptions().with_routes_json(kPublicAndProtected));
  start_host(HostOptions().with_route("public"));
  start_host(HostOptions().with_route("api"));

  // Before normalisation all of these reached the public route's 1C code with 200.
  const struct {
    const char* target;
    int status;
  } tricks[] = {{"/api%2Fx", 400},     {"//api/x", 401},         {"/./api/x", 401}, {"/x/../api/x", 401},
                {"/%61pi/x", 401},     {"/x/%2E%2E/api/x", 401}, {"/api%5Cx", 400}, {"/api\\x", 400},
                {"/x/../../api", 400}, {"/api%00", 400}};
  for (const auto& trick : tricks) {
    const auto reply = http_request(port_, "GET", trick.target);
    EXPECT_EQ(reply.status, trick.status) << trick.target << ": " << reply.error << reply.body;
  }
  const std::string metrics = metrics_get("/metrics").body;
  EXPECT_EQ(metric(metrics, "hserver_requests_total{route=\"public\",status=\"200\"}"), "<absent>") << metrics;
  EXPECT_EQ(metric(metrics, "hserver_http_refused_total{reason=\"bad_path\"}"), "5") << metrics;
  EXPECT_EQ(metric(metrics, "hserver_requests_total{route=\"\",status=\"400\"}"), "5") << metrics;
  EXPECT_EQ(metric(metrics, "hserver_requests_total{route=\"api\",status=\"401\"}"), "5") << metrics;

  // With credentials, the api route's 1C code gets the path in its one spelling; the query is untouched.
  const auto api =
      http_request(port_, "GET", "//api/./v1//orders/%7e7?next=//x/../%2F", {}, {{"Authorization", kCredentials}});
  EXPECT_EQ(api.status, 200) << api.error << api.body;
  EXPECT_EQ(api.header("X-Echo-Target"), "/api/v1/orders/~7?next=//x/../%2F");
  const auto open = http_request(port_, "GET", "/a/b/../c");
  EXPECT_EQ(open.status, 200) << open.error << open.body;
  EXPECT_EQ(open.header("X-Echo-Target"), "/a/c");
}

// A legacy route's path is 1C code: "//" starts a comment, "%2F" is a '/' in a string. Alone on its port
// or beside other routes it gets the code as sent (a '/' in code comes as %2F from the original client);
// the prefix of another route still cannot be dodged.
TEST_F(HttpFront, LegacyCodeKeepsItsSlashesAndDotsButTheRouteIsNotFooled) {
  start_service(ServiceOptions().with_routes_json(R"([
    {"name": "code", "listen": "127.0.0.1:$PORT", "mode": "legacy"},
    {"name": "api", "listen": "127.0.0.1:$PORT", "path_prefix": "/api", "mode": "http",
     "auth": {"bearer": ["sha256$1ec1c26b50d5d3c58d9583181af8076655fe00756bf7285940ba3670f99fcba0"]}}
  ])"));
  start_host(HostOptions().with_route("code"));

  const std::string code = "А = \"x//./y/../z\"; // комментарий";
  const auto reply = get(legacy_target(code));
  EXPECT_EQ(reply.status, 200) << reply.error << reply.body;
  EXPECT_EQ(reply.body, code);
  EXPECT_EQ(get("//api/x").status, 401);
  EXPECT_EQ(get("/x/../api/x").status, 401);
  // An encoded '/' stays code on the legacy route: "api/x" runs there, the "/api" route never sees it.
  const auto encoded = get("/api%2Fx");
  EXPECT_EQ(encoded.status, 200) << encoded.error << encoded.body;
  EXPECT_EQ(encoded.body, "api/x");
  const auto division = get("/%D0%90%20%3D%201%2F2");  // А = 1/2, as the original client encodes it
  EXPECT_EQ(division.status, 200) << division.error << division.body;
  EXPECT_EQ(division.body, "А = 1/2");
}

TEST_F(HttpFront, AlonePerPortALegacyRouteTakesEncodedSlashesAsBefore) {
  start_service();  // one legacy route on "/", as the original 1CHServer
  start_host();
  const auto reply = get("/%D0%90%20%3D%20%22a%2Fb%5Cc%22");  // А = "a/b\c"
  EXPECT_EQ(reply.status, 200) << reply.error << reply.body;
  EXPECT_EQ(reply.body, "А = \"a/b\\c\"");
  EXPECT_EQ(get("/../x").body, "../x");  // the code "../x", not a climb above the root
}

}  // namespace
}  // namespace hserver::test
