#include "hserver/common/shm/channel.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <optional>
#include <thread>

#include "hserver/common/platform/process.hpp"

namespace hserver::shm {
namespace {

using namespace std::chrono_literals;

/// Both ends of one channel in this process, on a real shared-memory segment named per test and pid.
class ChannelTest : public ::testing::Test {
 protected:
  void SetUp() override {
    name_ = "hserver-test." + std::to_string(::getpid()) + "." +
            ::testing::UnitTest::GetInstance()->current_test_info()->name();
    platform::SharedMemory::remove(name_);  // leftovers of a crashed earlier run
  }
  void TearDown() override { platform::SharedMemory::remove(name_); }

  std::pair<Channel, Channel> make(std::uint32_t ring_bytes) {
    auto service = Channel::create(name_, ring_bytes, {}, 0, 0, 1, platform::current_process());
    EXPECT_TRUE(service.has_value()) << (service ? "" : service.error());
    auto addin = Channel::open(name_);
    EXPECT_TRUE(addin.has_value()) << (addin ? "" : addin.error());
    return {std::move(*service), std::move(*addin)};
  }

  std::string name_;
};

std::vector<std::byte> pattern(std::size_t n) {
  std::vector<std::byte> v(n);
  for (std::size_t i = 0; i < n; ++i) v[i] = static_cast<std::byte>((i * 7 + i / 4096) & 0xff);
  return v;
}

TEST_F(ChannelTest, SmallMessagesArriveInOrder) {
  auto [service, addin] = make(4096);
  for (std::uint64_t id = 1; id <= 5; ++id)
    service.send(MessageType::request, id, pattern(static_cast<std::size_t>(10 * id)));
  ASSERT_TRUE(service.pump([](Message&&) {}).has_value());
  std::vector<std::uint64_t> ids;
  ASSERT_TRUE(addin
                  .pump([&](Message&& m) {
                    EXPECT_EQ(m.payload, pattern(static_cast<std::size_t>(10 * m.id)));
                    ids.push_back(m.id);
                  })
                  .has_value());
  EXPECT_EQ(ids, (std::vector<std::uint64_t>{1, 2, 3, 4, 5}));
}

TEST_F(ChannelTest, MessageMuchLargerThanTheRingStreamsThroughInFragments) {
  auto [service, addin] = make(4096);
  const auto big = pattern(3 * 1024 * 1024 + 5);  // 3 MiB through a 4 KiB ring
  service.send(MessageType::request, 42, big);
  std::atomic<bool> received{false};
  std::thread consumer([&, &addin = addin] {
    const auto deadline = std::chrono::steady_clock::now() + 20s;
    while (!received && std::chrono::steady_clock::now() < deadline) {
      const auto seen = addin.bell_sequence();
      auto progress = addin.pump([&](Message&& m) {
        EXPECT_EQ(m.id, 42u);
        EXPECT_TRUE(m.payload == big);
        received = true;
      });
      ASSERT_TRUE(progress.has_value());
      if (!*progress) addin.wait(seen, 50ms);
    }
  });
  const auto deadline = std::chrono::steady_clock::now() + 20s;
  while (service.outbound_pending() && std::chrono::steady_clock::now() < deadline) {
    const auto seen = service.bell_sequence();
    auto progress = service.pump([](Message&&) {});
    ASSERT_TRUE(progress.has_value());
    if (!*progress) service.wait(seen, 50ms);
  }
  consumer.join();
  EXPECT_TRUE(received);
  EXPECT_FALSE(service.outbound_pending());
}

TEST_F(ChannelTest, EmptyMessagesPass) {
  auto [service, addin] = make(4096);
  service.send(MessageType::cancel, 9, {});
  ASSERT_TRUE(service.pump([](Message&&) {}).has_value());
  int seen = 0;
  ASSERT_TRUE(addin
                  .pump([&](Message&& m) {
                    EXPECT_EQ(m.type, MessageType::cancel);
                    EXPECT_TRUE(m.payload.empty());
                    ++seen;
                  })
                  .has_value());
  EXPECT_EQ(seen, 1);
}

/// Writes a raw frame into the response ring as a hostile add-in would.
void inject(ChannelHeader& h, const FrameHeader& frame, std::size_t payload_bytes_written) {
  auto* data = reinterpret_cast<std::byte*>(&h) + h.response_ring.data_offset;
  const std::uint64_t pos = h.response_ring.write_position.load();
  std::memcpy(data + (pos & (h.response_ring.capacity - 1)), &frame, sizeof frame);
  h.response_ring.write_position.store(pos + frame_bytes(payload_bytes_written));
}

TEST_F(ChannelTest, HostileFramesAreProtocolErrors) {
  {
    auto [service, addin] = make(4096);
    inject(service.header(), FrameHeader{0, 77, kFrameFirst | kFrameLast, 1}, 0);
    auto r = service.pump([](Message&&) { FAIL(); });
    ASSERT_FALSE(r.has_value());
    EXPECT_NE(r.error().what.find("unknown message type"), std::string::npos);
  }
  TearDown();
  {
    auto [service, addin] = make(4096);
    inject(service.header(), FrameHeader{8, 2, kFrameLast, 1}, 8);  // a continuation with no start
    auto r = service.pump([](Message&&) { FAIL(); });
    ASSERT_FALSE(r.has_value());
    EXPECT_NE(r.error().what.find("without its first"), std::string::npos);
  }
  TearDown();
  {
    auto [service, addin] = make(4096);
    inject(service.header(), FrameHeader{100000, 2, kFrameFirst | kFrameLast, 1}, 8);  // longer than published
    EXPECT_FALSE(service.pump([](Message&&) { FAIL(); }).has_value());
  }
  TearDown();
  {
    auto [service, addin] = make(4096);
    service.set_max_message_bytes(16);
    EXPECT_EQ(addin.peer_max_message_bytes(), 16u) << "the add-in reads the service's limit from the header";
    addin.send(MessageType::response, 3, pattern(64));
    ASSERT_TRUE(addin.pump([](Message&&) {}).has_value());
    auto r = service.pump([](Message&&) { FAIL(); });
    ASSERT_FALSE(r.has_value());
    EXPECT_NE(r.error().what.find("exceeds"), std::string::npos);
    // Told apart from a broken channel: the message's id comes with it.
    EXPECT_EQ(r.error().oversized_message, std::optional<std::uint64_t>{3});
  }
}

TEST_F(ChannelTest, TheServiceSaysWhyItDetaches) {
  auto [service, addin] = make(4096);
  EXPECT_EQ(addin.peer_detach_reason(), DetachReason::unspecified);
  service.detach_with(DetachReason::response_too_large);
  EXPECT_EQ(addin.peer_state(), EndState::detached);
  EXPECT_EQ(addin.peer_detach_reason(), DetachReason::response_too_large);
  service.header().service_detach_reason.store(999);  // scribbled over: not believed
  EXPECT_EQ(addin.peer_detach_reason(), DetachReason::unspecified);
}

TEST_F(ChannelTest, OpenRejectsAnotherLayoutVersion) {
  auto service = Channel::create(name_, 4096, {}, 0, 0, 1, platform::current_process());
  ASSERT_TRUE(service.has_value());
  service->header().prefix.layout_version = kLayoutVersion + 1;
  auto addin = Channel::open(name_);
  ASSERT_FALSE(addin.has_value());
  EXPECT_NE(addin.error().find("layout version"), std::string::npos);
}

TEST_F(ChannelTest, StatesAndHeartbeatsAreSeenByThePeer) {
  auto [service, addin] = make(4096);
  EXPECT_EQ(service.peer_state(), EndState::opening);
  addin.set_state(EndState::attached);
  EXPECT_EQ(service.peer_state(), EndState::attached);
  addin.beat();
  EXPECT_LE(monotonic_ms() - service.peer_heartbeat_ms(), 1000u);
  EXPECT_EQ(addin.peer_process().pid, static_cast<std::uint32_t>(::getpid()));
}

}  // namespace
}  // namespace hserver::shm
