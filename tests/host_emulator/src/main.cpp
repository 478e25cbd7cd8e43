// 1c-host-emulator: loads the 1CHServer Native API add-in exactly as 1C does, attaches it to a service
// route (Запустить / ПодключитьМаршрут) and answers requests with a chosen handler, as 1C code in
// ВнешнееСобытие (or a pull-mode background job) would. The demo and benchmark worker, and the worker
// of the integration tests.
//
// Exit codes: 0 clean; 1 the add-in broke a Native API rule (listed on stderr); 2 usage error or the
// add-in could not be loaded; 3 attaching failed (the add-in's error is printed).

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <limits>
#include <string>
#include <thread>

#include <CLI/CLI.hpp>

#include "hserver/host/handlers.hpp"
#include "hserver/host/platform.hpp"
#include "hserver/host/session.hpp"
#include "hserver/host/text.hpp"

namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using hserver::host::CallResult;
using hserver::host::Session;
using hserver::host::Value;

constexpr int kExitViolations = 1;
constexpr int kExitUsage = 2;
constexpr int kExitAttachFailed = 3;

std::atomic<bool> g_stop_requested{false};

/// The add-in built next to this executable, else the one this build produced.
std::string default_addin_path() {
  std::error_code ec;
  const std::string self_dir = hserver::host::platform::executable_dir();
  if (!self_dir.empty()) {
    const auto beside = std::filesystem::path(self_dir) / hserver::host::platform::addin_file_name();
    if (std::filesystem::exists(beside, ec)) return beside.string();
  }
#ifdef HSERVER_HOST_DEFAULT_ADDIN
  return HSERVER_HOST_DEFAULT_ADDIN;
#else
  return hserver::host::platform::addin_file_name();
#endif
}

/// Written once attached: tests wait for it. Renamed into place so a reader never sees half a file.
bool write_ready_file(const std::string& path, const std::string& content) {
  const std::string temporary = path + ".tmp";
  {
    std::ofstream file(temporary, std::ios::trunc);
    if (!file) return false;
    file << content;
    if (!file.flush()) return false;
  }
  std::error_code ec;
  std::filesystem::rename(temporary, path, ec);
  return !ec;
}

/// Resident set of this process in KiB from /proc (Linux); 0 where there is no /proc.
long resident_kib() {
  std::ifstream status("/proc/self/status");
  for (std::string line; std::getline(status, line);) {
    if (line.rfind("VmRSS:", 0) == 0) return std::atol(line.c_str() + 6);
  }
  return 0;
}

