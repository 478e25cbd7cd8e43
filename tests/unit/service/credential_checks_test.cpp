// Credential checking off the I/O threads: the failure throttle's table, the bounded verification pool,
// and CredentialChecks putting them together with a real RouteAccess (PBKDF2 included).
#include "security/credential_checks.hpp"

#include <gtest/gtest.h>

#include <future>
#include <mutex>
#include <thread>

#include "base64_encode.hpp"

namespace hserver::service {
namespace {

using boost::asio::ip::make_address;
using namespace std::chrono_literals;
using test::base64;

// ---- FailureThrottle -------------------------------------------------------------------------------

TEST(FailureThrottle, BlocksAnAddressAfterItsFailuresUntilTheWindowEnds) {
  FailureThrottle throttle({3, 60s, 100});
  const auto t0 = FailureThrottle::Clock::time_point{} + 1000s;
  const auto client = make_address("192.0.2.1");
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(throttle.blocked_for(client, t0).count(), 0) << i;
    throttle.record_failure(client, t0 + std::chrono::seconds{i});
  }
  EXPECT_EQ(throttle.blocked_for(client, t0 + 2s), 58s);
  EXPECT_EQ(throttle.blocked_for(client, t0 + 59500ms), 1s);                       // rounded up: never "0 seconds"
  EXPECT_EQ(throttle.blocked_for(make_address("192.0.2.2"), t0 + 2s).count(), 0);  // others are not blocked
  // The window is over: a new one starts with the next failure.
  EXPECT_EQ(throttle.blocked_for(client, t0 + 60s).count(), 0);
  throttle.record_failure(client, t0 + 61s);
  EXPECT_EQ(throttle.blocked_for(client, t0 + 61s).count(), 0);
}

TEST(FailureThrottle, CountsIpv6ByItsSlash64AndMappedIpv4AsIpv4) {
  FailureThrottle throttle({2, 60s, 100});
  const auto now = FailureThrottle::Clock::now();
  throttle.record_failure(make_address("2001:db8:1:2::1"), now);
  throttle.record_failure(make_address("2001:db8:1:2::ffff"), now);  // the same /64: the same guesser
  EXPECT_GT(throttle.blocked_for(make_address("2001:db8:1:2::77"), now).count(), 0);
  EXPECT_EQ(throttle.blocked_for(make_address("2001:db8:1:3::1"), now).count(), 0);
  throttle.record_failure(make_address("::ffff:198.51.100.7"), now);
  throttle.record_failure(make_address("198.51.100.7"), now);
  EXPECT_GT(throttle.blocked_for(make_address("198.51.100.7"), now).count(), 0);
  EXPECT_EQ(throttle.tracked(), 2u);
}

TEST(FailureThrottle, HoldsAtMostItsLimitExpiredEntriesFirstThenTheOldest) {
  FailureThrottle throttle({1, 60s, 3});
  const auto t0 = FailureThrottle::Clock::time_point{} + 1000s;
  throttle.record_failure(make_address("10.0.0.1"), t0);
  throttle.record_failure(make_address("10.0.0.2"), t0 + 1s);
  throttle.record_failure(make_address("10.0.0.3"), t0 + 2s);
  throttle.record_failure(make_address("10.0.0.4"), t0 + 3s);  // full and nothing expired: the oldest goes
  EXPECT_EQ(throttle.tracked(), 3u);
  EXPECT_EQ(throttle.blocked_for(make_address("10.0.0.1"), t0 + 3s).count(), 0);
  for (const char* kept : {"10.0.0.2", "10.0.0.3", "10.0.0.4"}) {
    EXPECT_GT(throttle.blocked_for(make_address(kept), t0 + 3s).count(), 0) << kept;
  }
  // Later, the expired ones are swept at once when room is needed.
  throttle.record_failure(make_address("10.0.0.5"), t0 + 62s);
  EXPECT_EQ(throttle.tracked(), 2u);  // 10.0.0.4 (window until t0 + 63 s) and 10.0.0.5
}

TEST(FailureThrottle, ZeroFailuresMeansOff) {
  FailureThrottle throttle({0, 60s, 100});
  const auto now = FailureThrottle::Clock::now();
  for (int i = 0; i < 100; ++i) throttle.record_failure(make_address("192.0.2.1"), now);
  EXPECT_EQ(throttle.blocked_for(make_address("192.0.2.1"), now).count(), 0);
  EXPECT_EQ(throttle.tracked(), 0u);
}

// ---- VerificationPool ------------------------------------------------------------------------------

// A job that holds its thread until released; `started` is set once it runs.
struct Gate {
  std::promise<void> started;
  std::promise<void> release;
  std::shared_future<void> released{release.get_future().share()};
  VerificationPool::Job job() {
    return [this] {
      started.set_value();
      released.wait();
    };
  }
};

TEST(VerificationPool, RefusesBeyondItsQueueLimit) {
  VerificationPool pool(1, 2);
  Gate gate;
  auto started = gate.started.get_future();
  ASSERT_TRUE(pool.try_post(gate.job()));
  ASSERT_EQ(started.wait_for(10s), std::future_status::ready);  // the thread is busy, the queue empty
  std::atomic<int> ran{0};
  EXPECT_TRUE(pool.try_post([&] { ++ran; }));
  EXPECT_TRUE(pool.try_post([&] { ++ran; }));
  EXPECT_FALSE(pool.try_post([&] { ++ran; }));  // two wait already
  EXPECT_EQ(pool.queued(), 2u);
  gate.release.set_value();
  std::promise<void> last;
  for (auto end = std::chrono::steady_clock::now() + 10s; std::chrono::steady_clock::now() < end;) {
    if (pool.try_post([&] { last.set_value(); })) break;
    std::this_thread::sleep_for(1ms);
  }
  ASSERT_EQ(last.get_future().wait_for(10s), std::future_status::ready);
  EXPECT_EQ(ran, 2);
  EXPECT_EQ(pool.queued(), 0u);
}

TEST(VerificationPool, RunsJobsInTheOrderPosted) {
  VerificationPool pool(1, 100);
  Gate gate;
  ASSERT_TRUE(pool.try_post(gate.job()));
  std::mutex mutex;
  std::vector<int> order;
  std::promise<void> done;
  for (int i = 0; i < 50; ++i) {
    ASSERT_TRUE(pool.try_post([&, i] {
      std::lock_guard lock(mutex);
      order.push_back(i);
      if (i == 49) done.set_value();
    }));
  }
  gate.release.set_value();
  ASSERT_EQ(done.get_future().wait_for(10s), std::future_status::ready);
  std::lock_guard lock(mutex);
  ASSERT_EQ(order.size(), 50u);
  for (int i = 0; i < 50; ++i) EXPECT_EQ(order[i], i);
}

TEST(VerificationPool, StopDropsWaitingJobsAndLetsTheRunningOneFinish) {
  VerificationPool pool(2, 10);
  Gate first;
  Gate second;
  auto first_started = first.started.get_future();
  auto second_started = second.started.get_future();
  ASSERT_TRUE(pool.try_post(first.job()));
  ASSERT_TRUE(pool.try_post(second.job()));
  ASSERT_EQ(first_started.wait_for(10s), std::future_status::ready);
  ASSERT_EQ(second_started.wait_for(10s), std::future_status::ready);
  // Waiting jobs own something (as a verification owns its session): it must be released unrun.
  auto owned = std::make_shared<int>(7);
  std::atomic<bool> waiting_ran{false};
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(pool.try_post([owned, &waiting_ran] { waiting_ran = true; }));
  owned.reset();

  std::atomic<bool> finished{false};
  auto stopping = std::async(std::launch::async, [&] {
    pool.stop();
    finished = true;
  });
  // Once stopping, nothing new is taken; the running jobs hold the stop until they end.
  bool refused = false;
  for (auto end = std::chrono::steady_clock::now() + 10s; !refused && std::chrono::steady_clock::now() < end;) {
    refused = !pool.try_post([] {});
    if (!refused) std::this_thread::sleep_for(1ms);
  }
  EXPECT_TRUE(refused);
  EXPECT_FALSE(finished);
  first.release.set_value();
  second.release.set_value();
  ASSERT_EQ(stopping.wait_for(10s), std::future_status::ready);
  EXPECT_FALSE(waiting_ran);
  EXPECT_EQ(pool.queued(), 0u);
  pool.stop();  // again: nothing happens
}

TEST(VerificationPool, AJobThatThrowsDoesNotTakeTheThreadAlong) {
  VerificationPool pool(1, 10);
  ASSERT_TRUE(pool.try_post([] { throw std::runtime_error("bug"); }));
  std::promise<void> after;
  ASSERT_TRUE(pool.try_post([&] { after.set_value(); }));
  EXPECT_EQ(after.get_future().wait_for(10s), std::future_status::ready);
}

// ---- CredentialChecks ------------------------------------------------------------------------------

std::shared_ptr<const RouteAccess> route_with_user(const CredentialCheckConfig& config = {}) {
  AccessConfig access;
  access.basic.push_back({"exchange", hash_secret("s3cret", 10'000)});
  auto made = RouteAccess::make(access, config);
  EXPECT_TRUE(made.has_value());
  return *made;
}

// Runs one check; for a pending one waits for the verdict. nullopt: not pending.
struct Checked {
  CredentialChecks::Decision decision;
  std::optional<bool> verdict;
};
Checked run_check(CredentialChecks& checks, const std::shared_ptr<const RouteAccess>& route, const char* address,
                  const std::string& authorization) {
  auto verdict = std::make_shared<std::promise<bool>>();
  auto future = verdict->get_future();
  Checked out;
  out.decision =
      checks.check(route, make_address(address), authorization, [verdict](bool ok) { verdict->set_value(ok); });
  if (out.decision.outcome == CredentialChecks::Outcome::pending) {
    EXPECT_EQ(future.wait_for(30s), std::future_status::ready);
    out.verdict = future.get();
  }
  return out;
}

TEST(CredentialChecks, VerifiesOnThePoolRemembersAndThrottles) {
  CredentialCheckConfig config;
  config.max_failures = 2;
  AuthStats stats;
  CredentialChecks checks(config, stats);
  const auto route = route_with_user(config);
  const std::string right = "Basic " + base64("exchange:s3cret");
  using O = CredentialChecks::Outcome;

  EXPECT_EQ(run_check(checks, route, "192.0.2.1", "").decision.outcome, O::unauthorized);  // asks first
  EXPECT_EQ(run_check(checks, route, "192.0.2.1", "Digest x").decision.outcome, O::unauthorized);
  auto first = run_check(checks, route, "192.0.2.1", right);
  EXPECT_EQ(first.decision.outcome, O::pending);
  EXPECT_EQ(first.verdict, true);
  EXPECT_EQ(run_check(checks, route, "192.0.2.1", right).decision.outcome, O::allowed);  // remembered

  for (const char* guess : {"exchange:wrong", "nobody:wrong"}) {
    auto wrong = run_check(checks, route, "192.0.2.9", "Basic " + base64(guess));
    EXPECT_EQ(wrong.decision.outcome, O::pending) << guess;
    EXPECT_EQ(wrong.verdict, false) << guess;
  }
  const auto throttled = run_check(checks, route, "192.0.2.9", "Basic " + base64("exchange:again"));
  EXPECT_EQ(throttled.decision.outcome, O::throttled);
  EXPECT_GE(throttled.decision.retry_after.count(), 1);
  EXPECT_LE(throttled.decision.retry_after.count(), 60);
  // From the same address, credentials verified before still pass; others are throttled unverified.
  EXPECT_EQ(run_check(checks, route, "192.0.2.9", right).decision.outcome, O::allowed);
  EXPECT_EQ(run_check(checks, route, "192.0.2.1", "Basic " + base64("exchange:x")).decision.outcome, O::pending);

  EXPECT_EQ(stats.verifications.load(), 4u);
  EXPECT_EQ(stats.verification_failures.load(), 3u);
  EXPECT_EQ(stats.cache_hits.load(), 2u);
  EXPECT_EQ(stats.tracked_addresses.load(), 2u);
  EXPECT_EQ(stats.queue_depth.load(), 0u);
}

TEST(CredentialChecks, AFullQueueIsBusyNotWaiting) {
  CredentialCheckConfig config;
  config.verify_threads = 1;
  config.verify_queue = 1;
  config.max_failures = 0;
  AuthStats stats;
  CredentialChecks checks(config, stats);
  AccessConfig access;
  access.basic.push_back({"exchange", hash_secret("s3cret", 200'000)});  // long enough to still run below
  const auto route = *RouteAccess::make(access, config);
  // At most one runs and one waits: of three posted at once, one at least finds no place.
  std::vector<std::future<bool>> verdicts;
  int busy = 0;
  for (int i = 0; i < 3; ++i) {
    auto verdict = std::make_shared<std::promise<bool>>();
    verdicts.push_back(verdict->get_future());
    const auto decision = checks.check(route, make_address("192.0.2.1"), "Basic " + base64("exchange:wrong"),
                                       [verdict](bool ok) { verdict->set_value(ok); });
    if (decision.outcome == CredentialChecks::Outcome::busy) {
      ++busy;
      EXPECT_EQ(decision.retry_after, CredentialChecks::kBusyRetryAfter);
      verdicts.pop_back();
    } else {
      EXPECT_EQ(decision.outcome, CredentialChecks::Outcome::pending);
    }
  }
  EXPECT_GE(busy, 1);
  for (auto& verdict : verdicts) {
    ASSERT_EQ(verdict.wait_for(60s), std::future_status::ready);
    EXPECT_FALSE(verdict.get());
  }
}

TEST(RouteAccessCache, NothingIsRememberedWithoutATtl) {
  CredentialCheckConfig config;
  config.cache_ttl = 0s;
  const auto route = route_with_user(config);
  const std::string right = "Basic " + base64("exchange:s3cret");
  EXPECT_TRUE(route->verify(right));
  EXPECT_FALSE(route->remembered(right));
  EXPECT_FALSE(route->remembered("Basic " + base64("exchange:wrong")));
}

TEST(RouteAccessCache, OnlyVerifiedValuesAreRememberedAndTheTableIsBounded) {
  CredentialCheckConfig config;
  config.cache_entries = 1;
  AccessConfig access;
  access.basic.push_back({"a", hash_secret("1", 10'000)});
  access.basic.push_back({"b", hash_secret("2", 10'000)});
  const auto route = *RouteAccess::make(access, config);
  EXPECT_FALSE(route->verify("Basic " + base64("a:2")));
  EXPECT_FALSE(route->remembered("Basic " + base64("a:2")));
  EXPECT_TRUE(route->verify("Basic " + base64("a:1")));
  EXPECT_TRUE(route->remembered("Basic " + base64("a:1")));
  EXPECT_TRUE(route->verify("Basic " + base64("b:2")));  // one entry: it takes a's place
  EXPECT_TRUE(route->remembered("Basic " + base64("b:2")));
  EXPECT_FALSE(route->remembered("Basic " + base64("a:1")));
}

}  // namespace
}  // namespace hserver::service
