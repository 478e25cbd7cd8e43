#include <dlfcn.h>
#include <unistd.h>

#include <csignal>
#include <filesystem>

#include "hserver/host/platform.hpp"

namespace hserver::host::platform {
namespace {

std::atomic<bool>* g_stop_flag = nullptr;
static_assert(std::atomic<bool>::is_always_lock_free, "set from a signal handler");

extern "C" void on_stop_signal(int) {
  if (g_stop_flag != nullptr) g_stop_flag->store(true);
}

}  // namespace

void* open_library(const std::string& path, std::string& error) {
  // RTLD_LOCAL: the add-in's symbols must not leak into the host, as 1C loads many add-ins.
  void* handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (handle == nullptr) {
    const char* message = dlerror();
    error = message != nullptr ? message : "dlopen failed";
  }
  return handle;
}

void* find_symbol(void* handle, const char* name) {
  return dlsym(handle, name);
}

void close_library(void* handle) {
  dlclose(handle);
}

void install_stop_handler(std::atomic<bool>* flag) {
  g_stop_flag = flag;
  struct sigaction action {};
  action.sa_handler = &on_stop_signal;
  sigemptyset(&action.sa_mask);
  sigaction(SIGTERM, &action, nullptr);
  sigaction(SIGINT, &action, nullptr);
}

std::uint32_t current_pid() {
  return static_cast<std::uint32_t>(::getpid());
}

std::string executable_dir() {
  std::error_code ec;
  const auto self = std::filesystem::read_symlink("/proc/self/exe", ec);
  return ec ? std::string() : self.parent_path().string();
}

const char* addin_file_name() {
  return "lib1chserver_addin.so";
}

}  // namespace hserver::host::platform