std::string as_text(const Value& value) {
  if (const auto* s = std::get_if<std::string>(&value)) return *s;
  return hserver::host::describe(value);
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"1C host emulator: loads the 1CHServer add-in as 1C does and answers requests"};
  std::string addin_path = default_addin_path();
  int port = 0;
  std::string route;
  std::string handler_kind = "echo";
  std::string canned_file;
  long buffer_depth = 1;
  std::uint64_t max_requests = 0;
  double run_seconds = 0;
  std::string ready_file;
  bool pull = false;
  bool attach_for_waiting = false;
  bool accept_events = false;
  long pull_after_ms = 0;
  bool log_events = false;
  bool wait_attach = false;
  long slow_ms = 3000;
  bool report_rss = false;

  app.add_option("--addin", addin_path, "Path to the add-in library")->capture_default_str();
  auto* port_option = app.add_option("--port", port, "Attach with Запустить(Порт)")->check(CLI::Range(1, 65535));
  auto* route_option = app.add_option("--route", route, "Attach with ПодключитьМаршрут(Имя)");
  port_option->excludes(route_option);
  app.add_option("--handler", handler_kind, "What the 1C code does: echo, compat, sized, canned, stall, crash, slow")
      ->check(CLI::IsMember({"echo", "compat", "sized", "canned", "stall", "crash", "slow"}))
      ->capture_default_str();
  app.add_option("--canned-file", canned_file, "code<TAB>answer lines for --handler canned");
  app.add_option("--slow-ms", slow_ms, "--handler slow: answer as echo after this many milliseconds")
      ->capture_default_str();
  app.add_option("--buffer-depth", buffer_depth, "1C's event buffer depth")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  app.add_option("--max-requests", max_requests, "Exit 0 after answering this many requests (0: no limit)");
  app.add_option("--run-seconds", run_seconds, "Exit after this many seconds (0: until SIGTERM/SIGINT)");
  app.add_option("--ready-file", ready_file, "Written once attached");
  app.add_flag("--pull", pull, "Pull mode: loop on ОжидатьЗапрос(1); no events (a server session)");
  app.add_flag("--attach-for-waiting", attach_for_waiting,
               "Attach with ПодключитьДляОжидания(Порт or Маршрут) («режим ожидания»); implies --pull");
  app.add_flag("--accept-events", accept_events,
               "With --pull: ExternalEvent is accepted into a buffer this host never reads (a third-party host)");
  app.add_option("--pull-after-ms", pull_after_ms,
                 "With --pull: wait this long after attaching before the first "
                 "ОжидатьЗапрос (requests arrive in between)");
  app.add_flag("--log-events", log_events, "Set СобытияЖурнала = Истина before attaching; print the Log events");
  app.add_flag("--wait-attach", wait_attach, "Retry attaching every 200 ms instead of exiting with code 3");
  app.add_flag("--report-rss", report_rss, "Print the RSS before loading the add-in and once attached (Linux)");
  try {
    app.parse(argc, argv);
    if (attach_for_waiting) pull = true;
    if (port == 0 && route.empty()) throw CLI::RequiredError("--port or --route");
    if (handler_kind == "canned" && canned_file.empty()) throw CLI::RequiredError("--canned-file");
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? 0 : kExitUsage;
  }

  std::unique_ptr<hserver::host::Handler> handler;
  try {
    handler = hserver::host::make_handler(handler_kind,
                                          handler_kind == "canned" ? hserver::host::load_canned_answers(canned_file)
                                                                   : std::map<std::string, std::string>{},
                                          std::chrono::milliseconds{slow_ms});
  } catch (const std::exception& e) {
    std::cerr << "1c-host-emulator: " << e.what() << std::endl;
    return kExitUsage;
  }

  hserver::host::platform::install_stop_handler(&g_stop_requested);
  const auto deadline =
      run_seconds > 0
          ? Clock::now() + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(run_seconds))
          : Clock::time_point::max();
  const auto should_stop = [&] { return g_stop_requested.load() || Clock::now() >= deadline; };

  // The benchmark's "RSS the add-in adds to its host": the host alone, then with the add-in attached.
  if (report_rss) std::cerr << "1c-host-emulator: rss_before_load_kib=" << resident_kib() << std::endl;
  std::unique_ptr<Session> session;
  try {
    session = std::make_unique<Session>(hserver::host::SessionOptions{
        .addin_path = addin_path, .buffer_depth = buffer_depth, .deliver_events = !pull || accept_events});
  } catch (const std::exception& e) {
    std::cerr << "1c-host-emulator: " << e.what() << std::endl;
    return kExitUsage;
  }

  int exit_code = 0;
  if (log_events) {
    const CallResult set = session->set(u"СобытияЖурнала", Value{true});
    if (!set.ok()) std::cerr << "1c-host-emulator: СобытияЖурнала = Истина failed: " << set.error_text() << std::endl;
  }
  bool attached = false;
  std::string last_failure;  // --wait-attach repeats every 200 ms: print each distinct message once
  while (!should_stop()) {
    const Value target = port != 0 ? Value{std::int32_t{port}} : Value{route};
    const CallResult result = attach_for_waiting ? session->call_proc(u"ПодключитьДляОжидания", {target})
                              : port != 0        ? session->call_proc(u"Запустить", {target})
                                                 : session->call_proc(u"ПодключитьМаршрут", {target});
    if (result.ok()) {
      attached = true;
      break;
    }
    if (result.error_text() != last_failure) {
      last_failure = result.error_text();
      std::cerr << "1c-host-emulator: attaching failed: " << last_failure << std::endl;
    }
    if (!wait_attach) {
      exit_code = kExitAttachFailed;
      break;
    }
    for (int i = 0; i < 4 && !should_stop(); ++i) std::this_thread::sleep_for(50ms);
  }

  if (attached) {
    const auto version = session->get(u"Version");
    std::cerr << "1c-host-emulator: attached (" << (port != 0 ? "port " + std::to_string(port) : "route " + route)
              << ", add-in " << as_text(version.value) << ", " << (pull ? "pull" : "event") << " mode)" << std::endl;
    if (report_rss) std::cerr << "1c-host-emulator: rss_attached_kib=" << resident_kib() << std::endl;
    if (!ready_file.empty() &&
        !write_ready_file(ready_file, std::to_string(hserver::host::platform::current_pid()) + "\n")) {
      std::cerr << "1c-host-emulator: cannot write " << ready_file << std::endl;
    }

    std::uint64_t answered = 0;
    // A session whose code starts its ОжидатьЗапрос loop late: requests reach the add-in meanwhile.
    if (pull && pull_after_ms > 0) {
      const auto until = Clock::now() + std::chrono::milliseconds{pull_after_ms};
      while (!should_stop() && Clock::now() < until) std::this_thread::sleep_for(10ms);
    }
    while (!should_stop() && (max_requests == 0 || answered < max_requests)) {
      if (pull) {
        const CallResult next = session->call(u"ОжидатьЗапрос", {Value{std::int32_t{1}}});
        if (!next.ok()) {
          std::cerr << "1c-host-emulator: ОжидатьЗапрос failed: " << next.error_text() << std::endl;
          std::this_thread::sleep_for(200ms);  // a detached add-in fails at once: do not spin
          continue;
        }
        if (std::holds_alternative<std::monostate>(next.value)) continue;  // timeout
        if (handler->on_pulled(*session, next.value)) ++answered;
      } else {
        const auto event = session->connection().take_event(250ms);
        if (event && handler->on_event(*session, *event)) ++answered;
      }
    }

    const CallResult stopped = session->call_proc(u"Остановить");
    if (!stopped.ok()) std::cerr << "1c-host-emulator: Остановить failed: " << stopped.error_text() << std::endl;
    std::cerr << "1c-host-emulator: answered " << answered << ", events raised "
              << session->connection().accepted_events() << ", events delivered "
              << session->connection().delivered_events() << ", dropped (buffer full) "
              << session->connection().dropped_events() << ", left in the buffer "
              << session->connection().queued_events() << std::endl;
  }

  session->close();
  const auto violations = session->violations().list();
  for (const auto& violation : violations) std::cerr << "1c-host-emulator: VIOLATION: " << violation << std::endl;
  if (!violations.empty()) return kExitViolations;
  return exit_code;
}
