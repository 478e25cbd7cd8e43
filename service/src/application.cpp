#include "application.hpp"

#include <chrono>
#include <exception>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <boost/asio/post.hpp>

#include "admin/admin_path.hpp"
#include "admin/admin_server.hpp"
#include "config_loader.hpp"
#include "dispatch/dispatcher.hpp"
#include "http/envelope_conversion.hpp"
#include "http/http_server.hpp"
#include "observability/observability_sink.hpp"

namespace asio = boost::asio;

namespace hserver::service {
namespace {

// Once dispatch has answered everything in hand, the answers still have to be written to the clients;
// this bounds how long a slow client can hold the stop up.
constexpr std::chrono::milliseconds kDrainDeadline{1000};

void log_routes(const ServiceConfig& config, const std::vector<asio::ip::tcp::endpoint>& endpoints) {
  for (std::size_t i = 0; i < config.routes.size() && i < endpoints.size(); ++i) {
    const RouteConfig& route = config.routes[i];
    const std::string where = format_endpoint(endpoints[i]);
    spdlog::info("route '{}' ({}) listening on {}{}", route.name, hserver::to_string(route.mode), where,
                 route.path_prefix == "/" ? "" : route.path_prefix);
    if (route.mode == hserver::RouteMode::legacy) {
      spdlog::warn("route '{}' on {} executes any 1C code sent to it", route.name, where);
    }
    if (!endpoints[i].address().is_loopback()) {
      spdlog::warn("route '{}' listens beyond loopback on {}: anyone who can reach it can use it", route.name, where);
    }
  }
}

}  // namespace

ServiceApplication::ServiceApplication(const ServiceConfig& config)
    : config_(config), io_(static_cast<int>(config.threads)) {}

ServiceApplication::~ServiceApplication() = default;

Status<std::string> ServiceApplication::start_operations() {
  if (!config_.metrics_listen.empty()) {
    auto address = parse_listen_address(config_.metrics_listen);
    if (!address) return Unexpected{fmt::format("metrics_listen: {}", address.error())};
    // The service's own endpoints ride the same HTTP front, as one http-mode route with its own sink.
    metrics_config_ = config_;
    RouteConfig route;
    route.name = "metrics";
    route.bind_address = address->address;
    route.port = address->port;
    route.mode = RouteMode::http;
    route.http = config_.http;
    route.access = config_.metrics_access;
    metrics_config_.routes = {route};
    observability_ =
        std::make_unique<ObservabilitySink>(*dispatcher_, &server_->stats(), server_->memory_budget().get());
    metrics_server_ = std::make_unique<HttpServer>(io_, *observability_, server_->memory_budget());
    if (auto started = metrics_server_->start(metrics_config_); !started) return Unexpected{started.error()};
    spdlog::info("health and metrics on http://{}/metrics",
                 format_endpoint(metrics_server_->local_endpoints().front()));
  }
  admin_ = std::make_unique<AdminServer>(io_, *dispatcher_);
  const std::string path = admin_socket_path(config_.admin_socket, config_.shm_prefix);
  if (auto started = admin_->start(path); !started) {
    if (path.empty() || config_.admin_socket.empty()) {
      // Without an explicit admin_socket the channel is optional (Windows, or no rights on its folder).
      spdlog::warn("no admin channel: {}", started.error());
      return {};
    }
    return Unexpected{started.error()};
  }
  spdlog::info("admin channel at {}", path);
  return {};
}

Status<std::string> ServiceApplication::start() {
  try {
    dispatcher_ = std::make_unique<Dispatcher>(io_, config_);
  } catch (const std::runtime_error& error) {
    return Unexpected{fmt::format("cannot start dispatch: {}", error.what())};
  }
  server_ = std::make_unique<HttpServer>(io_, *dispatcher_);
  if (auto started = server_->start(config_); !started) return Unexpected{started.error()};
  log_routes(config_, server_->local_endpoints());
  if (auto started = start_operations(); !started) return started;
  return {};
}

int ServiceApplication::run() {
  std::vector<std::thread> threads;
  for (unsigned i = 1; i < config_.threads; ++i) threads.emplace_back([this] { run_io(); });
  run_io();
  for (auto& thread : threads) thread.join();
  spdlog::default_logger()->flush();
  return failed_ ? 1 : 0;
}

void ServiceApplication::request_stop(std::string_view reason) noexcept {
  try {
    if (stop_requests_.fetch_add(1) == 0) {
      // The stop sequence touches the server and dispatch, which live on the io_context's threads.
      asio::post(io_, [this, why = std::string{reason}]() mutable { begin_graceful_stop(std::move(why)); });
      return;
    }
    spdlog::warn("{} again: stopping now", reason);
  } catch (const std::exception&) {
    // Out of memory while asking for a graceful stop: the abrupt one below still works.
  }
  io_.stop();
}

void ServiceApplication::begin_graceful_stop(std::string reason) {
  spdlog::info("{}: stopping; requests in hand have {} ms", reason, config_.stop_grace.count());
  if (!dispatcher_ || !server_) {  // start() failed half way: nothing to drain
    io_.stop();
    return;
  }
  server_->stop_accepting();
  if (metrics_server_) metrics_server_->stop_accepting();
  if (admin_) admin_->stop();
  dispatcher_->shutdown(config_.stop_grace, [this] {
    // Called from any thread: continue on the io_context.
    asio::post(io_, [this] {
      server_->drain(kDrainDeadline, [this] {
        spdlog::info("stopped");
        io_.stop();
      });
    });
  });
}

// An exception escaping a handler means a bug: log it and stop the service rather than go on in an
// unknown state (the service manager restarts it).
void ServiceApplication::run_io() noexcept {
  try {
    io_.run();
  } catch (const std::exception& error) {
    spdlog::critical("unhandled exception in an I/O thread: {}", error.what());
    failed_ = true;
    io_.stop();
  }
}

}  // namespace hserver::service
