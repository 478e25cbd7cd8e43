// Dispatch: the attach acceptor (dispatch/attach_acceptor.hpp) lets add-ins in and hands each channel
// here; one channel thread per attached add-in moves frames and watches its liveness; requests wait in a bounded queue
// per route and go to the attached add-in with the fewest in hand. One mutex guards the routing state: it is held for
// bookkeeping only, never across a wait, and completions run after it is released.
#include "dispatch/dispatcher.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <thread>
#include <utility>

#include "dispatch/attach_acceptor.hpp"
#include "hserver/common/platform/process.hpp"
#include "hserver/common/shm/channel.hpp"

namespace hserver::service {

namespace {

namespace net = boost::asio;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

constexpr auto kTick = 250ms;                          // heartbeat period; longest sleep of an idle thread
constexpr std::size_t kReleasedRemembered = 1024;      // per worker: ids whose late answer is still expected
constexpr std::uint64_t kResponseOverhead = 1u << 20;  // beyond body_limit: an answer's status line and headers

ResponseEnvelope error_response(std::uint64_t id, std::uint16_t status, const std::string& why) {
  ResponseEnvelope r;
  r.id = id;
  r.status = status;
  r.headers.push_back({"Content-Type", "text/plain; charset=utf-8"});
  r.body = "Error: " + why;
  return r;
}

struct Worker;

/// One request from submit() to its single completion.
struct Pending {
  Pending(net::io_context& io, RequestEnvelope r, Completion d, std::size_t route_index, const RouteConfig& config)
      : request(std::move(r)),
        done(std::move(d)),
        route(route_index),
        timer(io),
        arrived(Clock::now()),
        deadline(arrived + config.request_timeout),
        no_worker_until(arrived + config.no_worker_wait) {}
  RequestEnvelope request;  // keeps its body: a worker that leaves may force a requeue
  Completion done;
  std::size_t route;
  net::steady_timer timer;
  Clock::time_point arrived;
  Clock::time_point deadline;         // 504 after it
  Clock::time_point no_worker_until;  // 503 after it while no worker is attached
  bool taken = false;                 // 1C has it: never re-dispatched
  bool finished = false;
  Worker* worker = nullptr;
};
using PendingPtr = std::shared_ptr<Pending>;

struct Worker {
  Worker(std::size_t route_index, std::uint32_t slot_index, shm::Channel ch)
      : route(route_index), slot(slot_index), channel(std::move(ch)) {}
  std::size_t route;
  std::uint32_t slot;
  shm::Channel channel;
  std::map<std::uint64_t, PendingPtr> in_hand;  // guarded by the dispatcher mutex
  std::uint64_t answered = 0;                   // guarded by the dispatcher mutex
  // Requests taken back from it (deadline, stop) whose answer may still be on its way: a late answer is
  // expected for these, and only for these. Guarded by the dispatcher mutex; the oldest are forgotten.
  std::deque<std::uint64_t> released;
  std::string violation;  // channel thread only: why the add-in's messages are no longer believed
  Clock::time_point attached_at = Clock::now();
  std::atomic<bool> stop{false};
  std::atomic<bool> finished{false};
  std::thread thread;
};
using WorkerPtr = std::shared_ptr<Worker>;

/// A drain in progress: done(true) once the routes it covers have nothing in a worker's hands.
struct DrainWaiter {
  std::vector<std::size_t> routes;
  std::function<void(bool)> done;
  std::shared_ptr<net::steady_timer> timer;
};

struct Route {
  RouteConfig config;
  std::deque<PendingPtr> queue;
  std::vector<WorkerPtr> workers;
  bool paused = false;
  // Counters for status and metrics.
  std::map<std::uint16_t, std::uint64_t> responses_by_status;
  std::array<std::uint64_t, kLatencyBucketsMs.size() + 1> latency_buckets{};
  double latency_sum_ms = 0;
  std::uint64_t requeued = 0;
  std::size_t in_hand() const {
    std::size_t n = 0;
    for (const auto& w : workers) n += w->in_hand.size();
    return n;
  }
};

ResponseEnvelope paused_response(std::uint64_t id, const RouteConfig& route, const std::string& why) {
  ResponseEnvelope r = error_response(id, 503, why);
  r.headers.push_back({"Retry-After", std::to_string(route.retry_after.count())});
  return r;
}

/// Completions collected under the lock and run after it.
using Finished = std::vector<std::pair<PendingPtr, ResponseEnvelope>>;

}  // namespace

class Dispatcher::Impl final : public AttachHandler {
 public:
  Impl(net::io_context& io, const ServiceConfig& config) : io_(io), config_(config) {
    for (const auto& rc : config.routes) {
      routes_.push_back(Route{});
      routes_.back().config = rc;
    }
    acceptor_ = AttachAcceptor::create(config_, *this);
    acceptor_->start();  // only now: its thread calls back into this object, acceptor_ included
  }

