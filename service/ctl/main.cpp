// 1chserverctl: the administrator's tool. Talks to a running 1chserver over its admin channel.
//   1chserverctl status [--json] [--watch [S] [--count N]]   routes and their workers, as a table
//   1chserverctl routes | workers [--json]                   one part of it, one line each
//   1chserverctl pause [ROUTE]        hold (or refuse) new requests: before a database update
//   1chserverctl drain [ROUTE]        pause, then wait until 1C holds no request
//   1chserverctl resume [ROUTE]       serve again; held requests are answered
// (these three print the status table as they leave it)
// The channel is found as the service finds it: --config <the service's file>, --shm-prefix and
// --admin-socket (alias --socket) mean what they mean to 1chserver, and an option given wins over the file.
// Windows only, run as administrator (they run the 1chserver.exe next to this program):
//   1chserverctl install [--name N] [--config FILE] [--account A]   register the service
//   1chserverctl uninstall [--name N]                              stop and remove it
#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include <atomic>
#include <boost/json.hpp>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <ctime>
#include <iostream>
#include <thread>
#include <variant>

#include "admin/admin_path.hpp"
#include "admin_client.hpp"
#include "config_loader.hpp"
#include "console.hpp"
#include "hserver/common/shm/registry.hpp"
#include "status_view.hpp"
#ifdef _WIN32
#include <vector>

#include "win/service_exe.hpp"
#endif

namespace json = boost::json;
using hserver::ctl::admin_call;

namespace {

constexpr int kExitOk = 0;
constexpr int kExitFailed = 1;     // the service refused or answered "not done" (drain timeout)
constexpr int kExitBadConfig = 2;  // as 1chserver: the config file cannot be read or is invalid
constexpr int kExitNoService = 3;

std::atomic<bool> interrupted{false};
extern "C" void on_interrupt(int) {
  interrupted = true;
}

std::string field(const json::object& o, const char* key) {
  const auto* v = o.if_contains(key);
  if (v == nullptr) return "";
  if (v->is_string()) return std::string(v->as_string());
  return json::serialize(*v);
}

void print_routes(const json::array& routes) {
  fmt::print("{:<20} {:>5}  {:<12}  {:<6}  {:<7}  {:>6}  {:>7}  {:>7}  {:>9}  {:>8}\n", "ROUTE", "PORT", "PATH", "MODE",
             "STATE", "QUEUED", "IN HAND", "WORKERS", "ANSWERED", "MEAN MS");
  for (const auto& value : routes) {
    const auto& r = value.as_object();
    fmt::print("{:<20} {:>5}  {:<12}  {:<6}  {:<7}  {:>6}  {:>7}  {:>7}  {:>9}  {:>8.1f}\n", field(r, "name"),
               field(r, "port"), field(r, "path_prefix"), field(r, "mode"),
               r.at("paused").as_bool() ? "paused" : "serving", field(r, "queued"), field(r, "in_hand"),
               r.at("workers").as_array().size(), field(r, "responses"), r.at("mean_latency_ms").to_number<double>());
  }
}

void print_workers(const json::array& routes) {
  fmt::print("{:<20} {:>8}  {:>4}  {:>7}  {:>9}  {:>12}\n", "ROUTE", "PID", "SLOT", "IN HAND", "ANSWERED",
             "ATTACHED S");
  for (const auto& value : routes) {
    const auto& r = value.as_object();
    for (const auto& w : r.at("workers").as_array()) {
      const auto& o = w.as_object();
      fmt::print("{:<20} {:>8}  {:>4}  {:>7}  {:>9}  {:>12.1f}\n", field(r, "name"), field(o, "pid"), field(o, "slot"),
                 field(o, "in_hand"), field(o, "answered"), o.at("attached_ms").to_number<double>() / 1000.0);
    }
  }
}

/// Where the admin channel is, derived exactly as the service derives it: from its config file with the
/// options given here on top (the service's own loader), or from the options alone.
hserver::Expected<std::string, std::string> admin_path(const std::string& config_path, const CLI::Option& socket_option,
                                                       const std::string& socket, const CLI::Option& prefix_option,
                                                       const std::string& prefix) {
  if (config_path.empty()) return hserver::service::admin_socket_path(socket, prefix);
  hserver::service::ConfigOverrides overrides;
  if (socket_option.count() > 0) overrides.admin_socket = socket;
  if (prefix_option.count() > 0) overrides.shm_prefix = prefix;
  auto config = hserver::service::load_config(config_path, overrides);
  if (!config) return hserver::Unexpected{config.error()};
  return hserver::service::admin_socket_path(config->admin_socket, config->shm_prefix);
}

std::string local_time_now() {
  const std::time_t now = std::time(nullptr);
  char text[32] = "";
  if (const std::tm* local = std::localtime(&now); local != nullptr) {
    std::strftime(text, sizeof text, "%Y-%m-%d %H:%M:%S", local);
  }
  return text;
}

/// Sleeps up to `seconds`, waking early on Ctrl-C. Short steps: a signal handler can set a flag but not
/// portably wake a condition variable, and a tenth of a second is well below what a person notices.
void sleep_unless_interrupted(double seconds) {
  const auto until = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  while (!interrupted && std::chrono::steady_clock::now() < until) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"1chserverctl: status, pause, resume and drain of a running 1chserver", "1chserverctl"};
  app.require_subcommand(1);
  std::string socket;
  std::string prefix = hserver::shm::default_prefix();
  std::string config_path;
  auto* socket_option = app.add_option("--admin-socket,--socket", socket,
                                       "admin socket of the service, as 1chserver --admin-socket (default: derived "
                                       "from the shm prefix)");
  auto* prefix_option =
      app.add_option("--shm-prefix", prefix, "shm prefix of the service (default 1chserver or $HSERVER_SHM_PREFIX)");
  app.add_option("-c,--config", config_path,
                 "the service's config file: its admin_socket and shm_prefix, unless given here");

