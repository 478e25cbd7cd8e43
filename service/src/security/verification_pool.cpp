#include "security/verification_pool.hpp"

#include <algorithm>
#include <exception>

#include <spdlog/spdlog.h>

namespace hserver::service {

VerificationPool::VerificationPool(unsigned threads, std::size_t queue_limit) : queue_limit_(queue_limit) {
  threads = std::max(threads, 1u);
  threads_.reserve(threads);
  for (unsigned i = 0; i < threads; ++i) threads_.emplace_back([this] { run(); });
}

VerificationPool::~VerificationPool() {
  stop();
}

bool VerificationPool::try_post(Job job) {
  {
    std::lock_guard lock(mutex_);
    if (stopping_ || queue_.size() >= queue_limit_) return false;
    queue_.push_back(std::move(job));
  }
  wake_.notify_one();
  return true;
}

std::size_t VerificationPool::queued() const {
  std::lock_guard lock(mutex_);
  return queue_.size();
}

void VerificationPool::stop() {
  std::deque<Job> dropped;
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
    dropped.swap(queue_);
  }
  wake_.notify_all();
  for (auto& thread : threads_) {
    if (thread.joinable()) thread.join();
  }
  // Outside the lock: a job may own objects whose destructors take locks of their own.
  dropped.clear();
}

void VerificationPool::run() {
  for (;;) {
    Job job;
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (stopping_) return;
      job = std::move(queue_.front());
      queue_.pop_front();
    }
    try {
      job();
    } catch (const std::exception& error) {
      // A job reports its own outcome; one that throws is a bug, but it must not take the thread along.
      spdlog::error("verification job failed: {}", error.what());
    }
  }
}

}  // namespace hserver::service
