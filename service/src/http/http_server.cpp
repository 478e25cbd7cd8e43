#include "http/http_server.hpp"

#include <algorithm>
#include <atomic>

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include "http/listener.hpp"
#include "http/listener_context.hpp"
#include "http/session.hpp"
#include "http/session_registry.hpp"

namespace hserver::service {
namespace asio = boost::asio;

HttpServer::HttpServer(asio::io_context& io, RequestSink& sink)
    : io_(io), sink_(sink), registry_(std::make_shared<SessionRegistry>()) {}

HttpServer::~HttpServer() {
  stop_accepting();
}

Status<std::string> HttpServer::start(const ServiceConfig& config) {
  // Routes on one address and port share a listener and are told apart by path prefix. Port 0 asks
  // for an ephemeral port of its own, so such a route always gets a listener to itself.
  std::vector<std::vector<RouteConfig>> groups;
  std::vector<std::size_t> listener_of_route;
  for (const RouteConfig& route : config.routes) {
    auto same_address = [&](const std::vector<RouteConfig>& group) {
      return route.port != 0 && group.front().port == route.port && group.front().bind_address == route.bind_address;
    };
    if (auto it = std::find_if(groups.begin(), groups.end(), same_address); it != groups.end()) {
      it->push_back(route);
      listener_of_route.push_back(static_cast<std::size_t>(it - groups.begin()));
    } else {
      listener_of_route.push_back(groups.size());
      groups.push_back({route});
    }
  }
  std::vector<std::shared_ptr<Listener>> opened;
  for (auto& group : groups) {
    const std::string address = group.front().bind_address;
    const std::uint16_t port = group.front().port;
    auto context = std::make_shared<const ListenerContext>(
        ListenerContext{address, port, RouteTable{std::move(group)}, config.http, sink_, registry_});
    auto listener = Listener::open(io_, std::move(context));
    if (!listener) {
      for (auto& l : opened) l->stop();
      return Unexpected{listener.error()};
    }
    opened.push_back(std::move(*listener));
  }
  for (auto& listener : opened) {
    listener->start();
    listeners_.push_back(std::move(listener));
  }
  listener_of_route_ = std::move(listener_of_route);
  return {};
}

std::vector<asio::ip::tcp::endpoint> HttpServer::local_endpoints() const {
  std::vector<asio::ip::tcp::endpoint> endpoints;
  for (const std::size_t listener : listener_of_route_) endpoints.push_back(listeners_[listener]->local_endpoint());
  return endpoints;
}

void HttpServer::stop_accepting() {
  for (auto& listener : listeners_) listener->stop();
}

void HttpServer::drain(std::chrono::milliseconds deadline, std::function<void()> done) {
  // `done` runs once, whichever comes first: the last session gone, or the deadline.
  struct State {
    State(asio::io_context& io, std::function<void()> callback) : done(std::move(callback)), timer(io) {}
    std::atomic<bool> fired{false};
    std::function<void()> done;
    asio::steady_timer timer;
  };
  auto state = std::make_shared<State>(io_, std::move(done));
  auto finish = [this, state] {
    if (state->fired.exchange(true)) return;
    asio::post(io_, [state] {
      state->timer.cancel();
      state->done();
    });
  };

  state->timer.expires_after(deadline);
  state->timer.async_wait([registry = registry_, finish](boost::system::error_code ec) {
    if (ec) return;
    for (auto& session : registry->snapshot()) session->close_now();
    finish();
  });
  for (auto& session : registry_->snapshot()) session->shutdown_gracefully();
  registry_->when_empty(finish);
}

std::size_t HttpServer::open_connections() const {
  return registry_->size();
}

}  // namespace hserver::service
