// 1c-com-host: drives the 1CHServer COM add-in exactly as 1C does (an STA thread, CoCreateInstance by
// the ProgID AddIn.1CHServer, IInitDone/ILanguageExtender, a connection object with IAsyncEvent and
// IErrorLog), checks the rules 1C imposes, attaches with Запустить(Порт) and answers requests with a
// chosen handler while pumping messages, so events must arrive on this thread.
//
// Exit codes: 0 clean; 1 the add-in broke a rule (listed on stderr); 2 usage error or the add-in could
// not be created; 3 attaching failed (the add-in's error, reported through IErrorLog, is printed).

#include <atomic>
#include <chrono>
#include <cstdint>
#include <fstream>
#include <iostream>
#include <string>

#include <CLI/CLI.hpp>

#include <windows.h>

#include "hserver/comhost/addin.hpp"
#include "hserver/comhost/connection.hpp"
#include "hserver/comhost/handlers.hpp"

namespace {

using Clock = std::chrono::steady_clock;
using namespace hserver::comhost;

constexpr int kExitViolations = 1;
constexpr int kExitUsage = 2;
constexpr int kExitAttachFailed = 3;

std::atomic<bool> g_stop{false};

BOOL WINAPI on_console_event(DWORD) {
  g_stop.store(true);
  return TRUE;
}

/// Written once attached: tests wait for it. Renamed into place so a reader never sees half a file.
bool write_ready_file(const std::string& path, const std::string& content) {
  const std::string temporary = path + ".tmp";
  {
    std::ofstream file(temporary, std::ios::trunc);
    if (!(file << content) || !file.flush()) return false;
  }
  return MoveFileExA(temporary.c_str(), path.c_str(), MOVEFILE_REPLACE_EXISTING) != 0;
}

/// Runs the messages of this (STA) thread for up to `timeout`: the add-in's event window is served
/// here, as 1C's message loop serves it.
void pump_messages(std::chrono::milliseconds timeout) {
  MsgWaitForMultipleObjectsEx(0, nullptr, static_cast<DWORD>(timeout.count()), QS_ALLINPUT, MWMO_INPUTAVAILABLE);
  MSG message;
  while (PeekMessageW(&message, nullptr, 0, 0, PM_REMOVE)) {
    TranslateMessage(&message);
    DispatchMessageW(&message);
  }
}

/// The COM apartment of this thread, for the life of main.
struct Apartment {
  HRESULT result = CoInitializeEx(nullptr, COINIT_APARTMENTTHREADED);
  ~Apartment() {
    if (SUCCEEDED(result)) CoUninitialize();
  }
};

int run(int port, const std::string& handler_kind, long depth, std::uint64_t max_requests, double run_seconds,
        const std::string& ready_file) {
  const Apartment apartment;
  if (FAILED(apartment.result)) {
    std::cerr << "1c-com-host: CoInitializeEx failed" << std::endl;
    return kExitUsage;
  }
  Violations violations;
  Connection connection(violations);
  connection.set_depth(depth);
  int exit_code = 0;
  {
    std::unique_ptr<Addin> addin;
    try {
      addin = std::make_unique<Addin>(L"AddIn.1CHServer", connection, violations);
    } catch (const std::exception& e) {
      std::cerr << "1c-com-host: cannot create AddIn.1CHServer: " << e.what() << std::endl;
      return kExitUsage;
    }
    const auto handler = make_handler(handler_kind);
    if (addin->initialize()) addin->check_surface();
    std::cerr << "1c-com-host: names, GetInfo, RegisterExtensionAs and error reports checked" << std::endl;

    const auto deadline =
        run_seconds > 0
            ? Clock::now() + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(run_seconds))
            : Clock::time_point::max();
    const CallResult started = addin->call("Запустить", {Value{static_cast<std::int32_t>(port)}});
    if (!started.ok) {
      std::cerr << "1c-com-host: attaching failed: " << started.error << std::endl;
      exit_code = kExitAttachFailed;
    } else {
      const CallResult version = addin->get("Версия");
      std::cerr << "1c-com-host: attached (port " << port << ", add-in " << describe(version.value) << ")" << std::endl;
      if (!ready_file.empty() && !write_ready_file(ready_file, std::to_string(GetCurrentProcessId()) + "\n")) {
        std::cerr << "1c-com-host: cannot write " << ready_file << std::endl;
      }
      std::uint64_t answered = 0;
      while (!g_stop.load() && Clock::now() < deadline && (max_requests == 0 || answered < max_requests)) {
        pump_messages(std::chrono::milliseconds(100));
        while (auto event = connection.take_event()) {
          if (handler->on_event(*addin, *event)) ++answered;
        }
      }
      const CallResult stopped = addin->call("Остановить");
      if (!stopped.ok) std::cerr << "1c-com-host: Остановить failed: " << stopped.error << std::endl;
      std::cerr << "1c-com-host: answered " << answered << ", events delivered " << connection.delivered()
                << ", dropped (buffer full) " << connection.dropped() << std::endl;
    }
    addin->close();
  }
  for (const auto& violation : violations.list()) std::cerr << "1c-com-host: VIOLATION: " << violation << std::endl;
  return violations.list().empty() ? exit_code : kExitViolations;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"COM host emulator: drives AddIn.1CHServer as 1C does and answers requests"};
  int port = 0;
  std::string handler_kind = "echo";
  long depth = 1;
  std::uint64_t max_requests = 0;
  double run_seconds = 0;
  std::string ready_file;
  app.add_option("--port", port, "Attach with Запустить(Порт)")->required()->check(CLI::Range(1, 65535));
  app.add_option("--handler", handler_kind, "What the 1C code does: echo, stall, crash")
      ->check(CLI::IsMember({"echo", "stall", "crash"}))
      ->capture_default_str();
  app.add_option("--buffer-depth", depth, "1C's event buffer depth")->check(CLI::PositiveNumber)->capture_default_str();
  app.add_option("--max-requests", max_requests, "Exit after answering this many requests (0: no limit)");
  app.add_option("--run-seconds", run_seconds, "Exit after this many seconds (0: until Ctrl+C)");
  app.add_option("--ready-file", ready_file, "Written once attached");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? 0 : kExitUsage;
  }
  SetConsoleCtrlHandler(&on_console_event, TRUE);
  try {
    return run(port, handler_kind, depth, max_requests, run_seconds, ready_file);
  } catch (const std::exception& e) {
    std::cerr << "1c-com-host: " << e.what() << std::endl;
    return kExitUsage;
  }
}
