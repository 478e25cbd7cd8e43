#include "hserver/addin/core.hpp"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <ctime>
#include <deque>
#include <map>
#include <mutex>
#include <set>
#include <thread>
#include <utility>

#include "hserver/common/platform/process.hpp"
#include "hserver/common/shm/attach.hpp"
#include "hserver/common/shm/channel.hpp"

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
constexpr std::size_t kExpiredRemembered = 64;  // late answers recognised as late, not as unknown ids
constexpr std::size_t kLogQueueLimit = 1000;    // Log events waiting for room in 1C's buffer; older ones are dropped

ResponseEnvelope text_response(std::uint64_t id, std::uint16_t status, std::string text) {
  ResponseEnvelope r;
  r.id = id;
  r.status = status;
  r.headers.push_back({"Content-Type", "text/plain; charset=utf-8"});
  r.body = std::move(text);
  return r;
}

/// "02.12.2026 5:07:09": the original's DateTime.Now.ToString() under a Russian locale (local time).
std::string log_stamp() {
  const std::time_t now = std::time(nullptr);
  std::tm local{};
#ifdef _WIN32
  localtime_s(&local, &now);
#else
  localtime_r(&now, &local);
#endif
  char text[32];
  const std::size_t n = std::strftime(text, sizeof(text), "%d.%m.%Y ", &local);
  return std::string(text, n) + std::to_string(local.tm_hour) + ":" + (local.tm_min < 10 ? "0" : "") +
         std::to_string(local.tm_min) + ":" + (local.tm_sec < 10 ? "0" : "") + std::to_string(local.tm_sec);
}

/// Why the service was lost, as 1C is told (Russian / English), from what the channel says.
std::string loss_reason(shm::DetachReason reason) {
  switch (reason) {
    case shm::DetachReason::service_stopping:
      return "служба 1chserver остановлена / the 1chserver service has stopped";
    case shm::DetachReason::protocol_error:
      return "служба отключила компоненту: нарушен протокол обмена / the service dropped the add-in: the exchange "
             "protocol was broken";
    case shm::DetachReason::no_heartbeat:
      return "служба отключила компоненту: от неё не было сигнала жизни (процесс 1С завис или был приостановлен) / "
             "the service dropped the add-in: no heartbeat from it (the 1C process hung or was suspended)";
    case shm::DetachReason::response_too_large:
      return "служба отключила компоненту: ответ больше допустимого размера / the service dropped the add-in: an "
             "answer larger than it accepts";
    case shm::DetachReason::unspecified:
      break;
  }
  return "служба 1chserver отключила компоненту / the 1chserver service detached the add-in";
}

}  // namespace

class Core::Impl {
 public:
  explicit Impl(EventSink* sink) : sink_(sink) {}
  ~Impl() { stop(); }

  Status<Error> attach(std::optional<std::uint16_t> port, const std::string& name, AttachMode mode) {
    std::unique_lock attach_lock(attach_mutex_);
    log(port ? "Начало запуска сервера (" + std::to_string(*port) + ")" : "Начало запуска сервера (" + name + ")");
    if (attached()) {
      log("Сервер уже запущен");
      bool same = false;
      {
        std::lock_guard lock(mutex_);
        same = target_port_ == port && target_name_ == name && target_flags_ == flags_for(mode);
      }
      attach_lock.unlock();
      deliver_events();
      // The original answered a second Start with its log line and no error: code that starts twice (the
      // form opened again) keeps working. Another route or mode is a mistake worth an exception.
      if (same) return {};
      return fail("компонента уже подключена к маршруту '" + route_name() +
                  "'; вызовите Остановить() / already attached: call Stop() first");
    }
    end_thread();  // a thread still looking for a lost service gives way to the new attach
    const std::uint32_t flags = flags_for(mode);
    auto claimed = claim(port, name, flags, kAttachTimeout);
    if (!claimed) {
      attach_lock.unlock();
      deliver_events();
      return fail(claimed.error());
    }
    {
      std::lock_guard lock(mutex_);
      forget_requests_locked();
      last_error_.clear();
      notice_.clear();
      stopping_ = false;
      pull_mode_ = mode == AttachMode::waiting;  // waiting: no request is ever raised as an event
      target_port_ = port;
      target_name_ = name;
      target_flags_ = flags;
      install_locked(std::move(*claimed));
      log_locked("Сервер успешно запущен");
    }
    thread_ = std::thread([this] { run(); });
    attach_lock.unlock();
    deliver_events();
    return {};
  }

