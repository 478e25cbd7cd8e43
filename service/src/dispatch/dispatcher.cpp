// Dispatch composed of its parts (see dispatcher.hpp): requests wait in a bounded queue per route and go
// to the attached add-in with the fewest in hand. One mutex guards the routing state (queues, ledgers,
// pause flags, drains, counters): it is held for bookkeeping only, never across a wait, and completions
// run after it is released.
#include "dispatch/dispatcher.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <deque>
#include <mutex>
#include <optional>
#include <utility>

#include "dispatch/attach_acceptor.hpp"
#include "dispatch/drain_waiters.hpp"
#include "dispatch/request_timeline.hpp"
#include "dispatch/worker_ledger.hpp"
#include "dispatch/worker_link.hpp"

namespace hserver::service {

namespace {

namespace net = boost::asio;
using Clock = DispatchClock;

constexpr std::uint64_t kResponseOverhead = 1u << 20;  // beyond body_limit: an answer's status line and headers

ResponseEnvelope error_response(std::uint64_t id, std::uint16_t status, const std::string& why) {
  ResponseEnvelope r;
  r.id = id;
  r.status = status;
  r.headers.push_back({"Content-Type", "text/plain; charset=utf-8"});
  r.body = "Error: " + why;
  return r;
}

ResponseEnvelope paused_response(std::uint64_t id, const RouteConfig& route, const std::string& why) {
  ResponseEnvelope r = error_response(id, 503, why);
  r.headers.push_back({"Retry-After", std::to_string(route.retry_after.count())});
  return r;
}

struct Worker;

/// One request from submit() to its single completion.
struct Pending {
  Pending(net::io_context& io, RequestEnvelope r, Completion d, std::size_t route_index, const RouteConfig& config)
      : request(std::move(r)), done(std::move(d)), route(route_index), timer(io), timeline(Clock::now(), config) {}
  RequestEnvelope request;  // keeps its body: a worker that leaves may force a requeue
  Completion done;
  std::size_t route;
  net::steady_timer timer;  // the one timer, armed for timeline.next_check()
  RequestTimeline timeline;
  bool finished = false;
  Worker* worker = nullptr;  // whose ledger holds it
};
using PendingPtr = std::shared_ptr<Pending>;

/// One attached add-in: its channel thread and what it holds.
struct Worker {
  Worker(std::size_t route_index, std::uint32_t slot_index, shm::Channel channel, std::chrono::milliseconds liveness,
         std::uint64_t max_response_bytes)
      : route(route_index), slot(slot_index), link(std::move(channel), liveness, max_response_bytes) {}
  std::size_t route;
  std::uint32_t slot;
  Clock::time_point attached_at = Clock::now();
  WorkerLedger<PendingPtr> ledger;  // guarded by the dispatcher mutex
  WorkerLink link;
};
using WorkerPtr = std::shared_ptr<Worker>;

struct Route {
  RouteConfig config;
  std::deque<PendingPtr> queue;
  std::vector<WorkerPtr> workers;
  bool paused = false;
  RouteCounters counters;
  std::size_t in_hand() const {
    std::size_t n = 0;
    for (const auto& w : workers) n += w->ledger.in_hand();
    return n;
  }
};

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
    for (auto& w : all) w->link.stop();  // every add-in is told at once, then each thread is joined
    for (auto& w : all) w->link.join();
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
        arm_locked(p);
        routes_[index].queue.push_back(std::move(p));
        dispatch_locked(index);
        return;
      }
      if (index < routes_.size()) routes_[index].counters.record(refusal->status, 0);
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
        for (auto& route : routes_) {
          for (auto& p : route.queue) finish_locked(p, error_response(0, 503, "the service is stopping"), finished);
          route.queue.clear();
          for (auto& w : route.workers) {
            for (auto& [id, held] : w->ledger.take_back_all())
              finish_locked(held.request, error_response(id, 503, "the service is stopping"), finished);
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
        if (!paused) p->timeline.restart_after_pause(now, route.config);
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
    auto timer = std::make_shared<net::steady_timer>(io_, timeout);
    const auto ticket = drains_.add(*select_locked(name), [timer, done = std::move(done)](bool drained) {
      timer->cancel();
      done(drained);
    });
    timer->async_wait([this, ticket](boost::system::error_code ec) {
      if (ec) return;
      DrainWaiters::Done expired;
      {
        std::lock_guard lock(mutex_);
        expired = drains_.expire(ticket);
      }
      if (expired) expired(false);
    });
    settle_drains_locked();
    return {};
  }

  std::vector<RouteStatus> status() const {
    std::lock_guard lock(mutex_);
    std::vector<RouteStatus> out;
    const auto now = Clock::now();
    for (const auto& route : routes_) {
      RouteStatus s;
      static_cast<RouteCounters&>(s) = route.counters;
      s.name = route.config.name;
      s.port = route.config.port;
      s.path_prefix = route.config.path_prefix;
      s.mode = route.config.mode;
      s.paused = route.paused;
      s.queued = route.queue.size();
      s.in_hand = route.in_hand();
      for (const auto& w : route.workers) {
        s.workers.push_back(
            WorkerStatus{w->link.peer().pid, w->slot, w->ledger.in_hand(), w->ledger.answered(),
                         std::chrono::duration_cast<std::chrono::milliseconds>(now - w->attached_at).count()});
      }
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
        if (w->link.stopping() || w->ledger.in_hand() >= route.config.worker_in_flight) continue;
        if (best == nullptr || w->ledger.in_hand() < best->ledger.in_hand()) best = w.get();
      }
      if (best == nullptr) return;
      PendingPtr p = std::move(route.queue.front());
      route.queue.pop_front();
      p->worker = best;
      const std::uint64_t id = p->request.id;
      std::vector<std::byte> payload;
      encode(p->request, payload);  // the request keeps its body: a worker that dies may force a requeue
      best->ledger.hand(id, p);
      best->link.send(shm::MessageType::request, id, std::move(payload), shm::Channel::Flush::now);
    }
  }

