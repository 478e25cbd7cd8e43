#include "hserver/addin/core.hpp"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <thread>
#include <utility>

#include "hserver/common/platform/process.hpp"
#include "hserver/common/shm/channel.hpp"
#include "hserver/common/shm/registry.hpp"

namespace hserver::addin {

namespace {

using namespace std::chrono_literals;

constexpr auto kAttachTimeout = 5s;
constexpr auto kTick = 250ms;                      // heartbeat period and the longest a channel thread sleeps
constexpr std::uint64_t kServiceSilenceMs = 3000;  // a service whose heartbeat is older is gone
constexpr auto kFlushTimeout = 2s;                 // Stop(): time to hand the last answers to the service
constexpr auto kEventRetry = 50ms;                 // after 1C refused an event, try again this much later
// A lost service is looked for again after 200 ms, then twice as long each time up to 5 s: a restart of
// the service is noticed within seconds, and a service that stays away costs one attempt per 5 s.
constexpr auto kReattachFirst = 200ms;
constexpr auto kReattachMax = 5s;
constexpr auto kReattachTimeout = 2s;
constexpr std::size_t kExpiredRemembered = 64;  // late answers recognised as late, not as unknown ids  // one attempt's
                                                // wait for the service to create the channel

ResponseEnvelope text_response(std::uint64_t id, std::uint16_t status, std::string text) {
  ResponseEnvelope r;
  r.id = id;
  r.status = status;
  r.headers.push_back({"Content-Type", "text/plain; charset=utf-8"});
  r.body = std::move(text);
  return r;
}

}  // namespace

class Core::Impl {
 public:
  explicit Impl(EventSink* sink) : sink_(sink) {}
  ~Impl() { stop(); }

  Status<Error> attach(std::optional<std::uint16_t> port, const std::string& name) {
    std::lock_guard attach_lock(attach_mutex_);
    if (attached()) {
      return fail("компонента уже подключена к маршруту '" + route_name() +
                  "'; вызовите Остановить() / already attached: call Stop() first");
    }
    end_thread();  // a thread still looking for a lost service gives way to the new attach
    auto claimed = claim(port, name, kAttachTimeout);
    if (!claimed) return fail(claimed.error());
    {
      std::lock_guard lock(mutex_);
      waiting_.clear();
      delivered_.clear();
      delivery_order_.clear();
      expired_.clear();
      raised_ = 0;
      last_error_.clear();
      notice_.clear();
      stopping_ = false;
      target_port_ = port;
      target_name_ = name;
      install_locked(std::move(*claimed));
    }
    thread_ = std::thread([this] { run(); });
    return {};
  }

  void stop() {
    std::lock_guard attach_lock(attach_mutex_);
    end_thread();
  }

  /// Whether the service was lost and the core is looking for it again (Переподключается).
  bool reconnecting() const { return reconnecting_.load(); }

  /// A message for 1C about something that happened between calls (the service lost, or lost and
  /// found again), once: the binding reports it at the next call.
  std::optional<std::string> take_notice() {
    std::lock_guard lock(mutex_);
    if (notice_.empty()) return std::nullopt;
    return std::exchange(notice_, std::string{});
  }

 private:
  // What one successful attach yields: installed as the current channel by install_locked.
  struct Claimed {
    std::unique_ptr<shm::Channel> channel;
    shm::ProcessStamp service{};
    shm::RouteInfo route;
  };

  Expected<Claimed, Error> claim(std::optional<std::uint16_t> port, const std::string& name,
                                 std::chrono::milliseconds timeout) {
    auto registry = shm::RegistryClient::open(shm::default_prefix());
    if (!registry) return Unexpected{registry.error()};
    auto claimed = registry->attach(port, name, 0, timeout);
    if (!claimed) return Unexpected{claimed.error()};
    auto channel = shm::Channel::open(claimed->channel_name);
    if (!channel) return Unexpected{channel.error()};
    return Claimed{std::make_unique<shm::Channel>(std::move(*channel)), registry->service(), claimed->route};
  }

