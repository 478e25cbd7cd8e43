// The service's configuration reader (service/src/config_loader.hpp) on any text: parse_config_json and,
// on what it accepts, validate_config.
// Properties: no exception escapes either (errors are values); an error is a non-empty message; what is
// accepted keeps the documented ranges (timeouts at most a day, path prefixes without a trailing '/'
// except "/" itself); a configuration that validates has routes with distinct names, non-zero ports and
// prefixes starting with '/'; parsing the same text twice gives the same verdict.

#include <cstddef>
#include <cstdint>
#include <set>
#include <string>

#include "config_loader.hpp"
#include "fuzz_support.hpp"

namespace {

using namespace hserver::service;

constexpr auto kDay = std::chrono::milliseconds{86'400'000};

void check_ranges(const ServiceConfig& config) {
  FUZZ_CHECK(config.stop_grace.count() >= 0 && config.stop_grace <= kDay);
  FUZZ_CHECK(config.worker_liveness.count() >= 0 && config.worker_liveness <= kDay);
  for (const RouteConfig& route : config.routes) {
    FUZZ_CHECK(route.request_timeout.count() >= 0 && route.request_timeout <= kDay);
    FUZZ_CHECK(route.no_worker_wait.count() >= 0 && route.no_worker_wait <= kDay);
    FUZZ_CHECK(route.hold_time.count() >= 0 && route.hold_time <= kDay);
    FUZZ_CHECK(route.path_prefix.size() <= 1 || route.path_prefix.back() != '/');
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto text = hserver::fuzz::as_text(data, size);
  const auto config = parse_config_json(text);
  const auto again = parse_config_json(text);
  FUZZ_CHECK(config.has_value() == again.has_value());
  if (!config) {
    FUZZ_CHECK(!config.error().empty());
    FUZZ_CHECK(config.error() == again.error());
    return 0;
  }
  check_ranges(*config);
  const auto valid = validate_config(*config);
  if (!valid) {
    FUZZ_CHECK(!valid.error().empty());
    return 0;
  }
  FUZZ_CHECK(!config->routes.empty());
  std::set<std::string> names;
  for (const RouteConfig& route : config->routes) {
    FUZZ_CHECK(names.insert(route.name).second);
    FUZZ_CHECK(route.port != 0);
    FUZZ_CHECK(route.path_prefix.starts_with('/'));
  }
  return 0;
}
