#pragma once
/// @brief A few threads for costly work (PBKDF2) that must not run on the I/O threads, with a bounded
/// queue: a job that finds the queue full is refused at once (the caller answers 503) instead of
/// waiting without end. Jobs start in the order they were posted. Thread-safe.

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace hserver::service {

class VerificationPool {
 public:
  using Job = std::function<void()>;

  /// @brief Starts `threads` threads (at least one); at most `queue_limit` jobs wait for them.
  VerificationPool(unsigned threads, std::size_t queue_limit);
  /// @brief stop().
  ~VerificationPool();
  VerificationPool(const VerificationPool&) = delete;
  VerificationPool& operator=(const VerificationPool&) = delete;

  /// @brief Queues `job`; false (and the job is not taken) when `queue_limit` jobs wait already or the
  /// pool has stopped.
  bool try_post(Job job);
  /// @brief Jobs waiting for a thread (not those running).
  std::size_t queued() const;
  /// @brief Refuses new jobs, drops the waiting ones unrun (destroyed on the calling thread), lets the
  /// running ones finish and joins the threads. Idempotent; not from a job.
  void stop();

 private:
  void run();

  const std::size_t queue_limit_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<Job> queue_;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace hserver::service
