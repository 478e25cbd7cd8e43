// The global memory budget: reservations that fit, refuse beyond the limit, move with their owner and
// give their bytes back on every path; and a budget shared by threads that never goes over its limit.
#include "http/memory_budget.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

namespace hserver::service {
namespace {

using Reservation = MemoryBudget::Reservation;

TEST(MemoryBudget, ReservesWithinTheLimitAndRefusesBeyondIt) {
  auto budget = std::make_shared<MemoryBudget>(1000);
  Reservation first = budget->open();
  ASSERT_TRUE(first.try_grow(600));
  Reservation second = budget->open();
  EXPECT_FALSE(second.try_grow(401));  // 1001 would not fit
  EXPECT_EQ(second.bytes(), 0u);
  EXPECT_TRUE(second.try_grow(400));  // exactly the limit does
  EXPECT_EQ(budget->in_use(), 1000u);
  EXPECT_FALSE(budget->open().try_grow(1));
}

TEST(MemoryBudget, ARequestLargerThanTheWholeBudgetIsRefusedWithoutOverflow) {
  auto budget = std::make_shared<MemoryBudget>(1000);
  Reservation held = budget->open();
  ASSERT_TRUE(held.try_grow(10));
  EXPECT_FALSE(budget->open().try_grow(UINT64_MAX));  // now + bytes would wrap around
  EXPECT_EQ(budget->in_use(), 10u);
}

TEST(MemoryBudget, DestructionAndReleaseGiveTheBytesBack) {
  auto budget = std::make_shared<MemoryBudget>(1000);
  {
    Reservation held = budget->open();
    ASSERT_TRUE(held.try_grow(300));
    ASSERT_TRUE(held.try_grow(200));  // a chunked body growing
    EXPECT_EQ(held.bytes(), 500u);
    EXPECT_EQ(budget->in_use(), 500u);
  }
  EXPECT_EQ(budget->in_use(), 0u);
  Reservation held = budget->open();
  ASSERT_TRUE(held.try_grow(700));
  held.release();
  EXPECT_EQ(held.bytes(), 0u);
  EXPECT_EQ(budget->in_use(), 0u);
  held.release();  // twice is harmless
  EXPECT_EQ(budget->in_use(), 0u);
  EXPECT_EQ(budget->peak(), 700u);
}

TEST(MemoryBudget, AReservationMovesWithItsOwnerAndIsCountedOnce) {
  auto budget = std::make_shared<MemoryBudget>(1000);
  Reservation reading = budget->open();
  ASSERT_TRUE(reading.try_grow(400));
  Reservation pending = std::move(reading);  // the request read becomes a request in hand
  EXPECT_EQ(reading.bytes(), 0u);            // NOLINT(bugprone-use-after-move): moved-from is empty
  EXPECT_EQ(pending.bytes(), 400u);
  EXPECT_EQ(budget->in_use(), 400u);

  Reservation other = budget->open();
  ASSERT_TRUE(other.try_grow(100));
  other = std::move(pending);  // assignment gives back what `other` held first
  EXPECT_EQ(budget->in_use(), 400u);
  other = Reservation{};
  EXPECT_EQ(budget->in_use(), 0u);
}

TEST(MemoryBudget, AnAnswerInMemoryCountsEvenBeyondTheLimitAndBlocksNewRequests) {
  auto budget = std::make_shared<MemoryBudget>(1000);
  Reservation request = budget->open();
  ASSERT_TRUE(request.try_grow(800));
  Reservation answer = budget->open();
  answer.grow_anyway(500);  // already received from 1C: refusing it would free nothing
  EXPECT_EQ(budget->in_use(), 1300u);
  EXPECT_FALSE(budget->open().try_grow(1));
  request.absorb(std::move(answer));  // the answer joins its request until written
  EXPECT_EQ(request.bytes(), 1300u);
  EXPECT_EQ(answer.bytes(), 0u);  // NOLINT(bugprone-use-after-move)
  request.release();
  EXPECT_EQ(budget->in_use(), 0u);
  EXPECT_TRUE(budget->open().try_grow(1000));
}

TEST(MemoryBudget, AnEmptyReservationAbsorbsOneOfABudget) {
  auto budget = std::make_shared<MemoryBudget>(1000);
  Reservation refused_request;  // a request refused by the front holds nothing, and has no budget
  Reservation answer = budget->open();
  answer.grow_anyway(50);
  refused_request.absorb(std::move(answer));
  EXPECT_EQ(refused_request.bytes(), 50u);
  refused_request = Reservation{};
  EXPECT_EQ(budget->in_use(), 0u);
  EXPECT_FALSE(Reservation{}.try_grow(1));  // nothing to draw on
}

TEST(MemoryBudget, AReservationKeepsItsBudgetAliveAfterItsOwnerHasGone) {
  auto budget = std::make_shared<MemoryBudget>(1000);
  std::weak_ptr<MemoryBudget> watch = budget;
  Reservation late = budget->open();  // an answer still queued when the server is torn down
  ASSERT_TRUE(late.try_grow(10));
  budget.reset();
  EXPECT_FALSE(watch.expired());
  late.release();
  late = Reservation{};
  EXPECT_TRUE(watch.expired());
}

TEST(MemoryBudget, ThreadsSharingTheBudgetNeverTakeMoreThanItHoldsAndLeaveNothingBehind) {
  constexpr std::uint64_t kLimit = 10'000;
  auto budget = std::make_shared<MemoryBudget>(kLimit);
  std::atomic<std::uint64_t> granted{0};
  std::atomic<std::uint64_t> refused{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 20'000; ++i) {
        Reservation held = budget->open();
        const std::uint64_t bytes = 1000 + static_cast<std::uint64_t>((t * 7 + i) % 5) * 500;
        if (held.try_grow(bytes)) {
          granted.fetch_add(1, std::memory_order_relaxed);
          if (i % 3 == 0 && !held.try_grow(bytes)) refused.fetch_add(1, std::memory_order_relaxed);
        } else {
          refused.fetch_add(1, std::memory_order_relaxed);
        }
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(budget->in_use(), 0u);
  EXPECT_LE(budget->peak(), kLimit);
  EXPECT_GT(granted.load(), 0u);
}

}  // namespace
}  // namespace hserver::service
