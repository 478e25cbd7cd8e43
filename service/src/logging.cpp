#include "logging.hpp"

#include <memory>
#include <vector>

#include <fmt/format.h>
#include <spdlog/sinks/rotating_file_sink.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#ifdef _WIN32
#include <io.h>
#else
#include <syslog.h>
#include <unistd.h>

#include <spdlog/sinks/syslog_sink.h>
#if HSERVER_HAVE_JOURNALD
#include <spdlog/sinks/systemd_sink.h>
#endif
#endif

namespace hserver::service {
namespace {

constexpr const char* kIdent = "1chserver";

bool stderr_is_terminal() {
#ifdef _WIN32
  return _isatty(_fileno(stderr)) != 0;
#else
  return isatty(STDERR_FILENO) != 0;
#endif
}

// The system log sink named by log.system, or an error saying why this build or OS has none.
Expected<spdlog::sink_ptr, std::string> system_sink(const std::string& kind) {
#ifdef _WIN32
  return Unexpected{
      fmt::format("log.system \"{}\" is for Linux; on Windows the service logs to the Event Log "
                  "when it runs under the service control manager",
                  kind)};
#else
  if (kind == "syslog") {
    // Facility daemon, the pid in each line; the sink passes spdlog's levels as syslog priorities.
    auto sink = std::make_shared<spdlog::sinks::syslog_sink_mt>(kIdent, LOG_PID, LOG_DAEMON, true);
    sink->set_pattern("[%t] %v");
    return spdlog::sink_ptr{std::move(sink)};
  }
#if HSERVER_HAVE_JOURNALD
  // Priorities and SYSLOG_IDENTIFIER, plus the code location fields: `journalctl -t 1chserver -p warning`.
  auto sink = std::make_shared<spdlog::sinks::systemd_sink_mt>(kIdent, true);
  sink->set_pattern("[%t] %v");
  return spdlog::sink_ptr{std::move(sink)};
#else
  return Unexpected{
      std::string{"log.system \"journald\": this build has no journald support (built without "
                  "libsystemd-dev); use \"syslog\", which journald also collects"}};
#endif
#endif
}

}  // namespace

Status<std::string> setup_logging(const ServiceConfig& config) {
  std::vector<spdlog::sink_ptr> sinks;
  if (config.log_system != "none") {
    auto sink = system_sink(config.log_system);
    if (!sink) return Unexpected{sink.error()};
    sinks.push_back(std::move(*sink));
  }
  // With a system log the console is for a person at a terminal only: under systemd stderr goes to the
  // journal as well, and every line would be there twice.
  if (config.log_system == "none" || stderr_is_terminal()) {
    sinks.push_back(std::make_shared<spdlog::sinks::stderr_color_sink_mt>());
  }
  if (!config.log_file.empty()) {
    try {
      sinks.push_back(std::make_shared<spdlog::sinks::rotating_file_sink_mt>(
          config.log_file, static_cast<std::size_t>(config.log_file_max_bytes), config.log_file_count));
    } catch (const spdlog::spdlog_ex& error) {
      return Unexpected{fmt::format("cannot open log file {}: {}", config.log_file, error.what())};
    }
  }
  auto logger = std::make_shared<spdlog::logger>("1chserver", sinks.begin(), sinks.end());
  logger->set_level(spdlog::level::from_str(config.log_level));
  // The system sinks keep the patterns set above: time, level and host come from the system log.
  for (auto& sink : sinks) {
    if (sink == sinks.front() && config.log_system != "none") continue;
    sink->set_pattern("%Y-%m-%d %H:%M:%S.%e %^%l%$ [%t] %v");
  }
  // Warnings and errors reach the file even if the process dies right after.
  logger->flush_on(spdlog::level::warn);
  // The rest within a second, so that `tail -f` on the file shows what happens now.
  if (!config.log_file.empty()) spdlog::flush_every(std::chrono::seconds(1));
  spdlog::set_default_logger(std::move(logger));
  return {};
}

void add_log_sink(spdlog::sink_ptr sink, spdlog::level::level_enum min_level) {
  sink->set_level(min_level);
  spdlog::default_logger()->sinks().push_back(std::move(sink));
}

}  // namespace hserver::service
