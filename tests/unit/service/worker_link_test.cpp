#include "dispatch/worker_link.hpp"

#include <gtest/gtest.h>

#include <condition_variable>
#include <mutex>
#include <optional>

#include "hserver/common/platform/process.hpp"
#include "hserver/common/platform/shared_memory.hpp"

#ifndef _WIN32
#include <unistd.h>
#else
#include <process.h>
#define getpid _getpid
#endif

namespace hserver::service {
namespace {

using namespace std::chrono_literals;
using shm::MessageType;

TEST(PeerLiveness, AHeartbeatCountsWhenItChangesByOurClock) {
  PeerLiveness live(/*beat*/ 100, /*now*/ 1000, /*silence*/ 500);
  EXPECT_TRUE(live.alive(100, 1500));
  EXPECT_FALSE(live.alive(100, 1501));  // the same value for longer than allowed
  EXPECT_TRUE(live.alive(101, 1502));   // it changed: alive again, counted from now
  EXPECT_TRUE(live.alive(101, 2002));
  EXPECT_FALSE(live.alive(101, 2003));
}

TEST(PeerLiveness, AFrozenValueFarInTheFutureDoesNotKeepASilentAddInAlive) {
  PeerLiveness live(~0ull, 1000, 500);
  EXPECT_FALSE(live.alive(~0ull, 2000));
}

/// A real channel in this process: the link serves the service end on its own thread, the test plays the
/// add-in on the other end.
class WorkerLinkTest : public ::testing::Test {
 protected:
  void SetUp() override {
    name_ = "hserver-link-test." + std::to_string(::getpid()) + "." +
            ::testing::UnitTest::GetInstance()->current_test_info()->name();
    platform::SharedMemory::remove(name_);
  }
  void TearDown() override {
    link_.reset();
    addin_.reset();
    platform::SharedMemory::remove(name_);
  }

  void attach(std::chrono::milliseconds liveness, std::uint64_t max_message_bytes = 1 << 20) {
    auto service = shm::Channel::create(name_, 4096, {}, 0, 0, 1, platform::current_process());
    ASSERT_TRUE(service.has_value()) << service.error();
    auto addin = shm::Channel::open(name_);
    ASSERT_TRUE(addin.has_value()) << addin.error();
    addin_.emplace(std::move(*addin));
    addin_->set_state(shm::EndState::attached);
    link_.emplace(std::move(*service), liveness, max_message_bytes);
    link_->start({.message =
                      [this](shm::Message&& m) {
                        std::lock_guard lock(mutex_);
                        received_.push_back(m.id);
                        if (reject_id_ == m.id) link_->reject("request " + std::to_string(m.id) + " is refused");
                        changed_.notify_all();
                      },
                  .departed =
                      [this](const Departure& d) {
                        std::lock_guard lock(mutex_);
                        departures_.push_back(d);
                      },
                  .ended =
                      [this] {
                        std::lock_guard lock(mutex_);
                        ended_ = true;
                        changed_.notify_all();
                      }});
  }

  void send_from_addin(MessageType type, std::uint64_t id, std::size_t bytes = 16) {
    addin_->send(type, id, std::vector<std::byte>(bytes, std::byte{'x'}), shm::Channel::Flush::now);
    // A message larger than the ring streams out as the service reads: keep pumping until it is written.
    for (int i = 0; i < 1000 && addin_->outbound_pending() && addin_->peer_state() != shm::EndState::detached; ++i) {
      std::this_thread::sleep_for(1ms);
      (void)addin_->pump([](shm::Message&&) {});
    }
  }

  /// Waits (generously: the link polls every kTick at worst) for the thread to end.
  bool wait_ended() {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, 20s, [&] { return ended_; });
  }
  bool wait_received(std::size_t n) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, 20s, [&] { return received_.size() >= n; });
  }

  std::string name_;
  std::optional<shm::Channel> addin_;
  std::optional<WorkerLink> link_;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<std::uint64_t> received_;
  std::vector<Departure> departures_;
  std::uint64_t reject_id_ = 0;
  bool ended_ = false;
};