  void install_locked(Claimed claimed) {
    channel_ = std::move(claimed.channel);
    service_ = claimed.service;
    route_ = std::move(claimed.route);
    channel_->beat();
    channel_->set_state(shm::EndState::attached);
    attached_.store(true);
    reconnecting_.store(false);
    pull_ready_.notify_all();
  }

  // Stop(), or a new attach: answer what 1C holds, flush, end the channel thread (serving or looking
  // for a lost service). Called with attach_mutex_ held.
  void end_thread() {
    {
      std::lock_guard lock(mutex_);
      if (channel_ && attached_.load()) {
        // Requests 1C holds get an error now; those it never saw are not answered, so the service can
        // hand them to another add-in.
        for (auto& [id, request] : delivered_) {
          send_locked(text_response(id, 503, "Error: обработчик остановлен (Остановить) / the worker stopped"));
        }
        delivered_.clear();
        delivery_order_.clear();
        expired_.clear();
        waiting_.clear();
        raised_ = 0;
      }
      stopping_ = true;
      if (channel_) channel_->wake();
    }
    retry_wake_.notify_all();
    join_thread();
    attached_.store(false);
    reconnecting_.store(false);
    pull_ready_.notify_all();
  }

 public:
  Status<Error> return_result(const std::string& text, std::optional<std::uint64_t> id) {
    std::unique_lock lock(mutex_);
    auto found = take_delivered(id);
    if (!found) return fail_locked(*found.error_message);
    // The original protocol has no status: a result starting with "Error:" is 1C's way to report failure.
    const std::uint16_t status = text.rfind("Error:", 0) == 0 ? 500 : 200;
    send_locked(text_response(found.id, status, text));
    lock.unlock();
    deliver_events();
    return {};
  }

  Status<Error> send_response(std::uint64_t id, std::uint16_t status, std::vector<Header> headers, std::string body) {
    if (status < 100 || status > 999)
      return fail("недопустимый код состояния / invalid status code " + std::to_string(status));
    std::unique_lock lock(mutex_);
    auto found = take_delivered(id);
    if (!found) return fail_locked(*found.error_message);
    ResponseEnvelope r;
    r.id = id;
    r.status = status;
    r.headers = std::move(headers);
    r.body = std::move(body);
    send_locked(r);
    lock.unlock();
    deliver_events();
    return {};
  }

  RequestPtr request(std::uint64_t id) const {
    std::lock_guard lock(mutex_);
    auto it = delivered_.find(id);
    if (it == delivered_.end()) return nullptr;
    return it->second;
  }

  RequestPtr wait_request(std::chrono::milliseconds timeout) {
    std::unique_lock lock(mutex_);
    pull_mode_ = true;  // from now on this object serves by pulling: no events are raised
    // While the service is being looked for again the wait goes on: requests come once it is back.
    const auto ready = [&] { return !waiting_.empty() || (!attached_.load() && !reconnecting_.load()); };
    if (!pull_ready_.wait_for(lock, timeout, ready)) return nullptr;
    if (waiting_.empty()) return nullptr;
    RequestPtr request = std::move(waiting_.front());
    waiting_.pop_front();
    mark_delivered_locked(request);
    return request;
  }

  bool attached() const { return attached_.load(); }
  std::uint16_t port() const {
    std::lock_guard lock(mutex_);
    return attached_.load() ? route_.port : 0;
  }
  std::string route_name() const {
    std::lock_guard lock(mutex_);
    return attached_.load() ? route_.name : std::string();
  }
  std::string last_error() const {
    std::lock_guard lock(mutex_);
    return last_error_;
  }

 private:
  struct Taken {
    std::uint64_t id = 0;
    std::optional<std::string> error_message;
    explicit operator bool() const { return !error_message; }
    const Taken& error() const { return *this; }
  };

  Status<Error> fail(const std::string& message) {
    std::lock_guard lock(mutex_);
    return fail_locked(message);
  }
  Status<Error> fail_locked(const std::string& message) {
    last_error_ = message;
    return Unexpected{message};
  }

