// 1chserver: owns the HTTP ports and routes each request over shared memory to an add-in inside 1C.
// main only wires the parts together: config -> logging -> dispatch -> HTTP front -> I/O threads, and
// the graceful stop on SIGINT/SIGTERM.
#include <atomic>
#include <csignal>
#include <cstdio>
#include <exception>
#include <functional>
#include <memory>
#include <stdexcept>
#include <thread>
#include <variant>
#include <vector>

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <CLI/CLI.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>

#include "config_loader.hpp"
#include "dispatch/dispatcher.hpp"
#include "http/envelope_conversion.hpp"
#include "http/http_server.hpp"
#include "logging.hpp"
#include "version.hpp"

namespace asio = boost::asio;
using namespace hserver::service;

namespace {

constexpr int kExitOk = 0;
constexpr int kExitRuntimeError = 1;
constexpr int kExitBadConfig = 2;

// Once dispatch has answered everything in hand, the answers still have to be written to the clients;
// this bounds how long a slow client can hold the stop up.
constexpr std::chrono::milliseconds kDrainDeadline{1000};

struct CommandLine {
  std::string config_path;
  ConfigOverrides overrides;
};

// Returns the parsed command line, or the exit code when the program must end now (help, version,
// usage error).
std::variant<CommandLine, int> parse_command_line(int argc, char** argv) {
  CLI::App app{"1CHServer service: routes HTTP requests to 1C sessions over shared memory", "1chserver"};
  CommandLine line;
  std::string listen, mode, shm_prefix, log_level, log_file;
  unsigned threads = 0;
  std::uint64_t request_timeout_ms = 0, no_worker_wait_ms = 0, stop_grace_ms = 0;

  app.add_option("-c,--config", line.config_path, "JSON configuration file (comments allowed)");
  auto* listen_opt = app.add_option("--listen", listen, "address:port of the single route, e.g. 127.0.0.1:3188");
  auto* mode_opt = app.add_option("--mode", mode, "mode of the single route: legacy or http");
  auto* shm_opt = app.add_option("--shm-prefix", shm_prefix, "prefix of shared-memory object names");
  auto* level_opt = app.add_option("--log-level", log_level, "trace, debug, info, warn, error, critical, off");
  auto* file_opt = app.add_option("--log-file", log_file, "also log to this file (rotated at 10 MiB, 5 kept)");
  auto* threads_opt = app.add_option("--threads", threads, "number of I/O threads");
  auto* timeout_opt = app.add_option("--request-timeout-ms", request_timeout_ms,
                                     "deadline of a request, for every route (504 after it)");
  auto* wait_opt = app.add_option("--no-worker-wait-ms", no_worker_wait_ms,
                                  "how long a request waits for a first add-in, for every route (503 after it)");
  auto* grace_opt = app.add_option("--stop-grace-ms", stop_grace_ms,
                                   "on SIGTERM/SIGINT, time for requests in hand to be answered (503 after it)");
  app.set_version_flag("--version", fmt::format("1chserver {}", kVersion));

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    const int code = app.exit(error);  // prints help, version or the usage error
    return code == 0 ? kExitOk : kExitBadConfig;
  }
  ConfigOverrides& o = line.overrides;
  if (listen_opt->count() > 0) o.listen = listen;
  if (mode_opt->count() > 0) o.mode = mode;
  if (shm_opt->count() > 0) o.shm_prefix = shm_prefix;
  if (level_opt->count() > 0) o.log_level = log_level;
  if (file_opt->count() > 0) o.log_file = log_file;
  if (threads_opt->count() > 0) o.threads = threads;
  if (timeout_opt->count() > 0) o.request_timeout_ms = request_timeout_ms;
  if (wait_opt->count() > 0) o.no_worker_wait_ms = no_worker_wait_ms;
  if (grace_opt->count() > 0) o.stop_grace_ms = stop_grace_ms;
  return line;
}

