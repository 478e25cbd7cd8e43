#pragma once
/// @brief What the fuzzers share: a check that aborts (libFuzzer records the input), a reader that takes
/// fields off the front of the input (so seeds can be written by hand or by seed_generator.cpp), and
/// reference implementations written from the specification rather than from the code under test.

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>

/// Aborts with the failed condition: libFuzzer then keeps the input as a crash artifact.
#define FUZZ_CHECK(condition)                                                \
  do {                                                                       \
    if (!(condition)) ::hserver::fuzz::fail(#condition, __FILE__, __LINE__); \
  } while (false)

namespace hserver::fuzz {

[[noreturn]] inline void fail(const char* condition, const char* file, int line) {
  std::fprintf(stderr, "%s:%d: property violated: %s\n", file, line, condition);
  std::abort();
}

/// @brief Reads fields off the front of the fuzz input. Past the end every read gives zeros or an empty
/// view, so a fuzzer never needs to check lengths.
class Input {
 public:
  Input(const std::uint8_t* data, std::size_t size) : data_(data), size_(size) {}

  bool empty() const noexcept { return pos_ == size_; }
  std::size_t remaining() const noexcept { return size_ - pos_; }

  std::uint8_t byte() noexcept { return pos_ < size_ ? data_[pos_++] : 0; }

  /// Little-endian, as the seed generator writes it.
  template <class T>
  T integer() noexcept {
    std::uint64_t value = 0;
    for (std::size_t i = 0; i < sizeof(T); ++i) value |= std::uint64_t{byte()} << (8 * i);
    return static_cast<T>(value);
  }

  /// Up to `n` bytes (fewer at the end of the input).
  std::string_view bytes(std::size_t n) noexcept {
    const std::size_t taken = n < remaining() ? n : remaining();
    const std::string_view out(reinterpret_cast<const char*>(data_ + pos_), taken);
    pos_ += taken;
    return out;
  }

  /// A u16 length, then that many bytes.
  std::string_view text() noexcept { return bytes(integer<std::uint16_t>()); }

  std::string_view rest() noexcept { return bytes(remaining()); }

 private:
  const std::uint8_t* data_;
  std::size_t size_;
  std::size_t pos_ = 0;
};

inline std::string_view as_text(const std::uint8_t* data, std::size_t size) noexcept {
  return {reinterpret_cast<const char*>(data), size};
}

/// @brief Offset of the first byte that does not start a well-formed UTF-8 sequence, or npos. Written from
/// the table of well-formed byte sequences (Unicode 15, table 3-7), not from common/src/utf.cpp.
inline std::size_t reference_invalid_utf8(std::string_view text) noexcept {
  const auto at = [&](std::size_t i) -> unsigned { return static_cast<unsigned char>(text[i]); };
  const auto in = [](unsigned b, unsigned lo, unsigned hi) { return b >= lo && b <= hi; };
  std::size_t i = 0;
  while (i < text.size()) {
    const unsigned b0 = at(i);
    const std::size_t left = text.size() - i;
    if (b0 <= 0x7F) {
      i += 1;
    } else if (in(b0, 0xC2, 0xDF) && left >= 2 && in(at(i + 1), 0x80, 0xBF)) {
      i += 2;
    } else if (left >= 3 &&
               ((b0 == 0xE0 && in(at(i + 1), 0xA0, 0xBF)) ||
                ((in(b0, 0xE1, 0xEC) || in(b0, 0xEE, 0xEF)) && in(at(i + 1), 0x80, 0xBF)) ||
                (b0 == 0xED && in(at(i + 1), 0x80, 0x9F))) &&
               in(at(i + 2), 0x80, 0xBF)) {
      i += 3;
    } else if (left >= 4 &&
               ((b0 == 0xF0 && in(at(i + 1), 0x90, 0xBF)) || (in(b0, 0xF1, 0xF3) && in(at(i + 1), 0x80, 0xBF)) ||
                (b0 == 0xF4 && in(at(i + 1), 0x80, 0x8F))) &&
               in(at(i + 2), 0x80, 0xBF) && in(at(i + 3), 0x80, 0xBF)) {
      i += 4;
    } else {
      return i;
    }
  }
  return std::string_view::npos;
}

inline bool reference_valid_utf8(std::string_view text) noexcept {
  return reference_invalid_utf8(text) == std::string_view::npos;
}

/// @brief Every high surrogate followed by a low one, and no low surrogate alone.
inline bool reference_valid_utf16(std::u16string_view text) noexcept {
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char16_t u = text[i];
    if (u >= 0xDC00 && u <= 0xDFFF) return false;
    if (u >= 0xD800 && u <= 0xDBFF) {
      if (i + 1 == text.size() || text[i + 1] < 0xDC00 || text[i + 1] > 0xDFFF) return false;
      ++i;
    }
  }
  return true;
}

/// @brief RFC 9110 5.6.2 token (what a header name must be).
inline bool reference_is_token(std::string_view name) noexcept {
  if (name.empty()) return false;
  for (const char c : name) {
    const bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    if (!alnum && std::string_view("!#$%&'*+-.^_`|~").find(c) == std::string_view::npos) return false;
  }
  return true;
}

}  // namespace hserver::fuzz
