#include "hserver/common/shm/registry.hpp"

#include <gtest/gtest.h>
#include <unistd.h>  // getpid (MinGW has it too)
#if !defined(_WIN32)
#include <sys/wait.h>
#endif

#include <thread>

#include "hserver/common/platform/process.hpp"

namespace hserver::shm {
namespace {

using namespace std::chrono_literals;

class RegistryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    prefix_ = "hserver-regtest-" + std::to_string(::getpid());
    platform::SharedMemory::remove(registry_name(prefix_));  // leftovers of a crashed earlier run
  }
  void TearDown() override { platform::SharedMemory::remove(registry_name(prefix_)); }
  std::vector<RouteInfo> routes() const {
    return {RouteInfo{"stock", 3188, RouteMode::legacy, 2}, RouteInfo{"api", 3190, RouteMode::http, 1}};
  }
  std::string prefix_;
};

TEST_F(RegistryTest, AddinFindsRoutesByPortAndName) {
  auto owner = RegistryOwner::create(prefix_, routes(), 1 << 16, {});
  ASSERT_TRUE(owner.has_value()) << owner.error();
  auto client = RegistryClient::open(prefix_);
  ASSERT_TRUE(client.has_value()) << client.error();
  ASSERT_EQ(client->routes().size(), 2u);
  EXPECT_EQ(client->routes()[1].name, "api");
  EXPECT_EQ(client->routes()[1].mode, RouteMode::http);

  // The service side answers the first claim it sees.
  std::thread service([&] {
    auto& route = owner->header().routes[1];
    while (route.slots[0].state.load() != static_cast<std::uint32_t>(SlotState::claimed)) std::this_thread::yield();
    EXPECT_EQ(route.slots[0].addin.pid, static_cast<std::uint32_t>(::getpid()));
    owner->answer(1, 0, SlotState::ready, RefusalReason::none, ChannelToken{{0x0123456789abcdefull, 42}});
  });
  auto claim = client->attach(std::nullopt, "api", 0, 5s);
  service.join();
  ASSERT_TRUE(claim.has_value()) << claim.error();
  EXPECT_EQ(claim->route_index, 1u);
  // The name carries the token the service wrote with `ready`: nobody who has not read it can guess it.
  EXPECT_EQ(claim->channel_name,
            prefix_ + ".ch." + std::to_string(::getpid()) + ".1.0.1.0123456789abcdef000000000000002a");

  // The only slot of "api" is taken now.
  auto second = client->attach(3190, "", 0, 200ms);
  ASSERT_FALSE(second.has_value());
  EXPECT_NE(second.error().find("slots taken"), std::string::npos);
  EXPECT_NE(second.error().find("максимальное число рабочих сеансов"), std::string::npos) << second.error();
}

TEST_F(RegistryTest, UnknownPortNamesWhatIsServed) {
  auto owner = RegistryOwner::create(prefix_, routes(), 1 << 16, {});
  ASSERT_TRUE(owner.has_value());
  auto client = RegistryClient::open(prefix_);
  auto claim = client->attach(9999, "", 0, 1s);
  ASSERT_FALSE(claim.has_value());
  EXPECT_NE(claim.error().find("stock (port 3188)"), std::string::npos) << claim.error();
}

TEST_F(RegistryTest, UnansweredClaimTimesOutAndFreesTheSlot) {
  auto owner = RegistryOwner::create(prefix_, routes(), 1 << 16, {});
  ASSERT_TRUE(owner.has_value());
  auto client = RegistryClient::open(prefix_);
  auto claim = client->attach(3188, "", 0, 150ms);
  ASSERT_FALSE(claim.has_value());
  EXPECT_NE(claim.error().find("did not answer"), std::string::npos);
  EXPECT_EQ(owner->header().routes[0].slots[0].state.load(), static_cast<std::uint32_t>(SlotState::free));
}

TEST_F(RegistryTest, NoServiceMeansAClearError) {
  auto client = RegistryClient::open(prefix_);
  ASSERT_FALSE(client.has_value());
  EXPECT_NE(client.error().find("not running"), std::string::npos);
}

TEST_F(RegistryTest, VersionMismatchIsRefusedAndReportedToTheService) {
  auto owner = RegistryOwner::create(prefix_, routes(), 1 << 16, {});
  ASSERT_TRUE(owner.has_value());
  owner->header().prefix.layout_version = kLayoutVersion + 1;  // as a newer service would have it
  auto client = RegistryClient::open(prefix_);
  ASSERT_FALSE(client.has_value());
  EXPECT_NE(client.error().find("versions differ"), std::string::npos);
  EXPECT_EQ(owner->header().mismatch.count.load(), 1u);
  EXPECT_EQ(owner->header().mismatch.addin_layout_version, kLayoutVersion);
}

TEST_F(RegistryTest, SecondOwnerIsRefusedWhileTheFirstLives) {
  auto owner = RegistryOwner::create(prefix_, routes(), 1 << 16, {});
  ASSERT_TRUE(owner.has_value());
  auto second = RegistryOwner::create(prefix_, routes(), 1 << 16, {});
  ASSERT_FALSE(second.has_value());
  EXPECT_NE(second.error().find("another 1chserver"), std::string::npos);
}

TEST_F(RegistryTest, ARegistryTheServiceDidNotCreateIsNeverRemoved) {
#if defined(_WIN32)
  // POSIX-only: fork() does not exist, and on Windows a named object goes with its last handle.
  GTEST_SKIP() << "POSIX-only: Windows removes a dead service's objects with its last handle";
#else
  // A child creates the registry, then dies without cleaning up: the object is someone else's now.
  const pid_t child = ::fork();
  if (child == 0) {
    auto owner = RegistryOwner::create(prefix_, routes(), 1 << 16, {});
    ::_exit(owner.has_value() ? 0 : 1);  // no destructors: the object stays behind
  }
  int status = 0;
  ::waitpid(child, &status, 0);
  ASSERT_EQ(WEXITSTATUS(status), 0);

  auto owner = RegistryOwner::create(prefix_, routes(), 1 << 16, {});
  ASSERT_FALSE(owner.has_value());
  EXPECT_NE(owner.error().find("File exists"), std::string::npos) << owner.error();
  EXPECT_TRUE(platform::SharedMemory::open(registry_name(prefix_)).has_value()) << "removed what it did not create";
#endif
}

TEST(ChannelName, DiffersByToken) {
  const ChannelToken a{{1, 2}}, b{{1, 3}};
  EXPECT_NE(channel_name("p", 7, 0, 0, 1, a), channel_name("p", 7, 0, 0, 1, b));
  EXPECT_EQ(channel_name("p", 7, 0, 1, 2, a), "p.ch.7.0.1.2.00000000000000010000000000000002");
}

}  // namespace
}  // namespace hserver::shm
