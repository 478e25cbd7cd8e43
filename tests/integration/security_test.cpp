// Security as a client and an administrator meet it, through the real service: credentials on a route
// (and the failures counted in /metrics), a listener beyond loopback refused without authentication,
// what 1C is told of the client's credentials (the user name, not the headers, unless a route asks),
// the metrics listener beyond loopback only with an allow-list or credentials, and `1chserver hash-secret`.
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <sstream>

#include "support/fixture.hpp"

namespace hserver::test {
namespace {

using namespace std::chrono_literals;

class Security : public ServiceFixture {};

// "exchange" with the password "s3cret", stored as sha256$<hex> (a PBKDF2 form works the same way).
constexpr const char* kProtectedRoute = R"([
  {"name": "api", "listen": "127.0.0.1:$PORT", "mode": "http",
   "auth": {"basic": [{"user": "exchange",
                       "password_hash": "sha256$1ec1c26b50d5d3c58d9583181af8076655fe00756bf7285940ba3670f99fcba0"}]}}
])";

TEST_F(Security, BasicCredentialsAsHttpConnectionSendsThem) {
  start_service(ServiceOptions().with_routes_json(kProtectedRoute));
  start_host(HostOptions().with_route("api"));

  auto anonymous = http_request(port_, "POST", "/orders", "{}");
  EXPECT_EQ(anonymous.status, 401) << anonymous.body;
  EXPECT_EQ(anonymous.header("WWW-Authenticate"), "Basic realm=\"1chserver\", charset=\"UTF-8\"");
  EXPECT_EQ(anonymous.body, "Error: authentication required");

  // Новый HTTPСоединение("127.0.0.1", Порт, "exchange", "s3cret") sends exactly this header.
  auto wrong = http_request(port_, "POST", "/orders", "{}", {{"Authorization", "Basic ZXhjaGFuZ2U6d3Jvbmc="}});
  EXPECT_EQ(wrong.status, 401);
  auto right = http_request(port_, "POST", "/orders", R"({"n":1})", {{"Authorization", "Basic ZXhjaGFuZ2U6czNjcmV0"}});
  EXPECT_EQ(right.status, 200) << right.error << right.body;
  EXPECT_EQ(right.body, R"({"n":1})");

  const auto metrics = metrics_get("/metrics");
  EXPECT_NE(metrics.body.find("hserver_auth_failures_total{route=\"api\"} 2"), std::string::npos) << metrics.body;
  EXPECT_NE(metrics.body.find("hserver_http_refused_total{reason=\"unauthorized\"} 2"), std::string::npos);
  EXPECT_NE(service_->log().find("authentication failed on route 'api'"), std::string::npos);
}

TEST_F(Security, ListeningBeyondLoopbackWithoutAuthenticationIsRefused) {
  ChildProcess service({HSERVER_SERVICE_EXE, "--listen", "0.0.0.0:" + std::to_string(port_), "--shm-prefix", prefix_,
                        "--metrics-listen", ""},
                       {}, work_dir_ + "/refused.log");
  const auto code = service.wait(10s);
  ASSERT_TRUE(code.has_value()) << "the service started: " << service.log();
  EXPECT_EQ(*code, 2);
  EXPECT_NE(service.log().find("0.0.0.0 is reachable beyond this machine and the route has no authentication"),
            std::string::npos)
      << service.log();
  EXPECT_NE(service.log().find("insecure_unauthenticated_remote"), std::string::npos);
}

TEST_F(Security, OneCGetsTheUserNameAndNotTheCredentials) {
  start_service(ServiceOptions().with_routes_json(kProtectedRoute));
  start_host(HostOptions().with_route("api"));
  const std::vector<std::pair<std::string, std::string>> headers{{"Authorization", "Basic ZXhjaGFuZ2U6czNjcmV0"},
                                                                 {"Proxy-Authorization", "Basic b3RoZXI6b3RoZXI="},
                                                                 {"Cookie", "session=abc"}};
  const auto reply = http_request(port_, "POST", "/orders", "{}", headers);
  ASSERT_EQ(reply.status, 200) << reply.error << reply.body;
  EXPECT_EQ(reply.header("X-Echo-User"), "exchange");
  EXPECT_EQ(reply.header("X-Echo-Auth-Scheme"), "basic");
  // Every member of the shared-memory group could read them on their way: they stay in the service.
  EXPECT_EQ(reply.header("X-Echo-Credentials"), "");
}

