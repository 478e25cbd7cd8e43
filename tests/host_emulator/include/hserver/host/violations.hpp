#pragma once
/// @brief The list of Native API rules the add-in broke, as the emulator saw them. A run with any
/// violation fails (the executable exits non-zero; tests assert the list is empty).

#include <mutex>
#include <string>
#include <vector>

namespace hserver::host {

/// @brief Thread-safe: the add-in may break a rule from its own threads (an ExternalEvent with bad
/// arguments, a FreeMemory from the channel thread).
class Violations {
 public:
  void add(std::string what) {
    const std::lock_guard lock(mutex_);
    list_.push_back(std::move(what));
  }
  std::vector<std::string> list() const {
    const std::lock_guard lock(mutex_);
    return list_;
  }
  bool empty() const {
    const std::lock_guard lock(mutex_);
    return list_.empty();
  }

 private:
  mutable std::mutex mutex_;
  std::vector<std::string> list_;
};

}  // namespace hserver::host