  static std::uint32_t flags_for(AttachMode mode) { return mode == AttachMode::waiting ? shm::kAttachPullMode : 0; }

  /// `by_code`: Остановить() from 1C code, which the original logged; not the object's destruction.
  void stop(bool by_code = false) {
    std::unique_lock attach_lock(attach_mutex_);
    const bool was_running = attached() || reconnecting();
    end_thread();
    if (!by_code) return;
    log(was_running ? "Сервер остановлен" : "Сервер не запущен");
    attach_lock.unlock();
    deliver_logs();
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
  using Claimed = shm::Attachment;

  Expected<Claimed, Error> claim(std::optional<std::uint16_t> port, const std::string& name, std::uint32_t flags,
                                 std::chrono::milliseconds timeout) {
    auto attached = shm::attach(port, name, flags, timeout);
    if (!attached) return Unexpected{attached.error()};
    return std::move(*attached);
  }

  void install_locked(Claimed claimed) {
    channel_ = std::move(claimed.channel);
    lease_ = std::move(claimed.lease);
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
          send_unchecked_locked(
              text_response(id, 503, "Error: рабочий сеанс остановлен (Остановить) / the worker stopped"));
        }
        forget_requests_locked();
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
    auto sent = send_locked(text_response(found.id, status, text));
    if (sent) log_locked(text.empty() ? std::string("Возвращен пустой ответ") : "Возвращен ответ: " + text);
    lock.unlock();
    deliver_events();
    return sent;
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
    const std::size_t body_bytes = r.body.size();
    auto sent = send_locked(r);
    if (sent) {
      log_locked("Возвращен ответ: " + std::to_string(status) + ", " + std::to_string(body_bytes) + " байт");
    }
    lock.unlock();
    deliver_events();
    return sent;
  }

  RequestPtr request(std::uint64_t id) {
    std::lock_guard lock(mutex_);
    auto it = delivered_.find(id);
    if (it == delivered_.end()) return nullptr;
    unclaimed_events_.erase(id);  // 1C code has it in hand: ОжидатьЗапрос must not take it back
    return it->second;
  }

  RequestPtr wait_request(std::chrono::milliseconds timeout) {
    std::unique_lock lock(mutex_);
    pull_mode_ = true;  // from now on this object serves by pulling: no events are raised for requests
    // An event being raised right now (outside the lock) must land before its request is taken back.
    raise_done_.wait(lock, [&] { return raising_ == 0; });
    if (reclaim_unhandled_events_locked()) {
      // Their events must not reach 1C code as well (a client session): ВернутьРезультат without an id
      // would then answer whichever request is oldest. 1C's buffer of this object holds only our events.
      lock.unlock();
      if (sink_ != nullptr) sink_->withdraw_events();
      lock.lock();
    }
    // While the service is being looked for again the wait goes on: requests come once it is back.
    const auto ready = [&] { return !waiting_.empty() || (!attached_.load() && !reconnecting_.load()); };
    if (!pull_ready_.wait_for(lock, timeout, ready)) return nullptr;
    if (waiting_.empty()) return nullptr;
    RequestPtr request = std::move(waiting_.front());
    waiting_.pop_front();
    mark_delivered_locked(request);
    return request;
  }

  bool waiting_mode() const {
    std::lock_guard lock(mutex_);
    return pull_mode_;
  }

  void set_log_events(bool on) {
    std::lock_guard lock(mutex_);
    log_events_ = on;
    if (!on) logs_.clear();
  }
  bool log_events() const {
    std::lock_guard lock(mutex_);
    return log_events_;
  }
  std::uint64_t max_response_bytes() const {
    std::lock_guard lock(mutex_);
    return channel_ && attached_.load() ? channel_->peer_max_message_bytes() : 0;
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
    unclaimed_events_.erase(*id);
    reclaimed_.erase(*id);
    raised_.erase(*id);
    return {*id, std::nullopt};
  }

