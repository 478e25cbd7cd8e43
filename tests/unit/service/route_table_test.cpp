// Choosing the route of a request by path prefix, as a listener shared by several routes does.
#include "http/route_table.hpp"

#include <gtest/gtest.h>

namespace hserver::service {
namespace {

RouteConfig route(std::string name, std::string prefix) {
  RouteConfig config;
  config.name = std::move(name);
  config.path_prefix = std::move(prefix);
  return config;
}

TEST(RouteTable, PrefixesAreWholeSegments) {
  EXPECT_TRUE(target_has_prefix("/api", "/api"));
  EXPECT_TRUE(target_has_prefix("/api/", "/api"));
  EXPECT_TRUE(target_has_prefix("/api/x/y", "/api"));
  EXPECT_TRUE(target_has_prefix("/api?x=1", "/api"));
  EXPECT_FALSE(target_has_prefix("/apix", "/api"));
  EXPECT_FALSE(target_has_prefix("/ap", "/api"));
  EXPECT_FALSE(target_has_prefix("/API", "/api"));    // paths are case-sensitive
  EXPECT_FALSE(target_has_prefix("/%61pi", "/api"));  // raw comparison, documented
  EXPECT_TRUE(target_has_prefix("/", "/"));
  EXPECT_TRUE(target_has_prefix("/anything?at=all", "/"));
  EXPECT_FALSE(target_has_prefix("http://host/api", "/"));  // absolute-form is not a path
  EXPECT_FALSE(target_has_prefix("", "/"));
}

TEST(RouteTable, WhatIsLeftAfterThePrefixStartsWithSlash) {
  EXPECT_EQ(target_after_prefix("/code", "/"), "/code");
  EXPECT_EQ(target_after_prefix("/1c/Сообщить(1)", "/1c"), "/Сообщить(1)");
  EXPECT_EQ(target_after_prefix("/1c", "/1c"), "/");
  EXPECT_EQ(target_after_prefix("/1c?a", "/1c"), "/?a");
  EXPECT_EQ(target_after_prefix("/1c/a/b?c", "/1c"), "/a/b?c");
}

TEST(RouteTable, LongestPrefixWinsWhateverTheConfigOrder) {
  const RouteTable table{{route("root", "/"), route("api", "/api"), route("jobs", "/api/jobs"), route("x", "/x")}};
  ASSERT_EQ(table.routes().size(), 4u);
  EXPECT_EQ(table.routes().front().name, "jobs");
  EXPECT_EQ(table.match("/api/jobs/7")->name, "jobs");
  EXPECT_EQ(table.match("/api/jobs")->name, "jobs");
  EXPECT_EQ(table.match("/api/jobsx")->name, "api");
  EXPECT_EQ(table.match("/api")->name, "api");
  EXPECT_EQ(table.match("/x?y")->name, "x");
  EXPECT_EQ(table.match("/xy")->name, "root");
  EXPECT_EQ(table.match("/")->name, "root");
}

TEST(RouteTable, NoRootMeansSomePathsHaveNoRoute) {
  const RouteTable table{{route("api", "/api"), route("legacy", "/1c")}};
  EXPECT_EQ(table.match("/other"), nullptr);
  EXPECT_EQ(table.match("/"), nullptr);
  EXPECT_EQ(table.match("*"), nullptr);  // OPTIONS * has no path
  EXPECT_EQ(table.match("/1c/code")->name, "legacy");
  EXPECT_EQ(table.describe(), "'api' (/api), 'legacy' (/1c)");
}

RouteConfig route(std::string name, std::string prefix, RouteMode mode) {
  RouteConfig config = route(std::move(name), std::move(prefix));
  config.mode = mode;
  return config;
}

std::string resolved(const RouteTable& table, std::string_view target) {
  const auto choice = table.resolve(target);
  if (!choice) return "400 " + choice.error();
  return (choice->route ? choice->route->name : std::string{"-"}) + " " + choice->target;
}

TEST(RouteTable, TheRouteIsChosenOnTheNormalisedPath) {
  const RouteTable table{{route("public", "/", RouteMode::http), route("api", "/api", RouteMode::http)}};
  EXPECT_EQ(resolved(table, "//api/x"), "api /api/x");
  EXPECT_EQ(resolved(table, "/./api/x"), "api /api/x");
  EXPECT_EQ(resolved(table, "/x/../api/x"), "api /api/x");
  EXPECT_EQ(resolved(table, "/%61pi/x?a=/../b"), "api /api/x?a=/../b");
  EXPECT_EQ(resolved(table, "/api/../x"), "public /x");
  EXPECT_EQ(resolved(table, "/apix"), "public /apix");
  EXPECT_NE(resolved(table, "/api%2Fx").find("400 an encoded '/'"), std::string::npos);
  EXPECT_NE(resolved(table, "/x/../../api").find("400 the path climbs above the root"), std::string::npos);
  EXPECT_NE(resolved(table, "http://h/api").find("400 the request target must be a path"), std::string::npos);

  const RouteTable api_only{{route("api", "/api", RouteMode::http)}};
  EXPECT_EQ(resolved(api_only, "/x/.."), "- /");  // no route: 404, as before
}

// A legacy route's path is code ("//" a comment, "%2F" a '/' in a string): it gets the raw target, and
// only when the raw and the normalised path name the same route.
TEST(RouteTable, ALegacyRouteGetsTheCodeAsSentWhenBothReadingsAgree) {
  const RouteTable table{{route("code", "/", RouteMode::legacy), route("api", "/api", RouteMode::http),
                          route("admin", "/1c/admin", RouteMode::legacy), route("c1", "/1c", RouteMode::legacy)}};
  EXPECT_EQ(resolved(table, "/A=1;//x/./y/../z"), "code /A=1;//x/./y/../z");
  EXPECT_EQ(resolved(table, "/1c/A//B"), "c1 /1c/A//B");
  EXPECT_EQ(resolved(table, "//api/x"), "api /api/x");  // an http route takes what it names once normalised
  EXPECT_EQ(resolved(table, "/x/../api/x"), "api /api/x");
  EXPECT_NE(resolved(table, "//1c/A").find("400 the path reaches the legacy route 'c1' only once normalised"),
            std::string::npos);
  EXPECT_NE(resolved(table, "/1c/admin/../A").find("400 the path reaches the legacy route 'c1'"), std::string::npos);
  EXPECT_NE(resolved(table, "/1c//admin/A").find("400 the path reaches the legacy route 'admin'"), std::string::npos);
  // Ambiguous encodings go, as code, to the legacy route the raw target names, never to another route:
  // "/api%2Fx" is the code "api/x" on "/", not a request to "/api".
  EXPECT_EQ(resolved(table, "/1c/admin/a%2Fb"), "admin /1c/admin/a%2Fb");
  EXPECT_EQ(resolved(table, "/1c/admin/../../../x"), "admin /1c/admin/../../../x");
  EXPECT_EQ(resolved(table, "/api%2Fx"), "code /api%2Fx");
  EXPECT_EQ(resolved(table, "/1c/a%2Fb"), "c1 /1c/a%2Fb");
  const RouteTable http_root{{route("pub", "/", RouteMode::http), route("code", "/code", RouteMode::legacy)}};
  EXPECT_NE(resolved(http_root, "/pub%2Fx").find("400 an encoded '/'"), std::string::npos);  // http: refused

  const RouteTable alone{{route("code", "/", RouteMode::legacy)}};
  EXPECT_EQ(resolved(alone, "/a%2Fb%5Cc%00"), "code /a%2Fb%5Cc%00");
  EXPECT_EQ(resolved(alone, "/../x"), "code /../x");
  EXPECT_EQ(resolved(alone, "//x"), "code //x");
}

}  // namespace
}  // namespace hserver::service
