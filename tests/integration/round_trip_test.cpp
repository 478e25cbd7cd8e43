// What a user relies on in the normal path: a request from an HTTP client reaches 1C code through shared
// memory and the add-in's event, and the answer comes back as a proper HTTP/1.1 response.
#include <gtest/gtest.h>

#include "support/fixture.hpp"

namespace hserver::test {
namespace {

using namespace std::chrono_literals;

class RoundTrip : public ServiceFixture {};

TEST_F(RoundTrip, LegacyGetComesBackThroughTheAddinEvent) {
  start_service();
  start_host();
  auto reply = get("/" + std::string("Message"));
  ASSERT_EQ(reply.status, 200) << reply.error << reply.body;
  EXPECT_EQ(reply.body, "Message");
  EXPECT_EQ(reply.header("Content-Type"), "text/plain; charset=utf-8");
  EXPECT_EQ(reply.header("Content-Length"), std::to_string(reply.body.size()));
}

TEST_F(RoundTrip, LegacyCodeKeepsSlashesCyrillicLineBreaksAndPlus) {
  start_service();
  start_host();
  const std::string code =
      "Результат = Справочники.Номенклатура.НайтиПоКоду(\"00-001\");\r\nПуть = \"a/b/c\"; Сумма = 1 + 2;";
  auto reply = get(legacy_target(code));
  ASSERT_EQ(reply.status, 200) << reply.error << reply.body;
  EXPECT_EQ(reply.body, code);
}

TEST_F(RoundTrip, LegacyPlusAndDoubleAmpersandDecodeAsTheOriginalDid) {
  start_service();
  start_host();
  auto reply = get("/a+&&+b");
  ASSERT_EQ(reply.status, 200) << reply.error << reply.body;
  EXPECT_EQ(reply.body, "a + b");
}

TEST_F(RoundTrip, LongCodePasses) {
  start_service();
  start_host();
  std::string code;
  while (code.size() < 6000) code += "Сообщить(\"строка\");";
  auto reply = get(legacy_target(code));
  ASSERT_EQ(reply.status, 200) << reply.error << reply.body.substr(0, 200);
  EXPECT_EQ(reply.body, code);
}

TEST_F(RoundTrip, ManySequentialRequestsOnFreshConnections) {
  start_service();
  start_host();
  for (int i = 0; i < 200; ++i) {
    auto reply = get("/n" + std::to_string(i), 10s);
    ASSERT_EQ(reply.status, 200) << "request " << i << ": " << reply.error;
    ASSERT_EQ(reply.body, "n" + std::to_string(i));
  }
}

TEST_F(RoundTrip, HttpRoutePostWithTenMebibytesEachWay) {
  // A generous deadline: sanitizer builds on a loaded machine copy 20 MiB slowly.
  start_service(ServiceOptions().with_mode("http").with_request_timeout_ms(60'000));
  start_host();
  std::string body(10 * 1024 * 1024, '\0');
  for (std::size_t i = 0; i < body.size(); ++i) body[i] = static_cast<char>((i * 131 + i / 977) & 0xff);
  auto reply = http_request(port_, "POST", "/upload?kind=bin", body, {{"Content-Type", "application/x-test"}}, 60s);
  ASSERT_EQ(reply.status, 200) << reply.error << reply.body.substr(0, 200);
  EXPECT_EQ(reply.body.size(), body.size());
  EXPECT_TRUE(reply.body == body) << "the 10 MiB body came back altered";
  EXPECT_EQ(reply.header("Content-Type"), "application/x-test");
  EXPECT_EQ(reply.header("X-Echo-Method"), "POST");
}

TEST_F(RoundTrip, TwoHostsShareTheLoad) {
  start_service();
  start_host();
  start_host();
  for (int i = 0; i < 50; ++i) {
    auto reply = get("/x" + std::to_string(i), 10s);
    ASSERT_EQ(reply.status, 200) << reply.error;
  }
}

}  // namespace
}  // namespace hserver::test
