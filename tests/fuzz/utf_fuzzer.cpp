// common/utf.hpp against reference checks written from the Unicode tables (fuzz_support.hpp). The input
// is read twice: as UTF-8 bytes, and as little-endian UTF-16 units.
// Properties: find_invalid_utf8 finds the same first bad offset as the reference; utf8_to_utf16 succeeds
// exactly on valid UTF-8 and utf16_to_utf8 exactly on valid UTF-16; what they produce is valid; converting
// there and back gives the input again.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_support.hpp"
#include "hserver/common/utf.hpp"

namespace {

using namespace hserver;

void check_utf8(std::string_view text) {
  const std::size_t bad = find_invalid_utf8(text);
  FUZZ_CHECK(bad == fuzz::reference_invalid_utf8(text));
  FUZZ_CHECK(bad == std::string_view::npos || bad < text.size());
  const bool valid = bad == std::string_view::npos;
  FUZZ_CHECK(is_valid_utf8(text) == valid);

  const auto utf16 = utf8_to_utf16(text);
  FUZZ_CHECK(utf16.has_value() == valid);
  if (!utf16) {
    FUZZ_CHECK(utf16.error() == UtfError::invalid_utf8);
    // Everything before the first bad byte still converts.
    FUZZ_CHECK(utf8_to_utf16(text.substr(0, bad)).has_value());
    return;
  }
  FUZZ_CHECK(fuzz::reference_valid_utf16(*utf16));
  FUZZ_CHECK(utf16->size() <= text.size());
  const auto back = utf16_to_utf8(*utf16);
  FUZZ_CHECK(back.has_value());
  FUZZ_CHECK(*back == text);
}

void check_utf16(std::u16string_view text) {
  const bool valid = fuzz::reference_valid_utf16(text);
  const auto utf8 = utf16_to_utf8(text);
  FUZZ_CHECK(utf8.has_value() == valid);
  if (!utf8) {
    FUZZ_CHECK(utf8.error() == UtfError::invalid_utf16);
    return;
  }
  FUZZ_CHECK(fuzz::reference_valid_utf8(*utf8));
  FUZZ_CHECK(utf8->size() <= 3 * text.size());
  const auto back = utf8_to_utf16(*utf8);
  FUZZ_CHECK(back.has_value());
  FUZZ_CHECK(*back == text);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  check_utf8(fuzz::as_text(data, size));
  std::u16string units(size / 2, u'\0');
  for (std::size_t i = 0; i < units.size(); ++i) {
    units[i] = static_cast<char16_t>(data[2 * i] | (data[2 * i + 1] << 8));
  }
  check_utf16(units);
  return 0;
}