  ~Impl() override {
    acceptor_->stop();  // no add-in comes in from here on, and housekeeping has stopped
    std::vector<WorkerPtr> all;
    {
      std::lock_guard lock(mutex_);
      for (auto& r : routes_) all.insert(all.end(), r.workers.begin(), r.workers.end());
      all.insert(all.end(), graveyard_.begin(), graveyard_.end());
    }
    for (auto& w : all) {
      w->stop.store(true);
      w->channel.detach_with(shm::DetachReason::service_stopping);  // add-ins notice at once and tell 1C why
      w->channel.wake();
    }
    for (auto& w : all) {
      if (w->thread.joinable()) w->thread.join();
    }
    acceptor_.reset();  // the attach place goes, and with it every slot
  }

  void submit(const std::string& route_name, RequestEnvelope request, Completion done) {
    std::optional<ResponseEnvelope> refusal;
    {
      std::lock_guard lock(mutex_);
      const std::size_t index = find_route(route_name);
      request.id = ++last_id_;
      if (index == routes_.size()) {
        refusal = error_response(request.id, 404, "no route '" + route_name + "'");
      } else if (stopping_) {
        refusal = error_response(request.id, 503, "the service is stopping");
      } else if (routes_[index].paused && routes_[index].config.while_paused == PausedBehaviour::reject) {
        refusal = paused_response(request.id, routes_[index].config, "route '" + route_name + "' is paused");
      } else if (routes_[index].queue.size() >= routes_[index].config.queue_limit) {
        refusal = error_response(request.id, 503, "the queue of route '" + route_name + "' is full");
      } else {
        auto p = std::make_shared<Pending>(io_, std::move(request), std::move(done), index, routes_[index].config);
        ++open_requests_;
        Route& route = routes_[index];
        arm_locked(p);
        route.queue.push_back(std::move(p));
        dispatch_locked(index);
        return;
      }
    }
    if (refusal->status != 404) {
      std::lock_guard lock(mutex_);
      record_locked(find_route(route_name), refusal->status, 0);
    }
    done(std::move(*refusal));  // refused before queueing
  }

  void shutdown(std::chrono::milliseconds grace, std::function<void()> done) {
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
      on_drained_ = std::move(done);
      spdlog::info("stopping: {} request(s) in hand, up to {} ms to answer them", open_requests_, grace.count());
      if (open_requests_ == 0) return fire_drained_locked();
    }
    grace_timer_ = std::make_unique<net::steady_timer>(io_, grace);
    grace_timer_->async_wait([this](boost::system::error_code ec) {
      if (ec) return;
      Finished finished;
      {
        std::lock_guard lock(mutex_);
        for (std::size_t i = 0; i < routes_.size(); ++i) {
          for (auto& p : routes_[i].queue)
            finish_locked(p, error_response(0, 503, "the service is stopping"), finished);
          routes_[i].queue.clear();
          for (auto& w : routes_[i].workers) {
            for (auto& [id, p] : w->in_hand) {
              finish_locked(p, error_response(id, 503, "the service is stopping"), finished);
              release_locked(*w, id);
            }
            w->in_hand.clear();
          }
        }
      }
      complete(finished);
    });
  }