  /// Removes a delivered request (by id, or the oldest) so it can be answered.
  Taken take_delivered(std::optional<std::uint64_t> id) {
    // An answer to a request whose deadline passed while 1C worked on it: say so, once per request.
    auto late = [&](std::uint64_t expired_id) -> Taken {
      std::erase(expired_, expired_id);
      const std::string n = std::to_string(expired_id);
      return {expired_id, "срок ответа на запрос " + n +
                              " истёк, клиент уже получил ошибку 504; ответ отброшен / the deadline of request " + n +
                              " passed and the client got 504; the answer is dropped"};
    };
    if (!id) {
      if (delivery_order_.empty()) {
        if (!expired_.empty()) return late(expired_.front());
        return {0, "нет запроса, ожидающего ответа / no request is waiting for an answer"};
      }
      id = delivery_order_.front();
    }
    auto it = delivered_.find(*id);
    if (it == delivered_.end() && std::find(expired_.begin(), expired_.end(), *id) != expired_.end()) {
      return late(*id);
    }
    if (it == delivered_.end()) {
      return {*id, "запрос " + std::to_string(*id) + " не ожидает ответа (уже отвечен или истёк срок) / request " +
                       std::to_string(*id) + " is not waiting for an answer (answered already or timed out)"};
    }
    delivered_.erase(it);
    delivery_order_.erase(std::find(delivery_order_.begin(), delivery_order_.end(), *id));
    if (raised_ > 0) --raised_;
    return {*id, std::nullopt};
  }

  void send_locked(const ResponseEnvelope& response) {
    if (!channel_) return;
    std::vector<std::byte> payload;
    encode(response, payload);
    // Written from 1C's thread and the service rung from here: no hop through the add-in's channel thread.
    channel_->send(shm::MessageType::response, response.id, std::move(payload), shm::Channel::Flush::now);
  }

  void mark_delivered_locked(const RequestPtr& request) {
    delivered_.emplace(request->id, request);
    delivery_order_.push_back(request->id);
    // Tell the service 1C has it: from now on a crash cannot silently re-run it elsewhere.
    if (channel_) channel_->send(shm::MessageType::taken, request->id, {}, shm::Channel::Flush::quiet);
  }

  /// Raise events for waiting requests while 1C's buffer has room. Any thread; raises with no lock held.
  void deliver_events() {
    if (sink_ == nullptr) return;
    for (;;) {
      RequestPtr next;
      {
        std::lock_guard lock(mutex_);
        if (pull_mode_ || stopping_ || waiting_.empty()) return;
        if (std::chrono::steady_clock::now() < events_refused_until_) return;
        const long depth = std::max(1L, sink_->event_buffer_depth());
        if (raised_ >= static_cast<std::size_t>(depth)) return;
        next = std::move(waiting_.front());
        waiting_.pop_front();
        ++raised_;
        delivered_.emplace(next->id, next);
        delivery_order_.push_back(next->id);
        // `taken` is in shared memory before 1C can see the event: if 1C dies running the code, the
        // service answers with an error instead of running it again elsewhere. (If 1C refuses the event
        // the request stays here and is delivered later: still taken, still never run twice.)
        if (channel_) channel_->send(shm::MessageType::taken, next->id, {}, shm::Channel::Flush::quiet);
      }
      const bool legacy = next->mode == RouteMode::legacy;
      const std::string data = legacy ? next->body : std::to_string(next->id);
      const bool raised = sink_->raise_event(kEventSource, legacy ? kLegacyEvent : kHttpEvent, data);
      std::lock_guard lock(mutex_);
      if (raised) continue;
      // 1C refused the event (its buffer is full of events that are not ours, or this session gets no
      // events, as a server session): keep the request for a later try or for a pull wait; the route's
      // deadline bounds how long.
      auto it = delivered_.find(next->id);
      if (it != delivered_.end()) {
        delivered_.erase(it);
        delivery_order_.erase(std::find(delivery_order_.begin(), delivery_order_.end(), next->id));
        if (raised_ > 0) --raised_;
        waiting_.push_front(std::move(next));
        pull_ready_.notify_one();
      }
      events_refused_until_ = std::chrono::steady_clock::now() + kEventRetry;
      return;
    }
  }

