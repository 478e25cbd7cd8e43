// The one spelling of a request path that routes are matched on: the attacks of issue 14 (a public "/" and
// an authenticated "/api" told apart by raw bytes), the examples of RFC 3986 and what stays ambiguous.
#include "http/path_normalization.hpp"

#include <gtest/gtest.h>

namespace hserver::service {
namespace {

std::string normal(std::string_view target) {
  auto result = normalize_target(target);
  EXPECT_TRUE(result.has_value()) << target << ": " << (result ? "" : result.error());
  return result ? *result : std::string{"<refused>"};
}

std::string refusal(std::string_view target) {
  auto result = normalize_target(target);
  EXPECT_FALSE(result.has_value()) << target << " -> " << (result ? *result : "");
  return result ? std::string{"<accepted>"} : result.error();
}

TEST(PathNormalization, TheAttacksOnAPrefixBecomeThePathTheyMean) {
  EXPECT_EQ(normal("//api/x"), "/api/x");
  EXPECT_EQ(normal("/./api/x"), "/api/x");
  EXPECT_EQ(normal("/x/../api/x"), "/api/x");
  EXPECT_EQ(normal("/%61pi/x"), "/api/x");
  EXPECT_EQ(normal("/%2E/api/x"), "/api/x");
  EXPECT_EQ(normal("/x/%2e%2E/api/x"), "/api/x");
  EXPECT_EQ(normal("/x/.%2e/api"), "/api");
  EXPECT_EQ(normal("///api//x//"), "/api/x/");
  EXPECT_NE(refusal("/api%2Fx").find("encoded '/'"), std::string::npos);
  EXPECT_NE(refusal("/api%2fx").find("(\"%2f\") at offset 4"), std::string::npos);
}

TEST(PathNormalization, AmbiguousEncodingsAreRefused) {
  EXPECT_NE(refusal("/api%5Cx").find("encoded '/', '\\' or NUL"), std::string::npos);
  EXPECT_NE(refusal("/api%00").find("NUL"), std::string::npos);
  EXPECT_NE(refusal("/api\\x").find("'\\' at offset 4"), std::string::npos);
  EXPECT_NE(refusal("/..").find("climbs above the root"), std::string::npos);
  EXPECT_NE(refusal("/a/../../api").find("climbs above the root"), std::string::npos);
  EXPECT_NE(refusal("/%2E%2E/api").find("climbs above the root"), std::string::npos);
  EXPECT_NE(refusal("/a%zz").find("invalid percent-encoding \"%zz\" at offset 2"), std::string::npos);
  EXPECT_NE(refusal("/a%4").find("invalid percent-encoding \"%4\""), std::string::npos);
  EXPECT_NE(refusal("/a%").find("invalid percent-encoding"), std::string::npos);
  EXPECT_EQ(refusal("/a%3\ne"), "invalid percent-encoding \"%3?\" at offset 2 of the path");  // one log line (fuzz)
  EXPECT_NE(refusal("/a\tb").find("control character"), std::string::npos);
  EXPECT_NE(refusal("api").find("must be a path starting with '/'"), std::string::npos);
  EXPECT_NE(refusal("http://host/api").find("must be a path"), std::string::npos);  // absolute-form
  EXPECT_NE(refusal("*").find("must be a path"), std::string::npos);
  EXPECT_NE(refusal("").find("must be a path"), std::string::npos);
}

// RFC 3986 5.4 (the paths of its examples, resolved against "/b/c/d;p"), 5.2.4 and 6.2.2.
TEST(PathNormalization, Rfc3986Examples) {
  EXPECT_EQ(normal("/b/c/./g"), "/b/c/g");
  EXPECT_EQ(normal("/b/c/g/"), "/b/c/g/");
  EXPECT_EQ(normal("/b/c/."), "/b/c/");
  EXPECT_EQ(normal("/b/c/./"), "/b/c/");
  EXPECT_EQ(normal("/b/c/.."), "/b/");
  EXPECT_EQ(normal("/b/c/../"), "/b/");
  EXPECT_EQ(normal("/b/c/../g"), "/b/g");
  EXPECT_EQ(normal("/b/c/../.."), "/");
  EXPECT_EQ(normal("/b/c/../../g"), "/g");
  EXPECT_EQ(normal("/b/c/g."), "/b/c/g.");
  EXPECT_EQ(normal("/b/c/.g"), "/b/c/.g");
  EXPECT_EQ(normal("/b/c/g.."), "/b/c/g..");
  EXPECT_EQ(normal("/b/c/..g"), "/b/c/..g");
  EXPECT_EQ(normal("/b/c/./../g"), "/b/g");
  EXPECT_EQ(normal("/b/c/./g/."), "/b/c/g/");
  EXPECT_EQ(normal("/b/c/g/./h"), "/b/c/g/h");
  EXPECT_EQ(normal("/b/c/g/../h"), "/b/c/h");
  EXPECT_EQ(normal("/b/c/g;x=1/./y"), "/b/c/g;x=1/y");
  EXPECT_EQ(normal("/b/c/g;x=1/../y"), "/b/c/y");
  EXPECT_EQ(normal("/a/b/c/./../../g"), "/a/g");  // 5.2.4
  EXPECT_EQ(normal("/mid/content=5/../6"), "/mid/6");
  // 6.2.2.1 and 6.2.2.2: hex digits upper case, unreserved characters decoded.
  EXPECT_EQ(normal("/%7Efoo/%7euser"), "/~foo/~user");
  EXPECT_EQ(normal("/a%c2%b1b"), "/a%C2%B1b");
  EXPECT_EQ(normal("/%41%5A%61%7A%30%39%2D%2E%5F"), "/AZaz09-._");
}

TEST(PathNormalization, TheQueryIsKeptAsSent) {
  EXPECT_EQ(normal("/a/./b?x=/../%2F//&y=%61"), "/a/b?x=/../%2F//&y=%61");
  EXPECT_EQ(normal("//api?"), "/api?");
  EXPECT_EQ(normal("/?"), "/?");
  EXPECT_EQ(normal("/x/..?q"), "/?q");
}

TEST(PathNormalization, OtherCharactersAndEscapesPassThrough) {
  EXPECT_EQ(normal("/"), "/");
  EXPECT_EQ(normal("/."), "/");
  EXPECT_EQ(normal("//"), "/");
  EXPECT_EQ(normal("/api"), "/api");
  EXPECT_EQ(normal("/a+b/%20c/%25/%3F/%23"), "/a+b/%20c/%25/%3F/%23");  // reserved escapes stay escaped
  EXPECT_EQ(normal("/%252F"), "/%252F");                                // decoded once only
  EXPECT_EQ(normal("/\xD0\x9F"), "/\xD0\x9F");                          // raw UTF-8 (Beast lets obs-text through)
  EXPECT_EQ(normal("/a:b@c!$&'()*,;="), "/a:b@c!$&'()*,;=");
}

TEST(PathNormalization, NormalisingTwiceChangesNothing) {
  for (const char* target : {"/x/../api/./y//", "/%7e/%2e%2e/%c3", "/a/b/..", "/b/c/g;x=1/./y?q=//", "/%252e%252e"}) {
    const std::string once = normal(target);
    EXPECT_EQ(normal(once), once) << target;
  }
}

}  // namespace
}  // namespace hserver::service
