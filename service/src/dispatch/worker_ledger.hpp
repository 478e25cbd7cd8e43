#pragma once
/// @brief What one attached add-in holds, and the judge of what it says: the requests handed to it (and
/// whether 1C has taken each), and the ids taken back from it whose late answer is still expected, once.
/// An add-in may speak only of requests handed to it; anything else is a violation that costs it its
/// channel, so a broken or hostile add-in cannot answer another add-in's request or flood the log.
/// Not thread-safe: the dispatcher guards it with its lock.

#include <algorithm>
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "hserver/common/shm/layout.hpp"

namespace hserver::service {

template <class Request>
class WorkerLedger {
 public:
  /// Ids taken back whose late answer is still accepted; the oldest are forgotten.
  static constexpr std::size_t kReleasedRemembered = 1024;

  struct Held {
    Request request;
    bool taken = false;  ///< 1C has it (the add-in said `taken`): it is never given to another worker
  };

  /// What a message from the add-in means.
  struct Verdict {
    enum class Kind {
      taken,        ///< 1C took a request in its hands (or one taken back from it: ignored)
      answer,       ///< the answer to `request`, which leaves the ledger
      late_answer,  ///< the one late answer to a request taken back from it: dropped
      violation,    ///< `violation` says what the add-in did wrong
    } kind;
    std::optional<Request> request;
    std::string violation;
  };

  void hand(std::uint64_t id, Request request) { in_hand_.emplace(id, Held{std::move(request)}); }

  /// @brief The request leaves the add-in's hands without its answer (deadline, stop): an answer may
  /// still come for it, once.
  std::optional<Request> take_back(std::uint64_t id) {
    auto it = in_hand_.find(id);
    if (it == in_hand_.end()) return std::nullopt;
    Request r = std::move(it->second.request);
    in_hand_.erase(it);
    remember_released(id);
    return r;
  }

  /// @brief Everything it holds, oldest id first, taken back as take_back() does (the service stops).
  std::vector<std::pair<std::uint64_t, Held>> take_back_all() {
    std::vector<std::pair<std::uint64_t, Held>> all(std::make_move_iterator(in_hand_.begin()),
                                                    std::make_move_iterator(in_hand_.end()));
    in_hand_.clear();
    for (const auto& [id, held] : all) remember_released(id);
    return all;
  }

  /// @brief Everything it held, oldest id first, for a worker that left. Nothing is expected from it
  /// afterwards.
  std::vector<std::pair<std::uint64_t, Held>> take_all() {
    std::vector<std::pair<std::uint64_t, Held>> all(std::make_move_iterator(in_hand_.begin()),
                                                    std::make_move_iterator(in_hand_.end()));
    in_hand_.clear();
    released_.clear();
    return all;
  }

  Verdict judge(shm::MessageType type, std::uint64_t id) {
    auto it = in_hand_.find(id);
    const auto released = it == in_hand_.end() ? std::find(released_.begin(), released_.end(), id) : released_.end();
    const bool was_released = released != released_.end();
    if (type == shm::MessageType::taken) {
      if (it != in_hand_.end()) {
        it->second.taken = true;
        return {Verdict::Kind::taken, std::nullopt, {}};
      }
      if (was_released) return {Verdict::Kind::taken, std::nullopt, {}};
      return violation("'taken' for request " + std::to_string(id) + ", which is not in its hands");
    }
    if (type != shm::MessageType::response) {
      return violation("a message of type " + std::to_string(static_cast<int>(type)) +
                       ", which only the service sends");
    }
    if (it != in_hand_.end()) {
      Verdict v{Verdict::Kind::answer, std::move(it->second.request), {}};
      in_hand_.erase(it);
      ++answered_;
      return v;
    }
    if (!was_released) return violation("an answer to request " + std::to_string(id) + ", which is not in its hands");
    released_.erase(released);  // one late answer per request
    return {Verdict::Kind::late_answer, std::nullopt, {}};
  }

  std::size_t in_hand() const { return in_hand_.size(); }
  std::uint64_t answered() const { return answered_; }

 private:
  static Verdict violation(std::string why) { return {Verdict::Kind::violation, std::nullopt, std::move(why)}; }

  void remember_released(std::uint64_t id) {
    released_.push_back(id);
    if (released_.size() > kReleasedRemembered) released_.pop_front();
  }

  std::map<std::uint64_t, Held> in_hand_;
  std::deque<std::uint64_t> released_;
  std::uint64_t answered_ = 0;
};

}  // namespace hserver::service
