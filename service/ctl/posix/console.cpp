#include "console.hpp"

#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <iterator>

namespace hserver::ctl {

std::string process_name(std::uint32_t pid) {
  // argv[0] rather than comm: comm is cut at 15 bytes. cmdline is readable for other users' processes
  // (unlike the exe link), which is what the service user running this tool needs.
  std::ifstream cmdline("/proc/" + std::to_string(pid) + "/cmdline", std::ios::binary);
  std::string argv0;
  if (cmdline && std::getline(cmdline, argv0, '\0') && !argv0.empty()) {
    return argv0.substr(argv0.find_last_of('/') + 1);
  }
  std::ifstream comm("/proc/" + std::to_string(pid) + "/comm");
  std::string name;
  if (comm) std::getline(comm, name);
  return name;
}

bool prepare_terminal_output() {
  const char* term = std::getenv("TERM");
  return ::isatty(STDOUT_FILENO) == 1 && term != nullptr && std::string(term) != "dumb";
}

}  // namespace hserver::ctl