  Status<std::string> set_paused(const std::string& name, bool paused) {
    std::lock_guard lock(mutex_);
    auto selected = select_locked(name);
    if (!selected) return Unexpected{selected.error()};
    for (const std::size_t r : *selected) {
      Route& route = routes_[r];
      if (route.paused == paused) continue;
      route.paused = paused;
      spdlog::info("route '{}' {}: {} request(s) queued, {} in hand", route.config.name, paused ? "paused" : "resumed",
                   route.queue.size(), route.in_hand());
      const auto now = Clock::now();
      for (auto& p : route.queue) {
        if (!paused) {
          // Held requests get a full deadline from now on, and the no-worker wait starts again.
          p->deadline = std::max(p->deadline, now + route.config.request_timeout);
          p->no_worker_until = std::max(p->no_worker_until, now + route.config.no_worker_wait);
        }
        arm_locked(p);
      }
      dispatch_locked(r);
    }
    return {};
  }

  Status<std::string> drain(const std::string& name, std::chrono::milliseconds timeout,
                            std::function<void(bool)> done) {
    if (auto paused = set_paused(name, true); !paused) return paused;
    std::lock_guard lock(mutex_);
    DrainWaiter waiter{*select_locked(name), std::move(done), std::make_shared<net::steady_timer>(io_, timeout)};
    waiter.timer->async_wait([this, timer = waiter.timer](boost::system::error_code ec) {
      if (ec) return;
      std::function<void(bool)> expired;
      {
        std::lock_guard lock(mutex_);
        auto it = std::find_if(drains_.begin(), drains_.end(), [&](const DrainWaiter& d) { return d.timer == timer; });
        if (it == drains_.end()) return;
        expired = std::move(it->done);
        drains_.erase(it);
      }
      expired(false);
    });
    drains_.push_back(std::move(waiter));
    check_drains_locked();
    return {};
  }

  std::vector<RouteStatus> status() const {
    std::lock_guard lock(mutex_);
    std::vector<RouteStatus> out;
    const auto now = Clock::now();
    for (const auto& route : routes_) {
      RouteStatus s;
      s.name = route.config.name;
      s.port = route.config.port;
      s.path_prefix = route.config.path_prefix;
      s.mode = route.config.mode;
      s.paused = route.paused;
      s.queued = route.queue.size();
      s.in_hand = route.in_hand();
      for (const auto& w : route.workers) {
        s.workers.push_back(
            WorkerStatus{w->channel.peer_process().pid, w->slot, w->in_hand.size(), w->answered,
                         std::chrono::duration_cast<std::chrono::milliseconds>(now - w->attached_at).count()});
      }
      s.responses_by_status = route.responses_by_status;
      s.latency_buckets = route.latency_buckets;
      s.latency_sum_ms = route.latency_sum_ms;
      s.requeued = route.requeued;
      out.push_back(std::move(s));
    }
    return out;
  }

 private:
  /// The routes a command names: one by name, or all for an empty name.
  Expected<std::vector<std::size_t>, std::string> select_locked(const std::string& name) const {
    std::vector<std::size_t> selected;
    for (std::size_t i = 0; i < routes_.size(); ++i) {
      if (name.empty() || routes_[i].config.name == name) selected.push_back(i);
    }
    if (selected.empty()) return Unexpected{"no route named '" + name + "'"};
    return selected;
  }

  std::size_t find_route(const std::string& name) const {
    for (std::size_t i = 0; i < routes_.size(); ++i) {
      if (routes_[i].config.name == name) return i;
    }
    return routes_.size();
  }

