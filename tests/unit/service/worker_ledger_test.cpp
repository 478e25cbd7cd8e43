#include "dispatch/worker_ledger.hpp"

#include <gtest/gtest.h>

#include <string>

namespace hserver::service {
namespace {

using Ledger = WorkerLedger<std::string>;
using Kind = Ledger::Verdict::Kind;
using shm::MessageType;

TEST(WorkerLedger, AnAnswerToARequestInItsHandsReturnsThatRequestOnce) {
  Ledger ledger;
  ledger.hand(7, "seven");
  ledger.hand(8, "eight");
  auto v = ledger.judge(MessageType::response, 7);
  ASSERT_EQ(v.kind, Kind::answer);
  EXPECT_EQ(*v.request, "seven");
  EXPECT_EQ(ledger.in_hand(), 1u);
  EXPECT_EQ(ledger.answered(), 1u);
  // A second answer to the same request is another add-in's business: a violation.
  v = ledger.judge(MessageType::response, 7);
  EXPECT_EQ(v.kind, Kind::violation);
  EXPECT_EQ(v.violation, "an answer to request 7, which is not in its hands");
}

TEST(WorkerLedger, TakenMarksTheRequestSoItIsNeverGivenToAnotherWorker) {
  Ledger ledger;
  ledger.hand(1, "a");
  ledger.hand(2, "b");
  EXPECT_EQ(ledger.judge(MessageType::taken, 2).kind, Kind::taken);
  auto all = ledger.take_all();
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].first, 1u);  // oldest first
  EXPECT_FALSE(all[0].second.taken);
  EXPECT_TRUE(all[1].second.taken);
  EXPECT_EQ(ledger.in_hand(), 0u);
}

TEST(WorkerLedger, ARequestTakenBackMayBeAnsweredLateExactlyOnce) {
  Ledger ledger;
  ledger.hand(5, "five");
  ASSERT_EQ(ledger.take_back(5), "five");
  EXPECT_FALSE(ledger.take_back(5).has_value());
  EXPECT_EQ(ledger.judge(MessageType::taken, 5).kind, Kind::taken);  // the add-in had not seen the cancel
  EXPECT_EQ(ledger.judge(MessageType::response, 5).kind, Kind::late_answer);
  EXPECT_EQ(ledger.judge(MessageType::response, 5).kind, Kind::violation);
  EXPECT_EQ(ledger.answered(), 0u);
}

TEST(WorkerLedger, TheServiceStoppingTakesEverythingBackButLateAnswersStayAllowed) {
  Ledger ledger;
  ledger.hand(1, "a");
  ledger.hand(2, "b");
  EXPECT_EQ(ledger.take_back_all().size(), 2u);
  EXPECT_EQ(ledger.judge(MessageType::response, 2).kind, Kind::late_answer);
  EXPECT_EQ(ledger.judge(MessageType::response, 1).kind, Kind::late_answer);
}

TEST(WorkerLedger, OnlyTheLatestReleasedIdsAreRemembered) {
  Ledger ledger;
  for (std::uint64_t id = 1; id <= Ledger::kReleasedRemembered + 1; ++id) {
    ledger.hand(id, "r");
    ASSERT_TRUE(ledger.take_back(id).has_value());
  }
  EXPECT_EQ(ledger.judge(MessageType::response, 1).kind, Kind::violation);  // forgotten: bounded memory
  EXPECT_EQ(ledger.judge(MessageType::response, 2).kind, Kind::late_answer);
}

TEST(WorkerLedger, AnAddInMaySpeakOnlyOfRequestsHandedToIt) {
  Ledger ledger;
  ledger.hand(1, "a");
  auto v = ledger.judge(MessageType::taken, 99);
  EXPECT_EQ(v.kind, Kind::violation);
  EXPECT_EQ(v.violation, "'taken' for request 99, which is not in its hands");
  v = ledger.judge(MessageType::request, 1);
  EXPECT_EQ(v.kind, Kind::violation);
  EXPECT_EQ(v.violation, "a message of type 1, which only the service sends");
  v = ledger.judge(MessageType::cancel, 1);
  EXPECT_EQ(v.kind, Kind::violation);
  EXPECT_EQ(ledger.in_hand(), 1u);  // violations change nothing
}

}  // namespace
}  // namespace hserver::service