TEST_F(Security, ARouteThatAsksForCredentialsGetsThem) {
  start_service(ServiceOptions().with_routes_json(
      R"([{"name": "open", "listen": "127.0.0.1:$PORT", "mode": "http", "forward_credentials": true}])"));
  start_host(HostOptions().with_route("open"));
  const auto reply =
      http_request(port_, "GET", "/x", {}, {{"Authorization", "Bearer for-1c-itself"}, {"Cookie", "session=abc"}});
  ASSERT_EQ(reply.status, 200) << reply.error << reply.body;
  EXPECT_EQ(reply.header("X-Echo-Credentials"), "Authorization,Cookie");
  // The route itself checks no credentials: nobody was authenticated.
  EXPECT_EQ(reply.header("X-Echo-User"), "");
  EXPECT_EQ(reply.header("X-Echo-Auth-Scheme"), "");
}

TEST_F(Security, MetricsBeyondLoopbackNeedAnAllowListOrCredentials) {
  const std::string config = work_dir_ + "/metrics.json";
  const auto run = [&](const std::string& metrics_keys, const std::string& listen, const std::string& log) {
    std::ofstream{config} << R"({"routes": [{"listen": "127.0.0.1:)" << port_ << R"("}])" << metrics_keys << "}\n";
    return std::make_unique<ChildProcess>(
        std::vector<std::string>{HSERVER_SERVICE_EXE, "--config", config, "--shm-prefix", prefix_, "--metrics-listen",
                                 listen, "--admin-socket", admin_socket_},
        std::vector<std::string>{}, work_dir_ + "/" + log);
  };
  const std::string anywhere = "0.0.0.0:" + std::to_string(metrics_port_);
  {
    auto refused = run("", anywhere, "refused.log");
    const auto code = refused->wait(10s);
    ASSERT_TRUE(code.has_value()) << "the service started: " << refused->log();
    EXPECT_EQ(*code, 2);
    EXPECT_NE(refused->log().find("metrics_listen: " + anywhere + " is reachable beyond this machine"),
              std::string::npos)
        << refused->log();
  }
  // With credentials ("exchange" / "s3cret", as the route above) it starts and asks for them.
  auto service = run(R"(, "metrics_auth": {"basic": [{"user": "exchange", "password_hash":
      "sha256$1ec1c26b50d5d3c58d9583181af8076655fe00756bf7285940ba3670f99fcba0"}]})",
                     anywhere, "service.log");
  ASSERT_TRUE(wait_for_port(metrics_port_, 10s)) << service->log();
  const auto anonymous = metrics_get("/metrics");
  EXPECT_EQ(anonymous.status, 401) << anonymous.body;
  const auto reader =
      http_request(metrics_port_, "GET", "/metrics", {}, {{"Authorization", "Basic ZXhjaGFuZ2U6czNjcmV0"}});
  EXPECT_EQ(reader.status, 200) << reader.error;
  EXPECT_NE(reader.body.find("hserver_"), std::string::npos) << reader.body.substr(0, 300);
}

TEST_F(Security, HashSecretPrintsAFormTheServiceAccepts) {
  const std::string out = work_dir_ + "/hash.txt";
  const std::string command =
      "printf 'пароль\\n' | '" + std::string(HSERVER_SERVICE_EXE) + "' hash-secret > '" + out + "'";
  ASSERT_EQ(std::system(command.c_str()), 0);
  std::ifstream file(out);
  std::string stored;
  std::getline(file, stored);
  EXPECT_EQ(stored.rfind("pbkdf2-sha256$100000$", 0), 0u) << stored;

  // The printed form works in a config: "пароль" (UTF-8) is accepted, another password is not.
  start_service(ServiceOptions().with_routes_json(
      R"([{"name": "api", "listen": "127.0.0.1:$PORT", "auth": {"basic": [{"user": "u", "password_hash": ")" + stored +
      R"("}]}}])"));
  start_host(HostOptions().with_route("api"));
  // base64("u:пароль") and base64("u:parol")
  EXPECT_EQ(http_request(port_, "GET", "/x", {}, {{"Authorization", "Basic dTrQv9Cw0YDQvtC70Yw="}}).status, 200);
  EXPECT_EQ(http_request(port_, "GET", "/x", {}, {{"Authorization", "Basic dTpwYXJvbA=="}}).status, 401);
}

}  // namespace
}  // namespace hserver::test