void log_routes(const ServiceConfig& config, const std::vector<asio::ip::tcp::endpoint>& endpoints) {
  for (std::size_t i = 0; i < config.routes.size() && i < endpoints.size(); ++i) {
    const RouteConfig& route = config.routes[i];
    const std::string where = format_endpoint(endpoints[i]);
    spdlog::info("route '{}' ({}) listening on {}", route.name, hserver::to_string(route.mode), where);
    if (route.mode == hserver::RouteMode::legacy) {
      spdlog::warn("route '{}' on {} executes any 1C code sent to it", route.name, where);
    }
    if (!endpoints[i].address().is_loopback()) {
      spdlog::warn("route '{}' listens beyond loopback on {}: anyone who can reach it can use it", route.name, where);
    }
  }
}

// Runs the io_context; an exception escaping a handler means a bug: log it and stop the service rather
// than go on in an unknown state (the service manager restarts it).
void run_io(asio::io_context& io, std::atomic<bool>& failed) {
  try {
    io.run();
  } catch (const std::exception& error) {
    spdlog::critical("unhandled exception in an I/O thread: {}", error.what());
    failed = true;
    io.stop();
  }
}

}  // namespace

int main(int argc, char** argv) {
  auto parsed = parse_command_line(argc, argv);
  if (const int* exit_code = std::get_if<int>(&parsed)) return *exit_code;
  const CommandLine& line = std::get<CommandLine>(parsed);

  auto loaded = load_config(line.config_path, line.overrides);
  if (!loaded) {
    fmt::print(stderr, "1chserver: {}\n", loaded.error());
    return kExitBadConfig;
  }
  const ServiceConfig& config = *loaded;
  if (auto logging = setup_logging(config); !logging) {
    fmt::print(stderr, "1chserver: {}\n", logging.error());
    return kExitRuntimeError;
  }
  spdlog::info("1chserver {} starting: {} route(s), {} I/O thread(s), shm prefix '{}'", kVersion, config.routes.size(),
               config.threads, config.shm_prefix);

  // Declaration order is destruction order in reverse: the HTTP front goes first, then dispatch (whose
  // late completions only post into the io_context), and the io_context with the sessions last.
  asio::io_context io{static_cast<int>(config.threads)};
  std::unique_ptr<Dispatcher> dispatcher;
  try {
    dispatcher = std::make_unique<Dispatcher>(io, config);
  } catch (const std::runtime_error& error) {
    spdlog::critical("cannot start dispatch: {}", error.what());
    return kExitRuntimeError;
  }
  HttpServer server{io, *dispatcher};
  if (auto started = server.start(config); !started) {
    spdlog::critical("{}", started.error());
    return kExitRuntimeError;
  }
  log_routes(config, server.local_endpoints());

  asio::signal_set signals{io, SIGINT, SIGTERM};
  bool stopping = false;  // touched only by the signal handler; one wait is outstanding at a time
  std::function<void(const boost::system::error_code&, int)> on_signal = [&](const boost::system::error_code& ec,
                                                                             int signal_number) {
    if (ec) return;
    if (stopping) {
      spdlog::warn("signal {} again: stopping now", signal_number);
      io.stop();
      return;
    }
    stopping = true;
    spdlog::info("signal {}: stopping; requests in hand have {} ms", signal_number, config.stop_grace.count());
    server.stop_accepting();
    dispatcher->shutdown(config.stop_grace, [&] {
      // Called from any thread: continue on the io_context.
      asio::post(io, [&] {
        server.drain(kDrainDeadline, [&] {
          spdlog::info("stopped");
          io.stop();
        });
      });
    });
    signals.async_wait(on_signal);
  };
  signals.async_wait(on_signal);

  std::atomic<bool> failed{false};
  std::vector<std::thread> threads;
  for (unsigned i = 1; i < config.threads; ++i) threads.emplace_back([&] { run_io(io, failed); });
  run_io(io, failed);
  for (auto& thread : threads) thread.join();
  spdlog::default_logger()->flush();
  return failed ? kExitRuntimeError : kExitOk;
}