  /// Hand queued requests to the least busy workers that have room.
  void dispatch_locked(std::size_t index) {
    Route& route = routes_[index];
    while (!route.paused && !route.queue.empty()) {
      Worker* best = nullptr;
      for (auto& w : route.workers) {
        if (w->stop.load() || w->in_hand.size() >= route.config.worker_in_flight) continue;
        if (best == nullptr || w->in_hand.size() < best->in_hand.size()) best = w.get();
      }
      if (best == nullptr) return;
      PendingPtr p = std::move(route.queue.front());
      route.queue.pop_front();
      p->worker = best;
      const std::uint64_t id = p->request.id;
      std::vector<std::byte> payload;
      encode(p->request, payload);  // the request keeps its body: a worker that dies may force a requeue
      best->in_hand.emplace(id, p);
      best->channel.send(shm::MessageType::request, id, std::move(payload), shm::Channel::Flush::now);
    }
  }

  /// (Re)arms the request's one timer for the next moment something may have to happen to it.
  void arm_locked(const PendingPtr& p) {
    const Route& route = routes_[p->route];
    Clock::time_point when = p->deadline;
    if (p->worker == nullptr && route.paused) {
      when = p->arrived + route.config.hold_time;
    } else if (p->worker == nullptr && route.workers.empty() && p->no_worker_until < when) {
      when = p->no_worker_until;
    }
    p->timer.expires_at(when);
    p->timer.async_wait([this, weak = std::weak_ptr<Pending>(p)](boost::system::error_code ec) {
      if (!ec) on_timer(weak.lock());
    });
  }

  void on_timer(const PendingPtr& p) {
    if (!p) return;
    Finished finished;
    {
      std::lock_guard lock(mutex_);
      if (p->finished) return;
      Route& route = routes_[p->route];
      const auto now = Clock::now();
      const auto waited = std::chrono::duration_cast<std::chrono::milliseconds>(now - p->arrived);
      const std::string waited_text = std::to_string(waited.count()) + " ms";
      if (p->worker != nullptr) {
        if (now < p->deadline) return arm_locked(p);
        const std::uint64_t id = p->request.id;
        Worker* w = p->worker;
        w->in_hand.erase(id);
        release_locked(*w, id);
        w->channel.send(shm::MessageType::cancel, id, {});  // so the add-in drops it or refuses a late answer
        finish_locked(p, error_response(id, 504, "timeout: 1C did not answer in " + waited_text), finished);
        dispatch_locked(p->route);
      } else if (route.paused) {
        if (now < p->arrived + route.config.hold_time) return arm_locked(p);
        std::erase(route.queue, p);
        finish_locked(p,
                      paused_response(p->request.id, route.config,
                                      "route '" + route.config.name + "' is paused (held " + waited_text + ")"),
                      finished);
      } else if (route.workers.empty() && now >= p->no_worker_until) {
        std::erase(route.queue, p);
        finish_locked(p,
                      error_response(
                          p->request.id, 503,
                          "no 1C worker is attached to route '" + route.config.name + "' (waited " + waited_text + ")"),
                      finished);
      } else if (now >= p->deadline) {
        std::erase(route.queue, p);
        finish_locked(p, error_response(p->request.id, 504, "timeout: no 1C worker was free in " + waited_text),
                      finished);
      } else {
        return arm_locked(p);
      }
    }
    complete(finished);
  }

  /// The request left the worker's hands without its answer: an answer may still come, once.
  static void release_locked(Worker& w, std::uint64_t id) {
    w.released.push_back(id);
    if (w.released.size() > kReleasedRemembered) w.released.pop_front();
  }

  void record_locked(std::size_t index, std::uint16_t status, double latency_ms) {
    if (index >= routes_.size()) return;
    Route& route = routes_[index];
    ++route.responses_by_status[status];
    std::size_t bucket = 0;
    while (bucket < kLatencyBucketsMs.size() && latency_ms > kLatencyBucketsMs[bucket]) ++bucket;
    ++route.latency_buckets[bucket];
    route.latency_sum_ms += latency_ms;
  }

