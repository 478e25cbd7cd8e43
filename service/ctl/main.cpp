// 1chserverctl: the administrator's tool. Talks to a running 1chserver over its admin channel.
//   1chserverctl status [--json]      routes, queues, workers, counters
//   1chserverctl workers              attached add-ins
//   1chserverctl pause [ROUTE]        hold (or refuse) new requests: before a database update
//   1chserverctl drain [ROUTE]        pause, then wait until 1C holds no request
//   1chserverctl resume [ROUTE]       serve again; held requests are answered
// Windows only, run as administrator (they run the 1chserver.exe next to this program):
//   1chserverctl install [--name N] [--config FILE] [--account A]   register the service
//   1chserverctl uninstall [--name N]                              stop and remove it
#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include <boost/json.hpp>
#include <cstdlib>
#include <iostream>

#include "admin/admin_path.hpp"
#include "admin_client.hpp"
#include "hserver/common/shm/registry.hpp"
#ifdef _WIN32
#include <vector>

#include "win/service_exe.hpp"
#endif

namespace json = boost::json;
using hserver::ctl::admin_call;

namespace {

constexpr int kExitOk = 0;
constexpr int kExitFailed = 1;  // the service refused or answered "not done" (drain timeout)
constexpr int kExitNoService = 3;

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

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"1chserverctl: status, pause, resume and drain of a running 1chserver", "1chserverctl"};
  app.require_subcommand(1);
  std::string socket;
  std::string prefix = hserver::shm::default_prefix();
  app.add_option("--socket", socket, "admin socket of the service (default: derived from the shm prefix)");
  app.add_option("--shm-prefix", prefix, "shm prefix of the service (default 1chserver or $HSERVER_SHM_PREFIX)");

  bool as_json = false;
  auto* status = app.add_subcommand("status", "routes, queues and workers");
  status->add_flag("--json", as_json, "print the service's answer as JSON");
  auto* routes = app.add_subcommand("routes", "routes and their state");
  routes->add_flag("--json", as_json, "print JSON");
  auto* workers = app.add_subcommand("workers", "attached add-ins");
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

  const std::string path = hserver::service::admin_socket_path(socket, prefix);
  json::object request;
  const auto* chosen = app.get_subcommands().front();
  const std::string name = chosen->get_name();
  request["command"] = (name == "routes" || name == "workers") ? "status" : name;
  if (!route.empty()) request["route"] = route;
  if (name == "drain") request["timeout_ms"] = static_cast<std::int64_t>(timeout_s * 1000);
  const auto wait = std::chrono::milliseconds(static_cast<std::int64_t>(timeout_s * 1000) + 5000);

  auto answer = admin_call(path, json::serialize(request), wait);
  if (!answer) {
    std::cerr << "1chserverctl: " << answer.error() << "\n";
    return kExitNoService;
  }
  json::error_code ec;
  const json::value parsed = json::parse(*answer, ec);
  if (ec || !parsed.is_object()) {
    std::cerr << "1chserverctl: unreadable answer from the service: " << *answer << "\n";
    return kExitFailed;
  }
  const auto& o = parsed.as_object();
  if (!o.at("ok").as_bool()) {
    std::cerr << "1chserverctl: " << field(o, "error") << "\n";
    return kExitFailed;
  }
  if (as_json) {
    std::cout << *answer << "\n";
  } else if (name == "workers") {
    print_workers(o.at("routes").as_array());
  } else {
    print_routes(o.at("routes").as_array());
    if (name == "status") {
      std::cout << "\n";
      print_workers(o.at("routes").as_array());
    }
  }
  if (name == "drain" && !o.at("drained").as_bool()) {
    std::cerr << "1chserverctl: requests are still in 1C's hands after " << timeout_s
              << " s (the routes stay paused)\n";
    return kExitFailed;
  }
  return kExitOk;
}
