#include "http/session_registry.hpp"

#include <utility>

namespace hserver::service {

void SessionRegistry::add(const std::shared_ptr<Session>& session) {
  std::lock_guard lock{mutex_};
  sessions_.emplace(session.get(), session);
}

void SessionRegistry::remove(const Session* session) {
  std::function<void()> callback;
  {
    std::lock_guard lock{mutex_};
    sessions_.erase(session);
    if (sessions_.empty()) callback = std::exchange(on_empty_, nullptr);
  }
  // Outside the lock: the callback may ask the registry again.
  if (callback) callback();
}

std::vector<std::shared_ptr<Session>> SessionRegistry::snapshot() const {
  std::vector<std::shared_ptr<Session>> alive;
  std::lock_guard lock{mutex_};
  alive.reserve(sessions_.size());
  for (const auto& [key, weak] : sessions_) {
    if (auto session = weak.lock()) alive.push_back(std::move(session));
  }
  return alive;
}

std::size_t SessionRegistry::size() const {
  std::lock_guard lock{mutex_};
  return sessions_.size();
}

void SessionRegistry::when_empty(std::function<void()> callback) {
  {
    std::lock_guard lock{mutex_};
    if (!sessions_.empty()) {
      on_empty_ = std::move(callback);
      return;
    }
    on_empty_ = nullptr;
  }
  callback();
}

}  // namespace hserver::service