  void on_message(shm::Message&& message) {
    std::lock_guard lock(mutex_);
    switch (message.type) {
      case shm::MessageType::request: {
        auto request = decode_request(message.payload);
        if (!request) {
          last_error_ = "bad request from the service: " + std::string(to_string(request.error()));
          return;
        }
        waiting_.push_back(std::make_shared<const RequestEnvelope>(std::move(*request)));
        pull_ready_.notify_one();
        break;
      }
      case shm::MessageType::cancel: {
        // The deadline passed: forget the request whether 1C has it or not; a late answer gets an error.
        auto w = std::find_if(waiting_.begin(), waiting_.end(), [&](const auto& r) { return r->id == message.id; });
        if (w != waiting_.end()) waiting_.erase(w);
        if (delivered_.erase(message.id) != 0) {
          delivery_order_.erase(std::find(delivery_order_.begin(), delivery_order_.end(), message.id));
          if (raised_ > 0) --raised_;
          // 1C is still working on it: its answer, when it comes, is refused with the reason.
          expired_.push_back(message.id);
          if (expired_.size() > kExpiredRemembered) expired_.pop_front();
        }
        break;
      }
      default:
        break;  // response/taken travel the other way
    }
  }

  // The channel thread: serve, and when the service is lost look for it again until it is back or
  // Stop() is called; then serve again on the new channel.
  void run() {
    while (serve()) {
      if (!reattach()) return;
    }
  }

  // True when the service was lost (the caller looks for it again), false after Stop().
  bool serve() {
    std::uint64_t last_beat = 0;
    std::chrono::steady_clock::time_point stop_deadline{};
    for (;;) {
      const std::uint32_t seen = channel_->bell_sequence();
      bool stopping = false;
      {
        std::lock_guard lock(mutex_);
        stopping = stopping_;
      }
      auto progress = channel_->pump([this](shm::Message&& m) { on_message(std::move(m)); });
      if (!progress) {
        lose_service("канал повреждён / the channel is corrupt: " + progress.error().what);
        return true;
      }
      const std::uint64_t now = shm::monotonic_ms();
      if (now - last_beat >= static_cast<std::uint64_t>(kTick.count())) {
        channel_->beat();
        last_beat = now;
        if (channel_->peer_state() == shm::EndState::detached || !platform::is_alive(service_) ||
            now - std::min(now, channel_->peer_heartbeat_ms()) > kServiceSilenceMs) {
          lose_service("служба 1chserver остановлена / the 1chserver service has stopped");
          return true;
        }
      }
      if (stopping) {
        if (stop_deadline == std::chrono::steady_clock::time_point{}) {
          stop_deadline = std::chrono::steady_clock::now() + kFlushTimeout;
        }
        if (!channel_->outbound_pending() || std::chrono::steady_clock::now() > stop_deadline) {
          channel_->set_state(shm::EndState::detached);
          return false;
        }
      } else {
        deliver_events();
      }
      if (!*progress) channel_->wait(seen, kTick);
    }
  }

  // The requests the add-in held die with the service (it answered them or will never need to).
  void lose_service(const std::string& why) {
    {
      std::lock_guard lock(mutex_);
      last_error_ = why;
      notice_ = "связь со службой 1chserver потеряна (" + why +
                "); компонента переподключается / the connection to the 1chserver service was lost (" + why +
                "); reconnecting";
      waiting_.clear();
      delivered_.clear();
      delivery_order_.clear();
      expired_.clear();
      raised_ = 0;
      channel_->set_state(shm::EndState::detached);
      reconnecting_.store(true);
      attached_.store(false);
    }
    pull_ready_.notify_all();
  }

