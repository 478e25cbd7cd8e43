#pragma once
/// @brief Keeps track of open HTTP sessions so that a graceful stop can ask each to finish and learn
/// when the last one has gone.

#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <unordered_map>
#include <vector>

namespace hserver::service {

class Session;

/// @brief Thread-safe: sessions of every strand register and unregister concurrently. Holds weak
/// references only, so it never keeps a session alive.
class SessionRegistry {
 public:
  void add(const std::shared_ptr<Session>& session);
  /// @brief Called from Session's destructor. May run the when_empty() callback on this thread.
  void remove(const Session* session);
  /// @brief The sessions still alive now.
  std::vector<std::shared_ptr<Session>> snapshot() const;
  std::size_t size() const;
  /// @brief Calls `callback` once, as soon as no session is left (at once, on this thread, when none is
  /// left already; otherwise on the thread that removes the last one). Replaces a previous callback.
  void when_empty(std::function<void()> callback);

 private:
  mutable std::mutex mutex_;
  std::unordered_map<const Session*, std::weak_ptr<Session>> sessions_;
  std::function<void()> on_empty_;
};

}  // namespace hserver::service
