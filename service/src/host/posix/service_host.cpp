// POSIX host: the service runs in the foreground (under systemd, a terminal, a container), and
// SIGTERM/SIGINT are the stop. The signals are blocked in every thread and taken by one thread with
// sigwait, so the stop request runs as ordinary code rather than in a signal handler, and the
// threads the application starts (they inherit the mask) are never interrupted. Under systemd
// (Type=notify) the host reports READY=1 after start() and STOPPING=1 on the stop signal.
#include "host/service_host.hpp"

#include <atomic>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <thread>
#include <utility>

#include <signal.h>

#include <spdlog/spdlog.h>

#include "host/posix/systemd_notify.hpp"

namespace hserver::service {
namespace {

constexpr int kExitStartFailed = 1;

sigset_t stop_signals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  return set;
}

const char* signal_name(int signal_number) {
  return signal_number == SIGINT ? "SIGINT" : signal_number == SIGTERM ? "SIGTERM" : "signal";
}

// Sleeps in sigwait without a timeout (an idle service must not wake); run() returning ends it with a
// SIGINT sent to this thread alone.
void wait_for_stop_signals(HostedApplication& application, const std::atomic<bool>& finished) {
  const sigset_t set = stop_signals();
  for (;;) {
    int signal_number = 0;
    if (sigwait(&set, &signal_number) != 0) continue;
    if (finished.load()) return;
    notify_stopping();
    application.request_stop(signal_name(signal_number));
  }
}

}  // namespace

ServiceHost::ServiceHost(std::string service_name) : service_name_(std::move(service_name)) {}

int ServiceHost::run(HostedApplication& application) {
  const sigset_t set = stop_signals();
  if (const int error = pthread_sigmask(SIG_BLOCK, &set, nullptr); error != 0) {
    spdlog::critical("{}: cannot block SIGTERM/SIGINT: {}", service_name_, std::strerror(error));
    return kExitStartFailed;
  }
  // A signal arriving during start() stays pending and is taken by the signal thread afterwards.
  if (auto started = application.start(); !started) {
    spdlog::critical("{}", started.error());
    return kExitStartFailed;
  }
  notify_ready();  // start() has bound every listener and created the shared memory
  std::atomic<bool> finished{false};
  std::thread signal_thread{[&] { wait_for_stop_signals(application, finished); }};
  const int exit_code = application.run();
  finished = true;
  pthread_kill(signal_thread.native_handle(), SIGINT);
  signal_thread.join();
  return exit_code;
}

}  // namespace hserver::service
