#include "http/legacy_path.hpp"

#include <fmt/format.h>

#include "hserver/common/utf.hpp"
#include "http/percent_encoding.hpp"

namespace hserver::service {
namespace {

// Shows the offending escape in the error without echoing a long tail of the code.
std::string_view escape_excerpt(std::string_view target, std::size_t at) {
  return target.substr(at, 3);
}

}  // namespace

Expected<std::string, std::string> decode_legacy_target(std::string_view target) {
  if (target.empty() || target.front() != '/') {
    return Unexpected{std::string{"the request target must start with '/'"}};
  }

  std::string decoded;
  decoded.reserve(target.size());
  for (std::size_t i = 1; i < target.size(); ++i) {
    const char c = target[i];
    if (c == '+') {
      decoded.push_back(' ');
    } else if (c != '%') {
      decoded.push_back(c);
    } else if (i + 2 >= target.size()) {
      return Unexpected{
          fmt::format("truncated percent-encoding \"{}\" at offset {} of the path", escape_excerpt(target, i), i)};
    } else {
      const int high = hex_value(target[i + 1]);
      const int low = hex_value(target[i + 2]);
      if (high < 0 || low < 0) {
        return Unexpected{
            fmt::format("invalid percent-encoding \"{}\" at offset {} of the path", escape_excerpt(target, i), i)};
      }
      decoded.push_back(static_cast<char>(high * 16 + low));
      i += 2;
    }
  }

  if (const std::size_t bad = find_invalid_utf8(decoded); bad != std::string_view::npos) {
    return Unexpected{fmt::format("the decoded code is not valid UTF-8 (byte {} of the decoded code)", bad)};
  }

  // "&&" -> "+", left to right without overlap, as String.Replace in the original.
  std::string code;
  code.reserve(decoded.size());
  for (std::size_t i = 0; i < decoded.size(); ++i) {
    if (decoded[i] == '&' && i + 1 < decoded.size() && decoded[i + 1] == '&') {
      code.push_back('+');
      ++i;
    } else {
      code.push_back(decoded[i]);
    }
  }
  return code;
}

}  // namespace hserver::service