  /// Marks a request finished (under the lock); the completion itself runs later, unlocked.
  void finish_locked(const PendingPtr& p, ResponseEnvelope response, Finished& finished) {
    if (p->finished) return;
    p->finished = true;
    response.id = p->request.id;
    record_locked(p->route, response.status,
                  std::chrono::duration<double, std::milli>(Clock::now() - p->arrived).count());
    finished.emplace_back(p, std::move(response));
    --open_requests_;
  }

  void complete(Finished& finished) {
    for (auto& [p, response] : finished) {
      if (!p) continue;
      // One hop to the I/O side for both (timers are not thread-safe): one wake-up of it per answer.
      net::post(io_, [p = p, done = std::move(p->done), response = std::move(response)]() mutable {
        p->timer.cancel();
        done(std::move(response));
      });
    }
    std::lock_guard lock(mutex_);
    if (stopping_ && open_requests_ == 0) fire_drained_locked();
    check_drains_locked();
  }

  /// Completes every drain whose routes have nothing left in a worker's hands.
  void check_drains_locked() {
    for (auto it = drains_.begin(); it != drains_.end();) {
      const bool empty =
          std::all_of(it->routes.begin(), it->routes.end(), [&](std::size_t r) { return routes_[r].in_hand() == 0; });
      if (!empty) {
        ++it;
        continue;
      }
      net::post(io_, [timer = it->timer, done = std::move(it->done)] {
        timer->cancel();
        done(true);
      });
      it = drains_.erase(it);
    }
  }

  void fire_drained_locked() {
    if (!on_drained_) return;
    auto done = std::move(on_drained_);
    on_drained_ = nullptr;
    net::post(io_, std::move(done));
  }

  // ---- attach (AttachHandler: called on the acceptor's thread) ----------------------------------------

  bool accepting() const override {
    std::lock_guard lock(mutex_);
    return !stopping_;
  }

  bool adopt(std::uint32_t r, std::uint32_t s, shm::Channel channel) override {
    // An answer may be as large as a request body the route accepts, plus room for the status and headers.
    // Published in the channel header too: the add-in refuses a larger answer where 1C gives it.
    channel.set_max_message_bytes(max_response_bytes(r));
    auto worker = std::make_shared<Worker>(r, s, std::move(channel));
    std::lock_guard lock(mutex_);
    if (stopping_) return false;
    routes_[r].workers.push_back(worker);
    worker->thread = std::thread([this, worker] { run_worker(worker); });
    dispatch_locked(r);
    return true;
  }

  /// Joins the workers that have ended and frees their slots.
  void housekeeping() override {
    std::vector<WorkerPtr> dead;
    {
      std::lock_guard lock(mutex_);
      auto it = std::stable_partition(graveyard_.begin(), graveyard_.end(),
                                      [](const auto& w) { return !w->finished.load(); });
      dead.assign(std::make_move_iterator(it), std::make_move_iterator(graveyard_.end()));
      graveyard_.erase(it, graveyard_.end());
    }
    for (auto& w : dead) {
      if (w->thread.joinable()) w->thread.join();
      acceptor_->release(static_cast<std::uint32_t>(w->route), w->slot);
    }
  }

  /// The largest answer message the service accepts from an add-in of this route.
  std::uint64_t max_response_bytes(std::size_t route) const {
    return routes_[route].config.http.body_limit + kResponseOverhead;
  }

  // ---- one attached add-in ------------------------------------------------------------------------

