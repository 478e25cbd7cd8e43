// Several routes behind one port, told apart by path prefix: each reaches its own workers, a path no
// route serves gets 404, and an add-in that attaches by that port is told to attach by name.
#include <gtest/gtest.h>

#include "support/fixture.hpp"

namespace hserver::test {
namespace {

using namespace std::chrono_literals;

class Routing : public ServiceFixture {};

constexpr const char* kTwoRoutesOnOnePort = R"([
  {"name": "legacy", "listen": "127.0.0.1:$PORT", "path_prefix": "/1c", "mode": "legacy"},
  {"name": "api", "listen": "127.0.0.1:$PORT", "path_prefix": "/api/", "mode": "http"}
])";

TEST_F(Routing, PathPrefixesShareAPortAndReachTheirOwnWorkers) {
  start_service(ServiceOptions().with_routes_json(kTwoRoutesOnOnePort));
  start_host(HostOptions().with_route("legacy"));
  start_host(HostOptions().with_route("api"));

  // Legacy: the code is the path after the prefix, answered as text.
  auto legacy = get("/1c/%D0%9F%D1%80%D0%B8%D0%B2%D0%B5%D1%82%20%D0%BC%D0%B8%D1%80");
  EXPECT_EQ(legacy.status, 200) << legacy.error << legacy.body;
  EXPECT_EQ(legacy.body, "Привет мир");

  // Http: 1C gets the request and answers with headers of its own (the echo handler names the method).
  auto api = http_request(port_, "POST", "/api/orders?id=7", R"({"a":1})", {{"Content-Type", "application/json"}});
  EXPECT_EQ(api.status, 200) << api.error << api.body;
  EXPECT_EQ(api.body, R"({"a":1})");
  EXPECT_EQ(api.header("X-Echo-Method"), "POST");

  // A POST to the legacy prefix is refused by that route's rules, not by the api route's.
  EXPECT_EQ(http_request(port_, "POST", "/1c/x", "x").status, 405);

  for (const char* unknown : {"/", "/other", "/apix", "/1cx"}) {
    auto r = get(unknown);
    EXPECT_EQ(r.status, 404) << unknown;
    EXPECT_EQ(r.body, "Error: no route serves this path") << unknown;
  }

  std::string out;
  ASSERT_EQ(ctl({"routes"}, &out), 0) << out;
  EXPECT_NE(out.find("/api"), std::string::npos) << out;
  EXPECT_NE(out.find("/1c"), std::string::npos) << out;
}

TEST_F(Routing, AttachingByASharedPortIsRefusedWithTheRouteNames) {
  start_service(ServiceOptions().with_routes_json(kTwoRoutesOnOnePort));
  auto& host = start_host(HostOptions().expecting_no_attach());
  const std::string log = host.log();
  EXPECT_NE(log.find("has several routes ('legacy', 'api'): attach by route name"), std::string::npos) << log;
  EXPECT_NE(log.find("подключайтесь по имени маршрута"), std::string::npos) << log;
}

}  // namespace
}  // namespace hserver::test