  /// Sends an answer (the request is already taken out of delivered_). One the service would not accept
  /// is not sent: the service would drop the channel, and the client would wait for a 502 that then names
  /// a broken add-in. The client gets that 502 now, with the reason, and 1C gets the error.
  Status<Error> send_locked(const ResponseEnvelope& response) {
    if (!channel_) return {};
    std::vector<std::byte> payload;
    encode(response, payload);
    const std::uint64_t limit = channel_->peer_max_message_bytes();
    if (limit != 0 && payload.size() > limit) {
      const std::string size = std::to_string(payload.size());
      const std::string max = std::to_string(limit);
      const std::string n = std::to_string(response.id);
      send_unchecked_locked(text_response(
          response.id, 502,
          "Error: the 1C answer (" + size + " bytes) is larger than the service accepts (" + max + " bytes)"));
      return fail_locked("ответ на запрос " + n + " (" + size + " байт) больше, чем принимает служба (" + max +
                         " байт: её настройка http.body_limit + 1 МиБ); клиент получил ошибку 502 / the answer to "
                         "request " +
                         n + " (" + size + " bytes) is larger than the service accepts (" + max +
                         " bytes: its http.body_limit setting + 1 MiB); the client got a 502 error");
    }
    // Written from 1C's thread and the service rung from here: no hop through the add-in's channel thread.
    channel_->send(shm::MessageType::response, response.id, std::move(payload), shm::Channel::Flush::now);
    return {};
  }
  /// Sends without the size check: only for the add-in's own short error answers.
  void send_unchecked_locked(const ResponseEnvelope& response) {
    if (!channel_) return;
    std::vector<std::byte> payload;
    encode(response, payload);
    channel_->send(shm::MessageType::response, response.id, std::move(payload), shm::Channel::Flush::now);
  }

  /// Every request this add-in held, in every state, is forgotten: on attach, Остановить and a lost service.
  void forget_requests_locked() {
    waiting_.clear();
    delivered_.clear();
    delivery_order_.clear();
    unclaimed_events_.clear();
    reclaimed_.clear();
    expired_.clear();
    raised_.clear();
  }

  void mark_delivered_locked(const RequestPtr& request) {
    delivered_.emplace(request->id, request);
    delivery_order_.push_back(request->id);
    // Tell the service 1C has it: from now on a crash cannot silently re-run it elsewhere.
    if (reclaimed_.erase(request->id) != 0) return;  // told already, when its event was raised
    if (channel_) channel_->send(shm::MessageType::taken, request->id, {}, shm::Channel::Flush::quiet);
  }

  /// Requests raised as events that 1C code has not taken (no answer, no ПолучитьЗапрос) go back to the
  /// front of waiting_, oldest first, for ОжидатьЗапрос. True if there were any. They stay `taken` for the
  /// service: they may already be in 1C's hands, so they are never re-run elsewhere.
  bool reclaim_unhandled_events_locked() {
    if (unclaimed_events_.empty()) return false;
    std::deque<RequestPtr> reclaimed;
    for (auto order = delivery_order_.begin(); order != delivery_order_.end();) {
      if (unclaimed_events_.count(*order) == 0) {
        ++order;
        continue;
      }
      auto it = delivered_.find(*order);
      if (it != delivered_.end()) {
        reclaimed.push_back(it->second);
        delivered_.erase(it);
      }
      order = delivery_order_.erase(order);
    }
    for (const std::uint64_t id : unclaimed_events_) raised_.erase(id);
    unclaimed_events_.clear();
    // A reclaimed request is taken already: it is handed back without a second `taken`.
    for (auto it = reclaimed.rbegin(); it != reclaimed.rend(); ++it) {
      waiting_.push_front(*it);
      reclaimed_.insert((*it)->id);
    }
    return true;
  }

  /// A Log event (if turned on): queued, raised by deliver_logs in order, never in place of a request.
  void log(const std::string& message) {
    std::lock_guard lock(mutex_);
    log_locked(message);
  }
  void log_locked(const std::string& message) {
    if (!log_events_) return;
    if (logs_.size() >= kLogQueueLimit) logs_.pop_front();
    logs_.push_back(log_stamp() + " - " + message);
  }