  bool as_json = false;
  double watch_seconds = 2;
  int watch_count = 0;
  auto* status = app.add_subcommand("status", "routes and their workers, as a table");
  status->add_flag("--json", as_json, "print the service's answer as JSON (with --watch: one line per refresh)");
  auto* watch = status->add_option("--watch", watch_seconds, "refresh every S seconds (default 2) until Ctrl-C")
                    ->expected(0, 1)
                    ->default_str("2")
                    ->check(CLI::PositiveNumber);
  status->add_option("--count", watch_count, "with --watch: stop after N refreshes")
      ->needs(watch)
      ->check(CLI::PositiveNumber);
  auto* routes = app.add_subcommand("routes", "routes and their state, one line each");
  routes->add_flag("--json", as_json, "print JSON");
  auto* workers = app.add_subcommand("workers", "attached add-ins, one line each");
  workers->add_flag("--json", as_json, "print JSON");
  std::string route;
  double timeout_s = 60;
  auto* pause = app.add_subcommand("pause", "hold (or refuse, per route) new requests; no route: all routes");
  pause->add_option("route", route, "route name");
  auto* resume = app.add_subcommand("resume", "serve again; held requests are answered; no route: all routes");
  resume->add_option("route", route, "route name");
  auto* drain = app.add_subcommand("drain", "pause, then wait until 1C holds no request; no route: all routes");
  drain->add_option("route", route, "route name");
  drain->add_option("--timeout", timeout_s, "seconds to wait (default 60)")->check(CLI::PositiveNumber);
#ifdef _WIN32
  // The service's own installer (1chserver.exe install/uninstall), with the same options.
  std::string service_name = "1chserver";
  std::string service_config;
  std::string service_account;
  auto* install = app.add_subcommand("install",
                                     "register 1chserver.exe (next to this program) as a Windows service; "
                                     "run as administrator");
  install->add_option("--name", service_name, "service name, also the Event Log source")->capture_default_str();
  auto* install_config =
      install->add_option("--config", service_config, "configuration file the service is started with");
  auto* install_account =
      install->add_option("--account", service_account, "account to run as (default: NT SERVICE\\<name>)");
  auto* uninstall = app.add_subcommand("uninstall", "stop and remove the Windows service; run as administrator");
  uninstall->add_option("--name", service_name, "service name")->capture_default_str();
#endif
  CLI11_PARSE(app, argc, argv);
#ifdef _WIN32
  if (install->parsed()) {
    std::vector<std::string> arguments{"install", "--name", service_name};
    if (install_config->count() > 0) arguments.insert(arguments.end(), {"--config", service_config});
    if (install_account->count() > 0) arguments.insert(arguments.end(), {"--account", service_account});
    return hserver::ctl::run_service_executable(arguments);
  }
  if (uninstall->parsed()) return hserver::ctl::run_service_executable({"uninstall", "--name", service_name});
#endif

