// 1chserver: owns the HTTP ports and routes each request over shared memory to an add-in inside 1C.
// main only wires the parts together: command line -> config -> logging -> the host, which runs the
// application (dispatch, HTTP front, I/O threads) and delivers the stop (signals, or the Windows SCM).
// The install/uninstall subcommands register the executable with the OS service manager; hash-secret
// prints the stored form of a password or a new bearer token for the config.
#include <cstdio>
#include <iostream>
#include <string>
#include <variant>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "application.hpp"
#include "command_line.hpp"
#include "config_loader.hpp"
#include "host/service_host.hpp"
#include "host/service_installer.hpp"
#include "logging.hpp"
#include "security/access.hpp"
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

// `1chserver hash-secret`: the password is read from stdin (not the command line, where `ps` and the
// shell's history would show it); one line, the end of line not included.
int hash_secret_command(bool new_token) {
  try {
    if (new_token) {
      const auto [token, stored] = make_bearer_token();
      fmt::print(
          "token (give it to the client, Authorization: Bearer <token>):\n{}\n"
          "stored form (put it in the route's \"auth\": {{\"bearer\": [...]}}):\n{}\n",
          token, stored);
      return 0;
    }
    std::string secret;
    if (!std::getline(std::cin, secret) || secret.empty()) {
      fmt::print(stderr,
                 "1chserver hash-secret: give the password on stdin, e.g. echo -n 'password' | 1chserver "
                 "hash-secret, or type it and press Enter\n");
      return 2;
    }
    if (!secret.empty() && secret.back() == '\r') secret.pop_back();
    fmt::print("{}\n", hash_secret(secret));
    return 0;
  } catch (const std::exception& error) {
    fmt::print(stderr, "1chserver hash-secret: {}\n", error.what());
    return 1;
  }
}

}  // namespace

int main(int argc, char** argv) {
#if defined(__GLIBC__)
  // glibc raises its mmap threshold after a large block is freed, so from the first 10 MiB body on, later
  // ones are carved from the heap and stay resident after use. A fixed threshold keeps them mapped for
  // their lifetime and returned on free: an idle service gives the memory of its last large request back.
  mallopt(M_MMAP_THRESHOLD, 256 * 1024);
#endif
  auto parsed = parse_command_line(argc, argv);
  if (const int* exit_code = std::get_if<int>(&parsed)) return *exit_code;
  const CommandLine& line = std::get<CommandLine>(parsed);
  switch (line.command) {
    case Command::install:
      return report(install_service(line.install), "install", line.install.name);
    case Command::uninstall:
      return report(uninstall_service(line.install.name), "uninstall", line.install.name);
    case Command::hash_secret:
      return hash_secret_command(line.new_token);
    case Command::run:
      break;
  }
  return run_service(line);
}