  /// Raises queued Log events while 1C's buffer takes them. False when 1C refused one (its buffer is full:
  /// the rest waits, and so does any request event, which would be refused as well).
  bool deliver_logs() {
    if (sink_ == nullptr) return true;
    for (;;) {
      std::string data;
      {
        std::lock_guard lock(mutex_);
        if (logs_.empty()) return true;
        if (std::chrono::steady_clock::now() < events_refused_until_) return false;
        data = std::move(logs_.front());
        logs_.pop_front();
        ++raising_;
      }
      const bool raised = sink_->raise_event(kEventSource, kLogEvent, data);
      std::lock_guard lock(mutex_);
      --raising_;
      raise_done_.notify_all();
      if (!raised) {
        // First in line for the next try; but a waiting session (a background job: 1C refuses every
        // event there) drops its journal rather than wake every 50 ms for it.
        if (pull_mode_) {
          logs_.clear();
        } else if (log_events_) {
          logs_.push_front(std::move(data));
        }
        events_refused_until_ = std::chrono::steady_clock::now() + kEventRetry;
        return false;
      }
    }
  }

  /// Raise events for waiting requests while 1C's buffer has room. Any thread; raises with no lock held.
  void deliver_events() {
    if (sink_ == nullptr) return;
    if (!deliver_logs()) return;  // 1C's buffer is full: a request event would be refused too
    for (;;) {
      RequestPtr next;
      {
        std::lock_guard lock(mutex_);
        if (pull_mode_ || stopping_ || waiting_.empty()) return;
        if (std::chrono::steady_clock::now() < events_refused_until_) return;
        const long depth = std::max(1L, sink_->event_buffer_depth());
        if (raised_.size() >= static_cast<std::size_t>(depth)) return;
        next = std::move(waiting_.front());
        waiting_.pop_front();
        raised_.insert(next->id);
        ++raising_;
        delivered_.emplace(next->id, next);
        delivery_order_.push_back(next->id);
        unclaimed_events_.insert(next->id);
        // `taken` is in shared memory before 1C can see the event: if 1C dies running the code, the
        // service answers with an error instead of running it again elsewhere. (If 1C refuses the event
        // the request stays here and is delivered later: still taken, still never run twice.)
        if (reclaimed_.erase(next->id) == 0 && channel_) {
          channel_->send(shm::MessageType::taken, next->id, {}, shm::Channel::Flush::quiet);
        }
      }
      const bool legacy = next->mode == RouteMode::legacy;
      const std::string data = legacy ? next->body : std::to_string(next->id);
      const bool raised = sink_->raise_event(kEventSource, legacy ? kLegacyEvent : kHttpEvent, data);
      std::lock_guard lock(mutex_);
      --raising_;
      raise_done_.notify_all();
      if (raised) continue;
      // 1C refused the event (its buffer is full of events that are not ours, or this session gets no
      // events, as a server session): keep the request for a later try or for a pull wait; the route's
      // deadline bounds how long.
      auto it = delivered_.find(next->id);
      if (it != delivered_.end() && unclaimed_events_.erase(next->id) != 0) {
        delivered_.erase(it);
        delivery_order_.erase(std::find(delivery_order_.begin(), delivery_order_.end(), next->id));
        raised_.erase(next->id);
        reclaimed_.insert(next->id);  // `taken` was sent: a pull wait must not send it again
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
        if (log_events_) {
          log_locked("Входящее соединение (" + request->remote_address + ")");
          log_locked("Текст запроса: \r\n" +
                     (request->mode == RouteMode::legacy ? request->body : request->method + " " + request->target));
        }
        waiting_.push_back(std::make_shared<const RequestEnvelope>(std::move(*request)));
        pull_ready_.notify_one();
        break;
      }
      case shm::MessageType::cancel: {
        // The deadline passed: forget the request whether 1C has it or not; a late answer gets an error.
        auto w = std::find_if(waiting_.begin(), waiting_.end(), [&](const auto& r) { return r->id == message.id; });
        if (w != waiting_.end()) waiting_.erase(w);
        reclaimed_.erase(message.id);
        if (delivered_.erase(message.id) != 0) {
          delivery_order_.erase(std::find(delivery_order_.begin(), delivery_order_.end(), message.id));
          unclaimed_events_.erase(message.id);
          raised_.erase(message.id);
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
        if (channel_->peer_state() == shm::EndState::detached) {
          lose_service(loss_reason(channel_->peer_detach_reason()));
          return true;
        }
        if (!platform::is_alive(service_)) {
          lose_service("процесс службы 1chserver завершился / the 1chserver service process has ended");
          return true;
        }
        if (now - std::min(now, channel_->peer_heartbeat_ms()) > kServiceSilenceMs) {
          lose_service(
              "служба 1chserver не отвечает (нет сигнала жизни 3 с) / the 1chserver service is not "
              "responding (no heartbeat for 3 s)");
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
      // Events 1C refused (its buffer was full) are tried again after kEventRetry, not after a whole tick.
      if (!*progress) channel_->wait(seen, events_pending() ? std::chrono::milliseconds{kEventRetry} : kTick);
    }
  }

  bool events_pending() const {
    std::lock_guard lock(mutex_);
    return !logs_.empty() || (!pull_mode_ && !waiting_.empty());
  }

  // The requests the add-in held die with the service (it answered them or will never need to).
  void lose_service(const std::string& why) {
    {
      std::lock_guard lock(mutex_);
      last_error_ = why;
      lost_because_ = why;
      notice_ = "связь со службой 1chserver потеряна (" + why +
                "); компонента переподключается / the connection to the 1chserver service was lost (" + why +
                "); reconnecting";
      forget_requests_locked();
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
      auto claimed = claim(target_port_, target_name_, target_flags_, kReattachTimeout);
      std::lock_guard lock(mutex_);
      if (stopping_) {
        if (claimed) claimed->channel->set_state(shm::EndState::detached);  // the service frees the slot
        return false;
      }
      if (claimed) {
        // Why the service was lost, not why the last attempt to find it failed.
        const std::string lost = lost_because_;
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
  std::uint32_t target_flags_ = 0;
  std::string notice_;        // for 1C at its next call (take_notice)
  std::string lost_because_;  // why the service was last lost (named again when it is back)
  std::unique_ptr<shm::Channel> channel_;
  std::shared_ptr<void> lease_;  // POSIX: the attach connection, held while attached (shm::Attachment)
  shm::ProcessStamp service_{};
  shm::RouteInfo route_;
  // Shared, never copied: a request's body may be megabytes, and 1C may read it more than once.
  std::deque<RequestPtr> waiting_;                 // received, not yet handed to 1C
  std::map<std::uint64_t, RequestPtr> delivered_;  // handed to 1C, not yet answered
  std::deque<std::uint64_t> delivery_order_;       // delivered ids, oldest first
  std::deque<std::uint64_t> expired_;              // delivered, then cancelled by the deadline: 1C may still answer
  std::set<std::uint64_t> unclaimed_events_;       // delivered by an event that 1C code has not acted on yet
  std::set<std::uint64_t> reclaimed_;              // back in waiting_ after their event: `taken` was sent already
  std::set<std::uint64_t> raised_;                 // requests raised as events and not yet answered
  std::size_t raising_ = 0;                        // raise_event calls in progress (made without the lock)
  std::condition_variable raise_done_;
  bool pull_mode_ = false;  // «режим ожидания»: no request is raised as an event
  bool log_events_ = false;
  std::deque<std::string> logs_;                                  // Log events not yet taken by 1C's buffer
  std::chrono::steady_clock::time_point events_refused_until_{};  // 1C refused an event: retry after it
  bool stopping_ = false;
  std::string last_error_;
  std::thread thread_;
};

Core::Core(EventSink* sink) : impl_(std::make_unique<Impl>(sink)) {}
Core::~Core() = default;
Status<Error> Core::start_on_port(std::uint16_t port, AttachMode mode) {
  return impl_->attach(port, {}, mode);
}
Status<Error> Core::attach_route(const std::string& name, AttachMode mode) {
  return impl_->attach(std::nullopt, name, mode);
}
void Core::stop() {
  impl_->stop(true);
}
Status<Error> Core::return_result(const std::string& text, std::optional<std::uint64_t> id) {
  return impl_->return_result(text, id);
}
Status<Error> Core::send_response(std::uint64_t id, std::uint16_t status, std::vector<Header> headers,
                                  std::string body) {
  return impl_->send_response(id, status, std::move(headers), std::move(body));
}
RequestPtr Core::request(std::uint64_t id) {
  return impl_->request(id);
}
bool Core::waiting_mode() const {
  return impl_->waiting_mode();
}
void Core::set_log_events(bool on) {
  impl_->set_log_events(on);
}
bool Core::log_events() const {
  return impl_->log_events();
}
std::uint64_t Core::max_response_bytes() const {
  return impl_->max_response_bytes();
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
