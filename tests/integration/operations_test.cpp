// What an administrator relies on: pause and resume around a database update, drain, load spread over
// several workers (event and pull mode), status, health and metrics.
#include <gtest/gtest.h>
#include <signal.h>

#include <future>
#include <thread>

#include "support/fixture.hpp"

namespace hserver::test {
namespace {

using namespace std::chrono_literals;

class Operations : public ServiceFixture {};

std::vector<std::future<HttpReply>> send_many(unsigned short port, int count, const std::string& prefix) {
  std::vector<std::future<HttpReply>> replies;
  for (int i = 0; i < count; ++i) {
    replies.push_back(std::async(std::launch::async, [port, i, prefix] {
      return http_request(port, "GET", "/" + prefix + std::to_string(i), {}, {}, 60s);
    }));
  }
  return replies;
}

TEST_F(Operations, DatabaseUpdateWindowLosesNoRequest) {
  start_service();
  auto& first = start_host();
  auto& second = start_host();
  ASSERT_EQ(get("/before").status, 200);

  ASSERT_EQ(ctl({"pause"}), 0);
  first.signal(SIGKILL);  // 1C is stopped for the update, abruptly
  second.signal(SIGKILL);
  ASSERT_TRUE(first.wait(5s).has_value());
  ASSERT_TRUE(second.wait(5s).has_value());
  auto replies = send_many(port_, 20, "during");  // clients keep calling meanwhile
  std::this_thread::sleep_for(1500ms);            // longer than the 1 s no-worker wait: held, not refused
  start_host();                                   // 1C is back
  start_host();
  ASSERT_EQ(ctl({"resume"}), 0);

  for (int i = 0; i < 20; ++i) {
    auto r = replies[i].get();
    EXPECT_EQ(r.status, 200) << "request " << i << ": " << r.error << r.body;
    EXPECT_EQ(r.body, "during" + std::to_string(i));
  }
}

TEST_F(Operations, PausedRouteThatRejectsAnswers503WithRetryAfter) {
  start_service(ServiceOptions().with_args({"--paused-behaviour", "reject"}));
  start_host();
  ASSERT_EQ(ctl({"pause", "default"}), 0);
  auto r = get("/x");
  EXPECT_EQ(r.status, 503);
  EXPECT_EQ(r.body.rfind("Error: ", 0), 0u) << r.body;
  EXPECT_FALSE(r.header("Retry-After").empty());
  ASSERT_EQ(ctl({"resume", "default"}), 0);
  EXPECT_EQ(get("/x").status, 200);
}

TEST_F(Operations, PauseOfAnUnknownRouteIsAnErrorAndChangesNothing) {
  start_service();
  start_host();
  std::string out;
  EXPECT_EQ(ctl({"pause", "nope"}, &out), 1);
  EXPECT_NE(out.find("no route named 'nope'"), std::string::npos) << out;
  EXPECT_EQ(get("/still").status, 200);
}

TEST_F(Operations, DrainWaitsForTheRequestInHand) {
  start_service(ServiceOptions().with_request_timeout_ms(1500));
  start_host(HostOptions().with_handler("stall"));
  auto held = std::async(std::launch::async, [&] { return get("/held", 20s); });
  std::this_thread::sleep_for(300ms);
  std::string out;
  // The stalled request is in 1C's hands until its deadline (1.5 s): a 0.5 s drain cannot finish...
  EXPECT_EQ(ctl({"drain", "--timeout", "0.5"}, &out), 1) << out;
  // ...a longer one finishes once the deadline has taken it out of 1C's hands.
  EXPECT_EQ(ctl({"drain", "--timeout", "10"}, &out), 0) << out;
  EXPECT_EQ(held.get().status, 504);
}

TEST_F(Operations, StatusShowsRoutesAndWorkers) {
  start_service();
  start_host();
  ASSERT_EQ(get("/a").status, 200);
  std::string out;
  ASSERT_EQ(ctl({"status"}, &out), 0) << out;
  EXPECT_NE(out.find("default"), std::string::npos) << out;
  EXPECT_NE(out.find("serving"), std::string::npos) << out;
  ASSERT_EQ(ctl({"status", "--json"}, &out), 0) << out;
  EXPECT_NE(out.find("\"workers\":[{\"pid\":"), std::string::npos) << out;
}

TEST_F(Operations, CtlWithoutAServiceSaysSo) {
  std::string out;
  EXPECT_EQ(ctl({"status"}, &out), 3);
  EXPECT_NE(out.find("not running"), std::string::npos) << out;
}

TEST_F(Operations, PullModeWorkersShareOneRoute) {
  start_service();
  start_host(HostOptions().with_args({"--pull"}));
  start_host(HostOptions().with_args({"--pull"}));
  auto replies = send_many(port_, 30, "pull");
  for (int i = 0; i < 30; ++i) {
    auto r = replies[i].get();
    EXPECT_EQ(r.status, 200) << r.error << r.body;
    EXPECT_EQ(r.body, "pull" + std::to_string(i));
  }
  std::string out;
  ASSERT_EQ(ctl({"workers", "--json"}, &out), 0);
  // Both workers answered some: the load was spread.
  EXPECT_EQ(out.find("\"answered\":0"), std::string::npos) << out;
}

TEST_F(Operations, HealthAndMetrics) {
  start_service();
  EXPECT_EQ(metrics_get("/health/live").status, 200);
  auto not_ready = metrics_get("/health/ready");
  EXPECT_EQ(not_ready.status, 503);
  EXPECT_NE(not_ready.body.find("no worker"), std::string::npos) << not_ready.body;
  start_host();
  EXPECT_EQ(metrics_get("/health/ready").status, 200);
  ASSERT_EQ(get("/m").status, 200);
  auto metrics = metrics_get("/metrics");
  ASSERT_EQ(metrics.status, 200);
  EXPECT_NE(metrics.body.find("hserver_requests_total{route=\"default\",status=\"200\"} 1"), std::string::npos)
      << metrics.body;
  EXPECT_NE(metrics.body.find("hserver_workers{route=\"default\"} 1"), std::string::npos) << metrics.body;
  EXPECT_NE(metrics.body.find("hserver_request_duration_seconds_count{route=\"default\"} 1"), std::string::npos);
}

}  // namespace
}  // namespace hserver::test
