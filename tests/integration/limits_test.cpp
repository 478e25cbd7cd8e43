// Limits an operator relies on, tried end to end: a full queue and a hold that expires answer 503 and are
// counted in /metrics; the log file rotates at its configured size and keeps the configured number.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <future>
#include <sstream>
#include <thread>

#include "support/fixture.hpp"

namespace hserver::test {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

class Limits : public ServiceFixture {};

TEST_F(Limits, AFullQueueAnswers503AtOnceAndTheRequestsInsideKeepTheirDeadlines) {
  // One worker taking one request at a time, a queue of two: the fourth request finds no room.
  start_service(ServiceOptions().with_request_timeout_ms(6000).with_routes_json(R"([
    {"name": "narrow", "listen": "127.0.0.1:$PORT", "mode": "legacy", "queue_limit": 2, "worker_in_flight": 1}
  ])"));
  start_host(HostOptions().with_route("narrow").with_handler("stall"));
  std::vector<std::future<HttpReply>> waiting;
  for (int i = 0; i < 3; ++i)
    waiting.push_back(std::async(std::launch::async, [this, i] { return get("/w" + std::to_string(i), 30s); }));
  // Until the service has them all: one in the worker's hands, two queued.
  const auto settled = [&] {
    const std::string m = metrics_get("/metrics").body;
    return metric(m, "hserver_in_hand{route=\"narrow\"}") == "1" &&
           metric(m, "hserver_queue_depth{route=\"narrow\"}") == "2";
  };
  for (int i = 0; i < 100 && !settled(); ++i) std::this_thread::sleep_for(50ms);
  ASSERT_TRUE(settled()) << metrics_get("/metrics").body;
  const auto refused = get("/overflow");
  EXPECT_EQ(refused.status, 503) << refused.body;
  EXPECT_EQ(refused.body, "Error: the queue of route 'narrow' is full");
  // The stalling worker never answers: the one in its hands and the queued ones end at their deadline (504),
  // none is lost or answered twice.
  for (auto& w : waiting) EXPECT_EQ(w.get().status, 504);
  const std::string metrics = metrics_get("/metrics").body;
  EXPECT_EQ(metric(metrics, "hserver_requests_total{route=\"narrow\",status=\"503\"}"), "1") << metrics;
  EXPECT_EQ(metric(metrics, "hserver_requests_total{route=\"narrow\",status=\"504\"}"), "3") << metrics;
}

TEST_F(Limits, ARequestHeldByAPauseLongerThanHoldTimeGets503WithRetryAfter) {
  start_service(ServiceOptions().with_routes_json(R"([
    {"name": "held", "listen": "127.0.0.1:$PORT", "mode": "legacy", "while_paused": "hold", "hold_time_ms": 800,
     "retry_after_s": 7}
  ])"));
  start_host(HostOptions().with_route("held"));
  ASSERT_EQ(ctl({"pause", "held"}), 0);
  const auto start = std::chrono::steady_clock::now();
  const auto reply = get("/waits");
  const auto waited = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(reply.status, 503) << reply.body;
  EXPECT_EQ(reply.header("Retry-After"), "7");
  EXPECT_EQ(reply.body.rfind("Error: route 'held' is paused (held ", 0), 0u) << reply.body;
  EXPECT_GE(waited, 800ms);  // held for hold_time, not refused at once
  // Resumed, the route serves again.
  ASSERT_EQ(ctl({"resume", "held"}), 0);
  EXPECT_EQ(get("/after").status, 200);
  const std::string metrics = metrics_get("/metrics").body;
  EXPECT_EQ(metric(metrics, "hserver_requests_total{route=\"held\",status=\"503\"}"), "1") << metrics;
}

TEST_F(Limits, TheLogFileRotatesAtItsSizeAndKeepsTheConfiguredNumber) {
  const std::string log = work_dir_ + "/1chserver.log";
  start_service(
      ServiceOptions()
          .with_routes_json(R"([{"name": "default", "listen": "127.0.0.1:$PORT"}])")
          .with_config_json(R"("log": {"file": ")" + log + R"(", "file_max_bytes": 16384, "file_count": 2})"));
  start_host(HostOptions().with_route("default"));
  const auto rotated = [&](int n) { return work_dir_ + "/1chserver." + std::to_string(n) + ".log"; };
  // At debug level every request writes a line: enough requests fill three files (bounded in count).
  int sent = 0;
  for (; sent < 5000 && !(fs::exists(rotated(2)) && fs::file_size(log) > 4096); ++sent) {
    ASSERT_EQ(get("/line" + std::to_string(sent)).status, 200);
  }
  ASSERT_TRUE(fs::exists(rotated(1)) && fs::exists(rotated(2))) << "after " << sent << " requests";
  EXPECT_FALSE(fs::exists(rotated(3)));  // file_count 2: the oldest went
  for (const auto& file : {log, rotated(1), rotated(2)}) EXPECT_LE(fs::file_size(file), 16384u) << file;
  // The current file is the one being written after the rotations: it holds request lines of its own.
  std::ostringstream current;
  current << std::ifstream(log).rdbuf();
  EXPECT_NE(current.str().find("route 'default' GET -> 200"), std::string::npos) << current.str().substr(0, 2000);
}

}  // namespace
}  // namespace hserver::test
