#include "logging.hpp"

#include <memory>
#include <vector>

#include <fmt/format.h>
#include <spdlog/sinks/rotating_file_sink.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

namespace hserver::service {
namespace {

constexpr std::size_t kRotateBytes = 10 * 1024 * 1024;
constexpr std::size_t kRotateFiles = 5;

}  // namespace

Status<std::string> setup_logging(const ServiceConfig& config) {
  std::vector<spdlog::sink_ptr> sinks;
  sinks.push_back(std::make_shared<spdlog::sinks::stderr_color_sink_mt>());
  if (!config.log_file.empty()) {
    try {
      sinks.push_back(
          std::make_shared<spdlog::sinks::rotating_file_sink_mt>(config.log_file, kRotateBytes, kRotateFiles));
    } catch (const spdlog::spdlog_ex& error) {
      return Unexpected{fmt::format("cannot open log file {}: {}", config.log_file, error.what())};
    }
  }
  auto logger = std::make_shared<spdlog::logger>("1chserver", sinks.begin(), sinks.end());
  logger->set_level(spdlog::level::from_str(config.log_level));
  logger->set_pattern("%Y-%m-%d %H:%M:%S.%e %^%l%$ [%t] %v");
  // Warnings and errors reach the file even if the process dies right after.
  logger->flush_on(spdlog::level::warn);
  spdlog::set_default_logger(std::move(logger));
  return {};
}

void add_log_sink(spdlog::sink_ptr sink, spdlog::level::level_enum min_level) {
  sink->set_level(min_level);
  spdlog::default_logger()->sinks().push_back(std::move(sink));
}

}  // namespace hserver::service