  RequestWhereabouts whereabouts_locked(const Pending& p) const {
    const Route& route = routes_[p.route];
    return {p.worker != nullptr, route.paused, !route.workers.empty()};
  }

  /// (Re)arms the request's one timer for the next moment something may have to happen to it.
  void arm_locked(const PendingPtr& p) {
    p->timer.expires_at(p->timeline.next_check(whereabouts_locked(*p), routes_[p->route].config));
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
      const std::uint64_t id = p->request.id;
      const std::string waited =
          std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(now - p->timeline.arrived()).count()) +
          " ms";
      switch (p->timeline.due(whereabouts_locked(*p), route.config, now)) {
        case RequestDue::nothing:
          return arm_locked(p);
        case RequestDue::answer_timeout:
          (void)p->worker->ledger.take_back(id);
          p->worker->link.send(shm::MessageType::cancel, id, {});  // the add-in drops it or refuses a late answer
          finish_locked(p, error_response(id, 504, "timeout: 1C did not answer in " + waited), finished);
          dispatch_locked(p->route);
          break;
        case RequestDue::hold_expired:
          std::erase(route.queue, p);
          finish_locked(
              p, paused_response(id, route.config, "route '" + route.config.name + "' is paused (held " + waited + ")"),
              finished);
          break;
        case RequestDue::no_worker:
          std::erase(route.queue, p);
          finish_locked(
              p,
              error_response(id, 503,
                             "no 1C worker is attached to route '" + route.config.name + "' (waited " + waited + ")"),
              finished);
          break;
        case RequestDue::no_free_worker:
          std::erase(route.queue, p);
          finish_locked(p, error_response(id, 504, "timeout: no 1C worker was free in " + waited), finished);
          break;
      }
    }
    complete(finished);
  }

  /// Marks a request finished (under the lock); the completion itself runs later, unlocked.
  void finish_locked(const PendingPtr& p, ResponseEnvelope response, Finished& finished) {
    if (p->finished) return;
    p->finished = true;
    response.id = p->request.id;
    routes_[p->route].counters.record(
        response.status, std::chrono::duration<double, std::milli>(Clock::now() - p->timeline.arrived()).count());
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
    settle_drains_locked();
  }

  /// Completes every drain whose routes have nothing left in a worker's hands (on the I/O side).
  void settle_drains_locked() {
    for (auto& done : drains_.settle([&](std::size_t r) { return routes_[r].in_hand() == 0; }))
      net::post(io_, [done = std::move(done)] { done(true); });
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
    auto worker = std::make_shared<Worker>(r, s, std::move(channel), config_.worker_liveness,
                                           routes_[r].config.http.body_limit + kResponseOverhead);
    std::lock_guard lock(mutex_);
    if (stopping_) return false;
    routes_[r].workers.push_back(worker);
    Worker* w = worker.get();  // the link's thread is joined before the worker is destroyed
    w->link.start({.message = [this, w](shm::Message&& m) { on_worker_message(*w, std::move(m)); },
                   .departed =
                       [this, weak = std::weak_ptr<Worker>(worker)](const Departure& d) {
                         // The worker is still in its route (only drop_worker removes it): lock() holds.
                         if (auto self = weak.lock()) drop_worker(self, d);
                       },
                   .ended = [this] { acceptor_->wake(); }});  // let housekeeping reap it now
    dispatch_locked(r);
    return true;
  }

  /// Joins the workers that have ended and frees their slots.
  void housekeeping() override {
    std::vector<WorkerPtr> dead;
    {
      std::lock_guard lock(mutex_);
      auto it = std::stable_partition(graveyard_.begin(), graveyard_.end(),
                                      [](const auto& w) { return !w->link.finished(); });
      dead.assign(std::make_move_iterator(it), std::make_move_iterator(graveyard_.end()));
      graveyard_.erase(it, graveyard_.end());
    }
    for (auto& w : dead) {
      w->link.join();
      acceptor_->release(static_cast<std::uint32_t>(w->route), w->slot);
    }
  }

  // ---- one attached add-in (its channel thread) -------------------------------------------------------

  void on_worker_message(Worker& w, shm::Message&& m) {
    Finished finished;
    {
      std::lock_guard lock(mutex_);
      auto verdict = w.ledger.judge(m.type, m.id);
      using Kind = WorkerLedger<PendingPtr>::Verdict::Kind;
      switch (verdict.kind) {
        case Kind::taken:
          return;
        case Kind::violation:
          return w.link.reject(std::move(verdict.violation));
        case Kind::late_answer:
          spdlog::warn("route '{}': late answer to request {} dropped (it timed out)", routes_[w.route].config.name,
                       m.id);
          return;
        case Kind::answer:
          break;
      }
      auto response = decode_response(m.payload);
      if (!response) {
        finish_locked(
            *verdict.request,
            error_response(m.id, 502,
                           "the add-in sent a malformed answer (" + std::string(to_string(response.error())) + ")"),
            finished);
      } else {
        finish_locked(*verdict.request, std::move(*response), finished);
      }
      dispatch_locked(w.route);
    }
    complete(finished);
  }

  /// A worker left (Stop, crash, protocol error): what 1C had gets an error, what it never saw goes back
  /// to the front of the queue for another worker.
  void drop_worker(const WorkerPtr& w, const Departure& departure) {
    Finished finished;
    std::size_t requeued = 0;
    {
      std::lock_guard lock(mutex_);
      Route& route = routes_[w->route];
      std::erase(route.workers, w);
      auto held = w->ledger.take_all();
      for (auto it = held.rbegin(); it != held.rend(); ++it) {  // newest first: the oldest ends up in front
        const auto& [id, h] = *it;
        const PendingPtr& p = h.request;
        if (departure.oversized == id) {
          finish_locked(p,
                        error_response(id, 502,
                                       "the 1C answer is larger than the service accepts (more than " +
                                           std::to_string(w->link.max_message_bytes()) + " bytes)"),
                        finished);
        } else if (h.taken) {
          finish_locked(
              p, error_response(id, 502, "the 1C worker ended while handling the request (" + departure.why + ")"),
              finished);
        } else if (!p->finished) {
          p->worker = nullptr;
          route.queue.push_front(p);
          ++requeued;
          ++route.counters.requeued;
          arm_locked(p);
        }
      }
      graveyard_.push_back(w);
      settle_drains_locked();
      dispatch_locked(w->route);
    }
    spdlog::log(departure.why == "detached" ? spdlog::level::info : spdlog::level::warn,
                "route '{}': add-in pid {} left ({}); {} request(s) failed, {} requeued", routes_[w->route].config.name,
                w->link.peer().pid, departure.why, finished.size(), requeued);
    complete(finished);
  }

  net::io_context& io_;
  ServiceConfig config_;
  std::unique_ptr<AttachAcceptor> acceptor_;
  mutable std::mutex mutex_;
  std::vector<Route> routes_;
  DrainWaiters drains_;
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
