// decode_legacy_target on any target, against a reference decoder written from its documentation
// (service/src/http/legacy_path.hpp): percent-decoding with '+' as a space, the result valid UTF-8, then
// "&&" -> "+" left to right. Properties: both agree on success and on the code; a success is valid UTF-8
// (checked with common's validator and the reference one), never longer than the path, never holds "&&";
// a failure names its reason in one line.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "fuzz_support.hpp"
#include "hserver/common/utf.hpp"
#include "http/legacy_path.hpp"

namespace {

int hex_digit(char c) {
  const std::string_view digits = "0123456789abcdef";
  const char lower = (c >= 'A' && c <= 'F') ? static_cast<char>(c - 'A' + 'a') : c;
  const std::size_t at = digits.find(lower);
  return at == std::string_view::npos ? -1 : static_cast<int>(at);
}

std::optional<std::string> reference_decode(std::string_view target) {
  if (target.empty() || target[0] != '/') return std::nullopt;
  std::string decoded;
  for (std::size_t i = 1; i < target.size();) {
    if (target[i] == '%') {
      if (target.size() - i < 3) return std::nullopt;
      const int high = hex_digit(target[i + 1]);
      const int low = hex_digit(target[i + 2]);
      if (high < 0 || low < 0) return std::nullopt;
      decoded += static_cast<char>(high * 16 + low);
      i += 3;
    } else {
      decoded += target[i] == '+' ? ' ' : target[i];
      i += 1;
    }
  }
  if (!hserver::fuzz::reference_valid_utf8(decoded)) return std::nullopt;
  std::string code;
  std::size_t from = 0;
  for (std::size_t at = decoded.find("&&"); at != std::string::npos; at = decoded.find("&&", from)) {
    code.append(decoded, from, at - from).push_back('+');
    from = at + 2;
  }
  code.append(decoded, from);
  return code;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  // libFuzzer passes an exactly sized heap copy of the input: ASan reports any read past the target.
  const std::string_view target = hserver::fuzz::as_text(data, size);
  const auto code = hserver::service::decode_legacy_target(target);
  const auto expected = reference_decode(target);
  FUZZ_CHECK(code.has_value() == expected.has_value());
  if (code) {
    FUZZ_CHECK(*code == *expected);
    FUZZ_CHECK(hserver::is_valid_utf8(*code));
    FUZZ_CHECK(hserver::fuzz::reference_valid_utf8(*code));
    FUZZ_CHECK(code->size() < target.size());
    FUZZ_CHECK(code->find("&&") == std::string::npos);
  } else {
    FUZZ_CHECK(!code.error().empty());
    FUZZ_CHECK(code.error().find('\n') == std::string::npos || target.find('\n') != std::string::npos);
  }
  return 0;
}
