// The host emulator's own checks: a fixture that missed a misuse would make every test that relies on
// it prove nothing. Calls go through the vtables the host builds, as the add-in's calls do.

#include <gtest/gtest.h>

#include <thread>

#include "hserver/host/connection.hpp"
#include "hserver/host/memory_ledger.hpp"
#include "hserver/host/text.hpp"

namespace hserver::host {
namespace {

using namespace std::chrono_literals;

using AllocFn = bool(HSERVER_HOST_CALL*)(void*, void**, unsigned long);
using FreeFn = void(HSERVER_HOST_CALL*)(void*, void**);
using EventFn = bool(HSERVER_HOST_CALL*)(void*, abi::WChar*, abi::WChar*, abi::WChar*);
using SetDepthFn = bool(HSERVER_HOST_CALL*)(void*, long);
using GetDepthFn = long(HSERVER_HOST_CALL*)(void*);
using AddErrorFn = bool(HSERVER_HOST_CALL*)(void*, unsigned short, const abi::WChar*, const abi::WChar*, long);

template <class Fn>
Fn slot(void* object, int index) {
  return reinterpret_cast<Fn>((*static_cast<const abi::Slot* const*>(object))[index]);
}

struct Ledger {
  Violations violations;
  MemoryLedger ledger{violations};
  void* alloc(unsigned long bytes) {
    void* block = nullptr;
    EXPECT_TRUE(slot<AllocFn>(ledger.interface(), abi::kAllocMemory)(ledger.interface(), &block, bytes));
    return block;
  }
  void free(void* block) { slot<FreeFn>(ledger.interface(), abi::kFreeMemory)(ledger.interface(), &block); }
};

TEST(MemoryLedger, CleanUseHasNoViolation) {
  Ledger l;
  void* returned = l.alloc(8);
  void* scratch = l.alloc(0);
  l.free(scratch);
  EXPECT_TRUE(l.ledger.release_returned(returned, 8, "value"));
  EXPECT_EQ(l.ledger.check_leaks(), 0u);
  EXPECT_TRUE(l.violations.empty());
}

TEST(MemoryLedger, ReturnedMemoryNotFromAllocMemory) {
  Ledger l;
  char on_stack[4] = {};
  EXPECT_FALSE(l.ledger.release_returned(on_stack, 1, "GetPropName(0, 0)"));
  ASSERT_EQ(l.violations.list().size(), 1u);
  EXPECT_NE(l.violations.list()[0].find("GetPropName(0, 0)"), std::string::npos);
}

TEST(MemoryLedger, ReturnedMemoryAlreadyFreed) {
  Ledger l;
  void* block = l.alloc(4);
  l.free(block);
  EXPECT_FALSE(l.ledger.release_returned(block, 1, "result"));
  EXPECT_EQ(l.violations.list().size(), 1u);
}

TEST(MemoryLedger, ReturnedBlockTooSmall) {
  Ledger l;
  void* block = l.alloc(2);
  EXPECT_FALSE(l.ledger.release_returned(block, 4, "PWSTR"));
  EXPECT_EQ(l.violations.list().size(), 1u);
}

TEST(MemoryLedger, DoubleFreeAndUnknownFreeByTheAddin) {
  Ledger l;
  void* block = l.alloc(4);
  l.free(block);
  l.free(block);
  int not_allocated = 0;
  l.free(&not_allocated);
  EXPECT_EQ(l.violations.list().size(), 2u);
}

TEST(MemoryLedger, LeakIsReported) {
  Ledger l;
  l.alloc(16);
  EXPECT_EQ(l.ledger.check_leaks(), 1u);
  EXPECT_EQ(l.violations.list().size(), 1u);
}

struct Host {
  Violations violations;
  Connection connection{violations};
  void* iface() { return connection.interface(); }
  bool raise(std::u16string_view data) {
    auto source = to_wide(u"1CHServer");
    auto event = to_wide(u"Request");
    auto wide = to_wide(data);
    return slot<EventFn>(iface(), abi::kExternalEvent)(iface(), source.data(), event.data(), wide.data());
  }
};

TEST(Connection, BufferOfOneDropsTheSecondEventUntilTaken) {
  Host h;
  EXPECT_EQ(slot<GetDepthFn>(h.iface(), abi::kGetEventBufferDepth)(h.iface()), 1);
  EXPECT_TRUE(h.raise(u"1"));
  EXPECT_FALSE(h.raise(u"2"));
  EXPECT_EQ(h.connection.dropped_events(), 1u);
  const auto taken = h.connection.take_event(0ms);
  ASSERT_TRUE(taken.has_value());
  EXPECT_EQ(taken->source, "1CHServer");
  EXPECT_EQ(taken->name, "Request");
  EXPECT_EQ(taken->data, "1");
  EXPECT_TRUE(h.raise(u"3"));  // the slot freed when the main thread took the event
  EXPECT_TRUE(h.violations.empty());
}

TEST(Connection, DepthSetByTheAddin) {
  Host h;
  EXPECT_TRUE(slot<SetDepthFn>(h.iface(), abi::kSetEventBufferDepth)(h.iface(), 3));
  EXPECT_TRUE(h.raise(u"1"));
  EXPECT_TRUE(h.raise(u"2"));
  EXPECT_TRUE(h.raise(u"3"));
  EXPECT_FALSE(h.raise(u"4"));
  EXPECT_EQ(h.connection.take_event(0ms)->data, "1");  // FIFO
  EXPECT_EQ(h.connection.take_event(0ms)->data, "2");
}

TEST(Connection, EventsFromAnotherThreadArriveOnTheMainThread) {
  Host h;
  h.connection.set_buffer_depth(2);
  std::thread worker([&] {
    for (int i = 0; i < 10; ++i) {
      while (!h.raise(u"Данные \U0001F600")) std::this_thread::sleep_for(1ms);
    }
  });
  int received = 0;
  while (received < 10) {
    const auto event = h.connection.take_event(5s);
    ASSERT_TRUE(event.has_value());
    EXPECT_EQ(event->data, "Данные \xF0\x9F\x98\x80");
    ++received;
  }
  worker.join();
  EXPECT_EQ(h.connection.delivered_events(), 10u);
}

TEST(Connection, ServerSessionRefusesEvents) {
  Host h;
  h.connection.set_deliver_events(false);
  EXPECT_FALSE(h.raise(u"1"));
  EXPECT_EQ(h.connection.refused_events(), 1u);
  EXPECT_FALSE(h.connection.take_event(10ms).has_value());
}

TEST(Connection, AddErrorIsRecordedPerCall) {
  Host h;
  h.connection.begin_call();
  const auto source = to_wide(u"1CHServer");
  const auto descr = to_wide(u"Ошибка");
  EXPECT_TRUE(slot<AddErrorFn>(h.iface(), abi::kAddError)(h.iface(), 1006, source.c_str(), descr.c_str(), -1));
  const auto errors = h.connection.end_call();
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].code, 1006);
  EXPECT_EQ(errors[0].description, "Ошибка");
  EXPECT_EQ(errors[0].scode, -1);
  h.connection.begin_call();
  EXPECT_TRUE(h.connection.end_call().empty());
  EXPECT_EQ(h.connection.all_errors().size(), 1u);
}

TEST(Text, Utf16RoundTripAndInvalidInput) {
  EXPECT_EQ(to_utf16("Ёж \xF0\x9F\x98\x80"), std::optional<std::u16string>(u"Ёж \U0001F600"));
  EXPECT_EQ(to_utf8(u"Ёж \U0001F600"), std::optional<std::string>("Ёж \xF0\x9F\x98\x80"));
  EXPECT_FALSE(to_utf16("\xC0\x80").has_value());      // overlong
  EXPECT_FALSE(to_utf16("\xE2\x82").has_value());      // truncated
  EXPECT_FALSE(to_utf16("\xED\xA0\x80").has_value());  // a surrogate
  std::u16string lone = u"a";
  lone.push_back(char16_t{0xDC00});
  EXPECT_FALSE(to_utf8(lone).has_value());
  EXPECT_EQ(to_utf8_lossy(lone), "a\xEF\xBF\xBD");
}

}  // namespace
}  // namespace hserver::host