  const auto found = admin_path(config_path, *socket_option, socket, *prefix_option, prefix);
  if (!found) {
    std::cerr << "1chserverctl: " << found.error() << "\n";
    return kExitBadConfig;
  }
  const std::string& path = *found;
  json::object request;
  const auto* chosen = app.get_subcommands().front();
  const std::string name = chosen->get_name();
  request["command"] = (name == "routes" || name == "workers") ? "status" : name;
  if (!route.empty()) request["route"] = route;
  if (name == "drain") request["timeout_ms"] = static_cast<std::int64_t>(timeout_s * 1000);
  const auto wait = std::chrono::milliseconds(static_cast<std::int64_t>(timeout_s * 1000) + 5000);

  // One exchange with the service: the parsed answer (its text in `raw`: --json prints what the service
  // sent), or the exit code and the reason in `error`.
  const auto call = [&](std::string* error, std::string* raw) -> std::variant<json::object, int> {
    auto answer = admin_call(path, json::serialize(request), wait);
    if (!answer) {
      *error = answer.error();
      return kExitNoService;
    }
    json::error_code ec;
    json::value parsed = json::parse(*answer, ec);
    if (ec || !parsed.is_object()) {
      *error = "unreadable answer from the service: " + *answer;
      return kExitFailed;
    }
    *raw = *answer;
    auto& o = parsed.as_object();
    if (const auto* ok = o.if_contains("ok"); ok == nullptr || !ok->is_bool() || !ok->as_bool()) {
      *error = field(o, "error");
      return kExitFailed;
    }
    return std::move(o);
  };

  const bool terminal = !as_json && hserver::ctl::prepare_terminal_output();
  const hserver::ctl::StatusViewOptions view{terminal && std::getenv("NO_COLOR") == nullptr,
                                             hserver::ctl::process_name};
  if (name == "status") {
    const bool watching = watch->count() > 0;
    if (watching) {
      std::signal(SIGINT, on_interrupt);
      std::signal(SIGTERM, on_interrupt);
    }
    int code = kExitOk;
    for (int round = 0; !interrupted && (watch_count == 0 || round < watch_count); ++round) {
      if (round > 0) sleep_unless_interrupted(watch_seconds);
      if (interrupted) break;
      std::string error;
      std::string raw;
      auto result = call(&error, &raw);
      code = std::holds_alternative<int>(result) ? std::get<int>(result) : kExitOk;
      if (!watching) {
        if (code != kExitOk) {
          std::cerr << "1chserverctl: " << error << "\n";
        } else if (as_json) {
          std::cout << raw << "\n";
        } else {
          std::cout << hserver::ctl::render_status(std::get<json::object>(result), view);
        }
        return code;
      }
      if (as_json) {  // one JSON line per refresh: a script reads them as they come
        if (code == kExitOk)
          std::cout << raw << std::endl;
        else
          std::cerr << "1chserverctl: " << error << std::endl;
        continue;
      }
      std::string frame =
          fmt::format("1chserver at {}   {}   every {} s, Ctrl-C stops\n\n", path, local_time_now(), watch_seconds);
      frame += code == kExitOk ? hserver::ctl::render_status(std::get<json::object>(result), view)
                               : "1chserverctl: " + error + "\n";
      if (terminal) {
        // The first frame clears the screen; later ones go home and overwrite, each line clearing what the
        // previous frame left to its right and then everything below: no blank flash between frames.
        std::string painted = round == 0 ? "\x1b[H\x1b[2J" : "\x1b[H";
        for (std::size_t at = 0; at < frame.size();) {
          const auto end = frame.find('\n', at);
          painted += frame.substr(at, end - at) + "\x1b[K\n";
          at = end + 1;
        }
        std::cout << painted << "\x1b[J" << std::flush;
      } else {
        std::cout << frame << "\n" << std::flush;
      }
    }
    return code;
  }

  std::string error;
  std::string raw;
  auto result = call(&error, &raw);
  if (std::holds_alternative<int>(result)) {
    std::cerr << "1chserverctl: " << error << "\n";
    return std::get<int>(result);
  }
  const auto& o = std::get<json::object>(result);
  if (as_json) {
    std::cout << raw << "\n";
  } else if (name == "workers") {
    print_workers(o.at("routes").as_array());
  } else if (name == "routes") {
    print_routes(o.at("routes").as_array());
  } else {  // pause, resume, drain: the state they left, as status shows it
    std::cout << hserver::ctl::render_status(o, view);
  }
  if (name == "drain" && !o.at("drained").as_bool()) {
    std::cerr << "1chserverctl: requests are still in 1C's hands after " << timeout_s
              << " s (the routes stay paused)\n";
    return kExitFailed;
  }
  return kExitOk;
}