  // Looks for the service again with a growing pause between attempts. True once attached again;
  // false when Stop() (or a new attach) ends the search.
  bool reattach() {
    auto pause = std::chrono::milliseconds{kReattachFirst};
    for (;;) {
      {
        std::unique_lock lock(mutex_);
        if (retry_wake_.wait_for(lock, pause, [&] { return stopping_; })) return false;
      }
      auto claimed = claim(target_port_, target_name_, kReattachTimeout);
      std::lock_guard lock(mutex_);
      if (stopping_) {
        if (claimed) claimed->channel->set_state(shm::EndState::detached);  // the service frees the slot
        return false;
      }
      if (claimed) {
        const std::string lost = last_error_;
        install_locked(std::move(*claimed));
        last_error_.clear();
        if (!notice_.empty()) {
          notice_ = "связь со службой 1chserver прерывалась (" + lost +
                    ") и восстановлена / the connection to the 1chserver service was lost (" + lost +
                    ") and is restored";
        }
        return true;
      }
      last_error_ = claimed.error();
      pause = std::min<std::chrono::milliseconds>(pause * 2, kReattachMax);
    }
  }

  void join_thread() {
    if (thread_.joinable()) thread_.join();
  }

  EventSink* sink_;
  std::mutex attach_mutex_;  // serialises attach/stop
  mutable std::mutex mutex_;
  std::condition_variable pull_ready_;
  std::condition_variable retry_wake_;  // Stop() during the search for a lost service
  std::atomic<bool> attached_{false};
  std::atomic<bool> reconnecting_{false};
  std::optional<std::uint16_t> target_port_;  // what the last Запустить / ПодключитьМаршрут asked for
  std::string target_name_;
  std::string notice_;  // for 1C at its next call (take_notice)
  std::unique_ptr<shm::Channel> channel_;
  shm::ProcessStamp service_{};
  shm::RouteInfo route_;
  // Shared, never copied: a request's body may be megabytes, and 1C may read it more than once.
  std::deque<RequestPtr> waiting_;                 // received, not yet handed to 1C
  std::map<std::uint64_t, RequestPtr> delivered_;  // handed to 1C, not yet answered
  std::deque<std::uint64_t> delivery_order_;       // delivered ids, oldest first
  std::deque<std::uint64_t> expired_;              // delivered, then cancelled by the deadline: 1C may still answer
  std::size_t raised_ = 0;                         // events raised and not yet answered
  bool pull_mode_ = false;
  std::chrono::steady_clock::time_point events_refused_until_{};  // 1C refused an event: retry after it
  bool stopping_ = false;
  std::string last_error_;
  std::thread thread_;
};

Core::Core(EventSink* sink) : impl_(std::make_unique<Impl>(sink)) {}
Core::~Core() = default;
Status<Error> Core::start_on_port(std::uint16_t port) {
  return impl_->attach(port, {});
}
Status<Error> Core::attach_route(const std::string& name) {
  return impl_->attach(std::nullopt, name);
}
void Core::stop() {
  impl_->stop();
}
Status<Error> Core::return_result(const std::string& text, std::optional<std::uint64_t> id) {
  return impl_->return_result(text, id);
}
Status<Error> Core::send_response(std::uint64_t id, std::uint16_t status, std::vector<Header> headers,
                                  std::string body) {
  return impl_->send_response(id, status, std::move(headers), std::move(body));
}
RequestPtr Core::request(std::uint64_t id) const {
  return impl_->request(id);
}
RequestPtr Core::wait_request(std::chrono::milliseconds timeout) {
  return impl_->wait_request(timeout);
}
bool Core::attached() const {
  return impl_->attached();
}
std::uint16_t Core::port() const {
  return impl_->port();
}
std::string Core::route_name() const {
  return impl_->route_name();
}
std::string Core::last_error() const {
  return impl_->last_error();
}
bool Core::reconnecting() const {
  return impl_->reconnecting();
}
std::optional<std::string> Core::take_notice() {
  return impl_->take_notice();
}
std::string Core::version() {
  return "0.1.0 (layout " + std::to_string(shm::kLayoutVersion) + ")";
}

}  // namespace hserver::addin
