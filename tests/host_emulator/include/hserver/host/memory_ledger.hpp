#pragma once
/// @brief The IMemoryManager the host gives the add-in (setMemManager), with a ledger of every block,
/// so that each misuse of 1C's memory rules is a violation:
/// - a string or blob returned to the host that AllocMemory did not allocate, or that was already freed;
/// - a FreeMemory by the add-in of an unknown pointer, or a double free;
/// - blocks still allocated when the session ends (a leak).

#include <cstddef>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <string_view>

#include "hserver/host/abi.hpp"
#include "hserver/host/violations.hpp"

namespace hserver::host {

/// @brief Thread-safe. Must outlive every use of interface() by the add-in (until DestroyObject).
class MemoryLedger {
 public:
  explicit MemoryLedger(Violations& violations);
  ~MemoryLedger();  ///< frees what is left (after check_leaks has reported it)
  MemoryLedger(const MemoryLedger&) = delete;
  MemoryLedger& operator=(const MemoryLedger&) = delete;

  /// @brief The IMemoryManager* to pass to setMemManager. Valid while this ledger lives.
  void* interface() noexcept { return &interface_; }

  /// @brief What the host (as 1C) does with memory the add-in returned: checks that `block` came from
  /// AllocMemory, is still live and holds at least `min_bytes`, then frees it. `what` names the value
  /// in the violation message ("GetPropName(2, 1)"). Returns false (and records why) on misuse.
  bool release_returned(const void* block, std::size_t min_bytes, std::string_view what);

  /// @brief Records a leak violation for every block still allocated; returns their count.
  std::size_t check_leaks();

  std::size_t live_blocks() const;
  std::size_t total_allocations() const;

  // The add-in's side, reached through interface()'s vtable.
  bool allocate(void** block, unsigned long bytes);
  void free_by_addin(void** block);

 private:
  Violations& violations_;
  abi::HostInterface interface_;
  mutable std::mutex mutex_;
  std::map<const void*, std::size_t> live_;  // block -> size
  std::set<const void*> freed_;              // freed and not reused by a later allocation
  std::size_t total_ = 0;
};

}  // namespace hserver::host