  void run_worker(const WorkerPtr& w) {
    std::uint64_t last_beat = 0;
    // The add-in's heartbeat counts when its value changes, timed by our clock: a value it wrote far in the
    // future (or any frozen value) must not keep a silent add-in alive. Until its first beat: a grace period.
    std::uint64_t peer_beat = w->channel.peer_heartbeat_ms();
    std::uint64_t peer_beat_changed = shm::monotonic_ms();
    const auto on_message = [this, &w](shm::Message&& m) { on_worker_message(*w, std::move(m)); };
    std::string gone;
    std::optional<std::uint64_t> oversized;  // the request whose answer was larger than the limit
    // The service lets the add-in go: it is told why (the add-in names the cause to 1C), at once.
    const auto dismiss = [&](shm::DetachReason reason, std::string why) {
      gone = std::move(why);
      w->channel.detach_with(reason);
    };
    while (!w->stop.load()) {
      const std::uint32_t seen = w->channel.bell_sequence();
      auto progress = w->channel.pump(on_message);
      if (!progress && progress.error().oversized_message) {
        // Told apart from a broken channel: the frames were sound, the answer too large. An add-in of this
        // layout refuses such an answer itself (max_response_bytes), so one that arrives comes from a broken
        // add-in: its channel is dropped all the same, and that request gets a 502 naming the size.
        oversized = progress.error().oversized_message;
        dismiss(shm::DetachReason::response_too_large, "answer too large, channel dropped: the answer to request " +
                                                           std::to_string(*oversized) + " is larger than the " +
                                                           std::to_string(max_response_bytes(w->route)) +
                                                           " bytes the service accepts (http.body_limit + 1 MiB)");
        break;
      }
      if (!progress) {
        dismiss(shm::DetachReason::protocol_error, "protocol error, channel dropped: " + progress.error().what);
        break;
      }
      if (!w->violation.empty()) {
        dismiss(shm::DetachReason::protocol_error, "protocol error, channel dropped: " + w->violation);
        break;
      }
      const std::uint64_t now = shm::monotonic_ms();
      // Once a tick, not once a message: asking the OS about the process reads /proc (three system calls),
      // which under load would cost more than the request itself.
      const bool tick = now - last_beat >= static_cast<std::uint64_t>(kTick.count());
      if (tick) {
        w->channel.beat();
        last_beat = now;
      }
      if (const std::uint64_t beat = w->channel.peer_heartbeat_ms(); beat != peer_beat) {
        peer_beat = beat;
        peer_beat_changed = now;
      }
      if (w->channel.peer_state() == shm::EndState::detached) {
        gone = "detached";
      } else if (tick && !platform::is_alive(w->channel.peer_process())) {
        gone = "process ended";
      } else if (const auto silence = static_cast<std::uint64_t>(config_.worker_liveness.count());
                 now - peer_beat_changed > silence) {
        dismiss(shm::DetachReason::no_heartbeat, "no heartbeat for " + std::to_string(silence) + " ms");
      }
      if (!gone.empty()) {
        (void)w->channel.pump(on_message);  // answers it wrote before going still count
        break;
      }
      if (!*progress) w->channel.wait(seen, kTick);
    }
    if (!gone.empty()) drop_worker(w, gone, oversized);
    w->finished.store(true);
    acceptor_->wake();  // let housekeeping reap it now
  }

  // An add-in may speak only of requests handed to it: `taken` and an answer for one in its hands, or for
  // one taken back from it (a late answer, once). Anything else is a protocol error that drops its channel
  // (run_worker), so a broken or hostile add-in cannot flood the log, answer another add-in's request or
  // keep a bad channel.
  void on_worker_message(Worker& w, shm::Message&& m) {
    if (!w.violation.empty()) return;  // the channel is being dropped: nothing more from it is believed
    Finished finished;
    {
      std::lock_guard lock(mutex_);
      auto it = w.in_hand.find(m.id);
      const auto released =
          it == w.in_hand.end() ? std::find(w.released.begin(), w.released.end(), m.id) : w.released.end();
      const bool was_released = released != w.released.end();
      if (m.type == shm::MessageType::taken) {
        if (it != w.in_hand.end()) {
          it->second->taken = true;
        } else if (!was_released) {
          w.violation = "'taken' for request " + std::to_string(m.id) + ", which is not in its hands";
        }
        return;
      }
      if (m.type != shm::MessageType::response) {
        w.violation =
            "a message of type " + std::to_string(static_cast<int>(m.type)) + ", which only the service sends";
        return;
      }
      if (it == w.in_hand.end()) {
        if (!was_released) {
          w.violation = "an answer to request " + std::to_string(m.id) + ", which is not in its hands";
          return;
        }
        w.released.erase(released);  // one late answer per request
        spdlog::warn("route '{}': late answer to request {} dropped (it timed out)", routes_[w.route].config.name,
                     m.id);
        return;
      }
      auto response = decode_response(m.payload);
      PendingPtr p = it->second;
      w.in_hand.erase(it);
      ++w.answered;
      if (!response) {
        finish_locked(
            p,
            error_response(m.id, 502,
                           "the add-in sent a malformed answer (" + std::string(to_string(response.error())) + ")"),
            finished);
      } else {
        finish_locked(p, std::move(*response), finished);
      }
      dispatch_locked(w.route);
    }
    complete(finished);
  }

