#include "hserver/host/memory_ledger.hpp"

#include <array>
#include <cstdio>
#include <cstdlib>
#include <sstream>

namespace hserver::host {
namespace {

MemoryLedger& owner(abi::HostInterface* self) {
  return *static_cast<MemoryLedger*>(self->owner);
}

// The functions the add-in reaches through the vtable: the object pointer comes first, as the
// platform's C++ ABI passes `this`. No exception may leave them (they run inside the add-in's frames).

bool HSERVER_HOST_CALL alloc_memory(abi::HostInterface* self, void** block, unsigned long bytes) {
  try {
    return owner(self).allocate(block, bytes);
  } catch (...) {
    return false;
  }
}

void HSERVER_HOST_CALL free_memory(abi::HostInterface* self, void** block) {
  try {
    owner(self).free_by_addin(block);
  } catch (...) {
  }
}

/// 1C never lets an add-in delete its memory manager; a call here means the add-in's vtable layout
/// is off (a destructor slot where it expected a method) or it deleted what it does not own.
void HSERVER_HOST_CALL destructor_slot(abi::HostInterface*) {
  std::fputs("1c-host-emulator: the add-in called a destructor slot of IMemoryManager\n", stderr);
  std::abort();
}

const abi::Slot* vtable() {
  static const auto table = [] {
    std::array<abi::Slot, abi::kMemoryManagerSlots> slots{};
    for (int i = 0; i < abi::kDestructorSlots; ++i) slots[i] = reinterpret_cast<abi::Slot>(&destructor_slot);
    slots[abi::kAllocMemory] = reinterpret_cast<abi::Slot>(&alloc_memory);
    slots[abi::kFreeMemory] = reinterpret_cast<abi::Slot>(&free_memory);
    return slots;
  }();
  return table.data();
}

std::string pointer_text(const void* p) {
  std::ostringstream out;
  out << p;
  return out.str();
}

}  // namespace

MemoryLedger::MemoryLedger(Violations& violations) : violations_(violations), interface_{vtable(), this} {}

MemoryLedger::~MemoryLedger() {
  for (const auto& [block, size] : live_) std::free(const_cast<void*>(block));
}

bool MemoryLedger::allocate(void** block, unsigned long bytes) {
  if (block == nullptr) {
    violations_.add("AllocMemory called with a null pointer-to-pointer");
    return false;
  }
  // malloc(0) may return null; 1C hands out a usable block either way.
  void* memory = std::malloc(bytes == 0 ? 1 : bytes);
  *block = memory;
  if (memory == nullptr) return false;
  const std::lock_guard lock(mutex_);
  live_[memory] = bytes;
  freed_.erase(memory);
  ++total_;
  return true;
}

void MemoryLedger::free_by_addin(void** block) {
  if (block == nullptr) {
    violations_.add("FreeMemory called with a null pointer-to-pointer");
    return;
  }
  void* memory = *block;
  *block = nullptr;
  if (memory == nullptr) return;
  const std::lock_guard lock(mutex_);
  if (const auto it = live_.find(memory); it != live_.end()) {
    live_.erase(it);
    freed_.insert(memory);
    std::free(memory);
    return;
  }
  if (freed_.count(memory) != 0) {
    violations_.add("FreeMemory by the add-in: double free of " + pointer_text(memory));
  } else {
    violations_.add("FreeMemory by the add-in of " + pointer_text(memory) + ", which AllocMemory never returned");
  }
}

bool MemoryLedger::release_returned(const void* block, std::size_t min_bytes, std::string_view what) {
  const std::lock_guard lock(mutex_);
  const auto it = live_.find(block);
  if (it == live_.end()) {
    if (freed_.count(block) != 0) {
      violations_.add(std::string(what) + ": returned memory " + pointer_text(block) + " that was already freed");
    } else {
      violations_.add(std::string(what) + ": returned memory " + pointer_text(block) +
                      " that AllocMemory did not allocate (1C would free a foreign pointer)");
    }
    return false;
  }
  bool ok = true;
  if (it->second < min_bytes) {
    violations_.add(std::string(what) + ": the block holds " + std::to_string(it->second) + " bytes, the value needs " +
                    std::to_string(min_bytes));
    ok = false;
  }
  std::free(const_cast<void*>(block));
  live_.erase(it);
  freed_.insert(block);
  return ok;
}

std::size_t MemoryLedger::check_leaks() {
  const std::lock_guard lock(mutex_);
  for (const auto& [block, size] : live_) {
    violations_.add("leak: a block of " + std::to_string(size) +
                    " bytes from AllocMemory was never handed over or freed");
  }
  return live_.size();
}

std::size_t MemoryLedger::live_blocks() const {
  const std::lock_guard lock(mutex_);
  return live_.size();
}

std::size_t MemoryLedger::total_allocations() const {
  const std::lock_guard lock(mutex_);
  return total_;
}

}  // namespace hserver::host