TEST_F(WorkerLinkTest, MessagesFlowBothWays) {
  attach(60s);
  link_->send(MessageType::request, 1, std::vector<std::byte>(10, std::byte{'r'}), shm::Channel::Flush::now);
  std::vector<std::uint64_t> at_addin;
  for (int i = 0; i < 2000 && at_addin.empty(); ++i) {
    ASSERT_TRUE(addin_->pump([&](shm::Message&& m) { at_addin.push_back(m.id); }).has_value());
    if (at_addin.empty()) std::this_thread::sleep_for(1ms);
  }
  EXPECT_EQ(at_addin, std::vector<std::uint64_t>{1});
  send_from_addin(MessageType::taken, 1);
  send_from_addin(MessageType::response, 1);
  ASSERT_TRUE(wait_received(2));
  EXPECT_EQ(received_, (std::vector<std::uint64_t>{1, 1}));
  EXPECT_FALSE(link_->finished());
}

TEST_F(WorkerLinkTest, AnAddInThatDetachesLeavesOnceAndWhatItWroteBeforeStillCounts) {
  attach(60s);
  send_from_addin(MessageType::response, 3);
  addin_->set_state(shm::EndState::detached);
  ASSERT_TRUE(wait_ended());
  link_->join();
  EXPECT_TRUE(link_->finished());
  EXPECT_EQ(received_, std::vector<std::uint64_t>{3});
  ASSERT_EQ(departures_.size(), 1u);
  EXPECT_EQ(departures_[0].why, "detached");
}

TEST_F(WorkerLinkTest, ASilentAddInIsDismissedAndToldWhy) {
  attach(300ms);  // the add-in never beats
  ASSERT_TRUE(wait_ended());
  ASSERT_EQ(departures_.size(), 1u);
  EXPECT_EQ(departures_[0].why, "no heartbeat for 300 ms");
  EXPECT_EQ(addin_->peer_state(), shm::EndState::detached);
  EXPECT_EQ(addin_->peer_detach_reason(), shm::DetachReason::no_heartbeat);
}

TEST_F(WorkerLinkTest, ARejectedAddInIsHeardNoMoreAndLosesItsChannel) {
  attach(60s);
  {
    std::lock_guard lock(mutex_);  // the link's thread reads it
    reject_id_ = 2;
  }
  send_from_addin(MessageType::response, 2);
  send_from_addin(MessageType::response, 4);  // after the violation: never delivered
  ASSERT_TRUE(wait_ended());
  EXPECT_EQ(received_, std::vector<std::uint64_t>{2});
  ASSERT_EQ(departures_.size(), 1u);
  EXPECT_EQ(departures_[0].why, "protocol error, channel dropped: request 2 is refused");
  EXPECT_EQ(addin_->peer_detach_reason(), shm::DetachReason::protocol_error);
}

TEST_F(WorkerLinkTest, AnAnswerLargerThanTheLimitNamesItsRequest) {
  attach(60s, 1024);
  send_from_addin(MessageType::response, 9, 8192);
  ASSERT_TRUE(wait_ended());
  ASSERT_EQ(departures_.size(), 1u);
  EXPECT_EQ(departures_[0].oversized, 9u);
  EXPECT_EQ(departures_[0].why.rfind("answer too large, channel dropped: the answer to request 9 is larger than the "
                                     "1024 bytes",
                                     0),
            0u)
      << departures_[0].why;
  EXPECT_EQ(addin_->peer_max_message_bytes(), 1024u);  // published: a sound add-in refuses it itself
  EXPECT_EQ(addin_->peer_detach_reason(), shm::DetachReason::response_too_large);
}

TEST_F(WorkerLinkTest, StopTellsTheAddInTheServiceIsStoppingWithoutADeparture) {
  attach(60s);
  link_->stop();
  ASSERT_TRUE(wait_ended());
  link_->join();
  EXPECT_TRUE(departures_.empty());
  EXPECT_EQ(addin_->peer_state(), shm::EndState::detached);
  EXPECT_EQ(addin_->peer_detach_reason(), shm::DetachReason::service_stopping);
}

}  // namespace
}  // namespace hserver::service