  /// A worker left (Stop, crash, protocol error): what 1C had gets an error, what it never saw goes back
  /// to the front of the queue for another worker.
  void drop_worker(const WorkerPtr& w, const std::string& why, std::optional<std::uint64_t> oversized = {}) {
    Finished finished;
    std::size_t requeued = 0;
    {
      std::lock_guard lock(mutex_);
      Route& route = routes_[w->route];
      std::erase(route.workers, w);
      for (auto it = w->in_hand.rbegin(); it != w->in_hand.rend(); ++it) {
        PendingPtr p = it->second;
        if (oversized && it->first == *oversized) {
          finish_locked(p,
                        error_response(it->first, 502,
                                       "the 1C answer is larger than the service accepts (more than " +
                                           std::to_string(max_response_bytes(w->route)) + " bytes)"),
                        finished);
        } else if (p->taken) {
          finish_locked(p,
                        error_response(it->first, 502, "the 1C worker ended while handling the request (" + why + ")"),
                        finished);
        } else if (!p->finished) {
          p->worker = nullptr;
          route.queue.push_front(p);
          ++requeued;
          ++route.requeued;
          arm_locked(p);
        }
      }
      w->in_hand.clear();
      graveyard_.push_back(w);
      check_drains_locked();
      dispatch_locked(w->route);
    }
    spdlog::log(why == "detached" ? spdlog::level::info : spdlog::level::warn,
                "route '{}': add-in pid {} left ({}); {} request(s) failed, {} requeued", routes_[w->route].config.name,
                w->channel.peer_process().pid, why, finished.size(), requeued);
    complete(finished);
  }

  net::io_context& io_;
  ServiceConfig config_;
  std::unique_ptr<AttachAcceptor> acceptor_;
  mutable std::mutex mutex_;
  std::vector<Route> routes_;
  std::vector<DrainWaiter> drains_;
  std::vector<WorkerPtr> graveyard_;
  std::uint64_t last_id_ = 0;
  std::size_t open_requests_ = 0;
  bool stopping_ = false;
  std::function<void()> on_drained_;
  std::unique_ptr<net::steady_timer> grace_timer_;
};

Dispatcher::Dispatcher(boost::asio::io_context& io, const ServiceConfig& config)
    : impl_(std::make_unique<Impl>(io, config)) {}
Dispatcher::~Dispatcher() = default;
void Dispatcher::submit(const std::string& route, RequestEnvelope request, Completion done) {
  impl_->submit(route, std::move(request), std::move(done));
}
void Dispatcher::shutdown(std::chrono::milliseconds grace, std::function<void()> done) {
  impl_->shutdown(grace, std::move(done));
}
Status<std::string> Dispatcher::pause(const std::string& route) {
  return impl_->set_paused(route, true);
}
Status<std::string> Dispatcher::resume(const std::string& route) {
  return impl_->set_paused(route, false);
}
Status<std::string> Dispatcher::drain(const std::string& route, std::chrono::milliseconds timeout,
                                      std::function<void(bool)> done) {
  return impl_->drain(route, timeout, std::move(done));
}
std::vector<RouteStatus> Dispatcher::status() const {
  return impl_->status();
}

}  // namespace hserver::service
