#pragma once
/// @brief The command line of 1chserver: running the service (the default) or the install / uninstall
/// subcommands. Parsing only; main decides what to do with the result.

#include <string>
#include <variant>

#include "config_loader.hpp"
#include "host/service_installer.hpp"

namespace hserver::service {

/// @brief What the command line asks for.
enum class Command { run, install, uninstall, hash_secret };

/// @brief A parsed command line.
struct CommandLine {
  Command command = Command::run;
  std::string config_path;    ///< run: the JSON config; empty: defaults and options only
  ConfigOverrides overrides;  ///< run: options overriding the file
  InstallOptions install;     ///< install: name, config, account; uninstall: name only
  bool new_token = false;     ///< hash-secret: make a random bearer token instead of reading a secret
};

/// @brief Parses argv with CLI11. @return the command line, or the exit code when the program must end
/// now (help and version printed: 0; usage error printed: 2).
std::variant<CommandLine, int> parse_command_line(int argc, char** argv);

}  // namespace hserver::service
