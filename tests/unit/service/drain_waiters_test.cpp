#include "dispatch/drain_waiters.hpp"

#include <gtest/gtest.h>

#include <set>

namespace hserver::service {
namespace {

TEST(DrainWaiters, SettledOnceAllItsRoutesAreIdle) {
  DrainWaiters drains;
  std::vector<int> results;
  drains.add({0, 1}, [&](bool ok) { results.push_back(ok ? 1 : 0); });
  std::set<std::size_t> busy{1};
  const auto idle = [&](std::size_t r) { return busy.count(r) == 0; };
  EXPECT_TRUE(drains.settle(idle).empty());
  busy.clear();
  auto settled = drains.settle(idle);
  ASSERT_EQ(settled.size(), 1u);
  settled[0](true);
  EXPECT_EQ(results, std::vector<int>{1});
  EXPECT_TRUE(drains.settle(idle).empty());  // exactly once
  EXPECT_EQ(drains.size(), 0u);
}

TEST(DrainWaiters, ATimeoutExpiresOnlyItsOwnDrain) {
  DrainWaiters drains;
  int first = -1, second = -1;
  const auto a = drains.add({0}, [&](bool ok) { first = ok; });
  drains.add({1}, [&](bool ok) { second = ok; });
  auto expired = drains.expire(a);
  ASSERT_TRUE(expired);
  expired(false);
  EXPECT_EQ(first, 0);
  EXPECT_EQ(second, -1);
  EXPECT_FALSE(drains.expire(a));  // already gone: the timer of a settled drain finds nothing
  auto settled = drains.settle([](std::size_t) { return true; });
  ASSERT_EQ(settled.size(), 1u);
  settled[0](true);
  EXPECT_EQ(second, 1);
}

}  // namespace
}  // namespace hserver::service
