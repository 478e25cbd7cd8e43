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

}  // namespace
}  // namespace hserver::service
