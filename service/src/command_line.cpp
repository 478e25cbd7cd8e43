#include "command_line.hpp"

#include <cstdint>

#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include "version.hpp"

namespace hserver::service {
namespace {

constexpr int kExitOk = 0;
constexpr int kExitUsage = 2;

// Options are read into plain variables first and become overrides only when given, so that an absent
// option never hides the file's value.
struct RunOptions {
  std::string listen, mode, shm_prefix, shm_group, shm_windows_users, log_level, log_file, log_system;
  std::string metrics_listen, admin_socket, attach_socket, paused_behaviour;
  unsigned threads = 0;
  std::uint64_t memory_budget_bytes = 0;
  std::uint64_t request_timeout_ms = 0, no_worker_wait_ms = 0, stop_grace_ms = 0, worker_liveness_ms = 0;
};

template <class T>
void set_if_given(const CLI::Option* option, const T& value, std::optional<T>& out) {
  if (option->count() > 0) out = value;
}

}  // namespace

std::variant<CommandLine, int> parse_command_line(int argc, char** argv) {
  CLI::App app{"1CHServer service: routes HTTP requests to 1C sessions over shared memory", "1chserver"};
  CommandLine line;
  RunOptions run;
  ConfigOverrides& o = line.overrides;

  app.add_option("-c,--config", line.config_path, "JSON configuration file (comments allowed)");
  auto* listen = app.add_option("--listen", run.listen, "address:port of the single route, e.g. 127.0.0.1:3188");
  auto* mode = app.add_option("--mode", run.mode, "mode of the single route: legacy or http");
  auto* shm_prefix = app.add_option("--shm-prefix", run.shm_prefix, "prefix of shared-memory object names");
  auto* shm_group = app.add_option("--shm-group", run.shm_group,
                                   "POSIX: group of the shared-memory objects (the group of 1C's users)");
  auto* shm_users = app.add_option("--shm-windows-users", run.shm_windows_users,
                                   "Windows: account or group (name or SID) of 1C's users allowed to attach");
  auto* metrics = app.add_option("--metrics-listen", run.metrics_listen,
                                 "address:port of the health and metrics listener; \"\" disables it");
  auto* admin = app.add_option("--admin-socket", run.admin_socket, "path of the admin channel (1chserverctl)");
  auto* attach = app.add_option("--attach-socket", run.attach_socket,
                                "Linux: path of the socket add-ins attach through (default "
                                "/run/1chserver/<shm prefix>.attach)");
  auto* paused =
      app.add_option("--paused-behaviour", run.paused_behaviour, "what every route does while paused: hold or reject");
  auto* level = app.add_option("--log-level", run.log_level, "trace, debug, info, warn, error, critical, off");
  auto* file = app.add_option(
      "--log-file", run.log_file,
      "also log to this file (rotated at log.file_max_bytes, 10 MiB by default; log.file_count kept, 5)");
  auto* system_log =
      app.add_option("--log-system", run.log_system, "also log to the system log: none, syslog, journald");
  auto* threads = app.add_option("--threads", run.threads, "number of I/O threads");
  auto* budget = app.add_option("--memory-budget-bytes", run.memory_budget_bytes,
                                "bytes held in requests and answers at once, whole service (503 beyond it)");
  auto* timeout = app.add_option("--request-timeout-ms", run.request_timeout_ms,
                                 "deadline of a request, for every route (504 after it)");
  auto* wait = app.add_option("--no-worker-wait-ms", run.no_worker_wait_ms,
                              "how long a request waits for a first add-in, for every route (503 after it)");
  auto* grace = app.add_option("--stop-grace-ms", run.stop_grace_ms,
                               "on stop (SIGTERM, service stop), time for requests in hand to be answered");
  auto* liveness = app.add_option("--worker-liveness-ms", run.worker_liveness_ms,
                                  "an add-in silent this long is taken for dead (default 1000)");
  app.set_version_flag("--version", fmt::format("1chserver {}", kVersion));

  CLI::App* install = app.add_subcommand("install", "Windows: register this executable as a service (administrator)");
  install->add_option("--name", line.install.name, "service name, also the Event Log source")->capture_default_str();
  install->add_option("--config", line.install.config_path, "configuration file the service is started with");
  install->add_option("--account", line.install.account, "account to run as (default: NT SERVICE\\<name>)");
  CLI::App* uninstall = app.add_subcommand("uninstall", "Windows: stop and remove the service (administrator)");
  uninstall->add_option("--name", line.install.name, "service name")->capture_default_str();
  CLI::App* hash = app.add_subcommand(
      "hash-secret", "print the stored form of a password read from stdin (for auth.basic[].password_hash)");
  hash->add_flag("--new-token", line.new_token,
                 "instead: make a random bearer token, print it and its stored form (for auth.bearer)");
  app.require_subcommand(0, 1);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    return app.exit(error) == 0 ? kExitOk : kExitUsage;  // prints help, version or the usage error
  }
  if (install->parsed()) line.command = Command::install;
  if (uninstall->parsed()) line.command = Command::uninstall;
  if (hash->parsed()) line.command = Command::hash_secret;
  set_if_given(listen, run.listen, o.listen);
  set_if_given(mode, run.mode, o.mode);
  set_if_given(shm_prefix, run.shm_prefix, o.shm_prefix);
  set_if_given(shm_group, run.shm_group, o.shm_posix_group);
  set_if_given(shm_users, run.shm_windows_users, o.shm_windows_users);
  set_if_given(metrics, run.metrics_listen, o.metrics_listen);
  set_if_given(admin, run.admin_socket, o.admin_socket);
  set_if_given(attach, run.attach_socket, o.attach_socket);
  set_if_given(paused, run.paused_behaviour, o.paused_behaviour);
  set_if_given(level, run.log_level, o.log_level);
  set_if_given(file, run.log_file, o.log_file);
  set_if_given(system_log, run.log_system, o.log_system);
  set_if_given(threads, run.threads, o.threads);
  set_if_given(budget, run.memory_budget_bytes, o.memory_budget_bytes);
  set_if_given(timeout, run.request_timeout_ms, o.request_timeout_ms);
  set_if_given(wait, run.no_worker_wait_ms, o.no_worker_wait_ms);
  set_if_given(grace, run.stop_grace_ms, o.stop_grace_ms);
  set_if_given(liveness, run.worker_liveness_ms, o.worker_liveness_ms);
  return line;
}

}  // namespace hserver::service
