#include "http/http_server.hpp"

#include <algorithm>
#include <atomic>

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include <fmt/format.h>

#include "http/listener.hpp"
#include "http/listener_context.hpp"
#include "http/session.hpp"
#include "http/session_registry.hpp"
#include "security/credential_checks.hpp"

namespace hserver::service {
namespace asio = boost::asio;

#if HSERVER_HAVE_TLS
namespace {

// TLS 1.2 and 1.3 only, the certificate chain and key from PEM files, checked against each other here so
// that a mismatch stops the start instead of failing every handshake.
Expected<std::shared_ptr<asio::ssl::context>, std::string> make_tls_context(const TlsConfig& tls) {
  auto context = std::make_shared<asio::ssl::context>(asio::ssl::context::tls_server);
  boost::system::error_code ec;
  context->set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                           asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 |
                           asio::ssl::context::no_tlsv1_1 | asio::ssl::context::single_dh_use,
                       ec);
  if (ec) return Unexpected{fmt::format("tls: {}", ec.message())};
  SSL_CTX_set_min_proto_version(context->native_handle(), TLS1_2_VERSION);
  context->use_certificate_chain_file(tls.certificate, ec);
  if (ec) return Unexpected{fmt::format("tls.certificate \"{}\": {}", tls.certificate, ec.message())};
  context->use_private_key_file(tls.private_key, asio::ssl::context::pem, ec);
  if (ec) return Unexpected{fmt::format("tls.private_key \"{}\": {}", tls.private_key, ec.message())};
  if (SSL_CTX_check_private_key(context->native_handle()) != 1) {
    return Unexpected{fmt::format("tls: the private key \"{}\" does not match the certificate \"{}\"", tls.private_key,
                                  tls.certificate)};
  }
  return context;
}

}  // namespace
#endif

HttpServer::HttpServer(asio::io_context& io, RequestSink& sink, std::shared_ptr<MemoryBudget> memory_budget)
    : io_(io),
      sink_(sink),
      registry_(std::make_shared<SessionRegistry>()),
      stats_(std::make_shared<FrontStats>()),
      memory_budget_(std::move(memory_budget)) {}

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
  if (memory_budget_ == nullptr) memory_budget_ = std::make_shared<MemoryBudget>(config.memory_budget_bytes);
  std::vector<std::shared_ptr<Listener>> opened;
  for (auto& group : groups) {
    const std::string address = group.front().bind_address;
    const std::uint16_t port = group.front().port;
    HttpLimits limits = group.front().http;
    std::map<std::string, std::shared_ptr<const RouteAccess>> access;
    for (const RouteConfig& route : group) {
      // The parser's first body limit is the largest: the route's own is applied once its path is known.
      limits.body_limit = std::max(limits.body_limit, route.http.body_limit);
      auto checks = RouteAccess::make(route.access, config.credential_checks);
      if (!checks) return Unexpected{fmt::format("route '{}': {}", route.name, checks.error())};
      access.emplace(route.name, std::move(*checks));
    }
    const bool authenticates = std::any_of(access.begin(), access.end(),
                                           [](const auto& entry) { return entry.second->requires_authentication(); });
    if (authenticates && !credential_checks_) {
      credential_checks_ = std::make_unique<CredentialChecks>(config.credential_checks, stats_->auth);
    }
    const TlsConfig tls = group.front().tls;
    // Built in place: the connection counter is atomic, so the context cannot be moved.
    auto* raw = new ListenerContext{
        address, port, RouteTable{std::move(group)}, limits, sink_, registry_, stats_, std::move(access)};
    std::shared_ptr<const ListenerContext> context{raw};
    raw->memory_budget = memory_budget_;
    raw->credential_checks = credential_checks_.get();
    if (tls.enabled()) {
#if HSERVER_HAVE_TLS
      auto made = make_tls_context(tls);
      if (!made) return Unexpected{made.error()};
      raw->tls = std::move(*made);
#else
      return Unexpected{
          fmt::format("{}:{}: this build has no TLS (the MinGW build has no OpenSSL); put a reverse "
                      "proxy with TLS in front, see docs/security.md",
                      address, port)};
#endif
    }
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
