// normalize_target on any target, and RouteTable::resolve over a public "/", an "/api" and a legacy "/1c"
// route (service/src/http/path_normalization.hpp, route_table.hpp). The input is the raw target.
// Properties of a normalised target: it starts with '/'; its path (up to the first '?') holds no "//",
// "/./" or "/../", does not end in "/." or "/.."; every '%' in it starts an upper-case escape of a byte
// that is neither unreserved nor '/', '\' or NUL; its query is the input's, byte for byte; normalising it
// again gives it back. An input holding "%2F", "%5C", "%00" or '\' in its path is refused.
// Properties of a route choice: an http route is given a normalised target whose route is that route;
// a legacy route is given the raw target, which names that route by its bytes.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_support.hpp"
#include "http/path_normalization.hpp"
#include "http/route_table.hpp"

namespace {

using hserver::RouteMode;
using hserver::service::RouteConfig;
using hserver::service::RouteTable;

bool is_upper_hex(char c) {
  return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'F');
}

int hex(char c) {
  return c <= '9' ? c - '0' : c - 'A' + 10;
}

bool is_unreserved(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
         c == '_' || c == '~';
}

bool contains_case_insensitive(std::string_view text, std::string_view what) {
  for (std::size_t i = 0; i + what.size() <= text.size(); ++i) {
    bool same = true;
    for (std::size_t j = 0; j < what.size() && same; ++j) {
      const char a = text[i + j];
      const char lower = (a >= 'A' && a <= 'Z') ? static_cast<char>(a - 'A' + 'a') : a;
      same = lower == what[j];
    }
    if (same) return true;
  }
  return false;
}

void check_normal(std::string_view input, const std::string& out) {
  FUZZ_CHECK(!out.empty() && out.front() == '/');
  const std::size_t query_at = out.find('?');
  const std::string_view path = std::string_view{out}.substr(0, query_at);
  FUZZ_CHECK(path.find("//") == std::string_view::npos);
  FUZZ_CHECK(path.find("/./") == std::string_view::npos);
  FUZZ_CHECK(path.find("/../") == std::string_view::npos);
  FUZZ_CHECK(!path.ends_with("/.") && !path.ends_with("/.."));
  FUZZ_CHECK(path.find('\\') == std::string_view::npos);
  for (std::size_t i = 0; i < path.size(); ++i) {
    if (path[i] != '%') continue;
    FUZZ_CHECK(i + 2 < path.size() && is_upper_hex(path[i + 1]) && is_upper_hex(path[i + 2]));
    const auto byte = static_cast<unsigned char>(hex(path[i + 1]) * 16 + hex(path[i + 2]));
    FUZZ_CHECK(!is_unreserved(byte) && byte != '/' && byte != '\\' && byte != 0);
  }
  const std::size_t input_query_at = input.find('?');
  const std::string_view input_query =
      input_query_at == std::string_view::npos ? std::string_view{} : input.substr(input_query_at);
  const std::string_view query =
      query_at == std::string::npos ? std::string_view{} : std::string_view{out}.substr(query_at);
  FUZZ_CHECK(query == input_query);
  const auto again = hserver::service::normalize_target(out);
  FUZZ_CHECK(again.has_value() && *again == out);
}

RouteConfig route(std::string name, std::string prefix, RouteMode mode) {
  RouteConfig config;
  config.name = std::move(name);
  config.path_prefix = std::move(prefix);
  config.mode = mode;
  return config;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const RouteTable table{{route("public", "/", RouteMode::http), route("api", "/api", RouteMode::http),
                                 route("code", "/1c", RouteMode::legacy)}};
  const std::string_view target = hserver::fuzz::as_text(data, size);
  const auto normalized = hserver::service::normalize_target(target);
  const std::string_view path = target.substr(0, target.find('?'));
  if (normalized) {
    check_normal(target, *normalized);
    FUZZ_CHECK(!contains_case_insensitive(path, "%2f") && !contains_case_insensitive(path, "%5c") &&
               path.find("%00") == std::string_view::npos && path.find('\\') == std::string_view::npos);
  } else {
    FUZZ_CHECK(!normalized.error().empty() && normalized.error().find('\n') == std::string::npos);
  }

  const auto choice = table.resolve(target);
  if (!choice) return 0;
  if (choice->route == nullptr || choice->route->mode == RouteMode::http) {
    FUZZ_CHECK(normalized.has_value() && choice->target == *normalized);
    FUZZ_CHECK(table.match(choice->target) == choice->route);
  } else {
    FUZZ_CHECK(choice->target == target);
    FUZZ_CHECK(table.match(target) == choice->route);
    if (normalized) FUZZ_CHECK(table.match(*normalized) == choice->route);
  }
  return 0;
}
