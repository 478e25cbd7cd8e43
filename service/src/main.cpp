// 1chserver: owns the HTTP ports and routes each request over shared memory to an add-in inside 1C.
// main only wires the parts together: command line -> config -> logging -> the host, which runs the
// application (dispatch, HTTP front, I/O threads) and delivers the stop (signals, or the Windows SCM).
// The install/uninstall subcommands register the executable with the OS service manager.
#include <cstdio>
#include <variant>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "application.hpp"
#include "command_line.hpp"
#include "config_loader.hpp"
#include "host/service_host.hpp"
#include "host/service_installer.hpp"
#include "logging.hpp"
#include "version.hpp"

using namespace hserver::service;

namespace {

constexpr int kExitOk = 0;
constexpr int kExitRuntimeError = 1;
constexpr int kExitBadConfig = 2;

int report(const hserver::Status<InstallError>& done, const char* what, const std::string& name) {
  if (!done) {
    fmt::print(stderr, "1chserver {}: {}\n", what, done.error().message);
    return done.error().exit_code;
  }
  fmt::print("1chserver {}: service '{}' done\n", what, name);
  return kExitOk;
}

int run_service(const CommandLine& line) {
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
  ServiceApplication application{config};
  ServiceHost host{line.install.name};
  const int exit_code = host.run(application);
  spdlog::default_logger()->flush();
  return exit_code;
}

}  // namespace

int main(int argc, char** argv) {
  auto parsed = parse_command_line(argc, argv);
  if (const int* exit_code = std::get_if<int>(&parsed)) return *exit_code;
  const CommandLine& line = std::get<CommandLine>(parsed);
  switch (line.command) {
    case Command::install:
      return report(install_service(line.install), "install", line.install.name);
    case Command::uninstall:
      return report(uninstall_service(line.install.name), "uninstall", line.install.name);
    case Command::run:
      break;
  }
  return run_service(line);
}
