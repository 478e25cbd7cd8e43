// The Native API binding's conversions (addin/native/include/hserver/addin/native/variant_convert.hpp):
// a tVariant as 1C could pass it, built from the fuzz bytes (type tag, then the value; strings and blobs
// of fuzzed length in exactly sized heap blocks, or a null pointer), through from_variant, then the Value
// back through to_variant with a memory manager standing in for 1C's (it may refuse to allocate).
// Properties: from_variant gives what its documentation says for each type (computed here from the raw
// bytes) and an error for the rest; a Value goes back to a tVariant that reads as the same Value (integers
// beyond 32 bits as the nearest double); on error `out` is EMPTY and nothing is allocated; every block
// handed to 1C is one it can free, and none leaks. utf8_to_utf16_lossy always gives valid UTF-16, equal to
// the strict conversion on valid input.
//
// Input: u16 vt, a flags byte (bit 0 null string pointer, bit 1 refuse allocations), then the value: for
// PWSTR/PSTR/BLOB a u16 length and the units/bytes, otherwise 8 raw bytes of the union.

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <map>
#include <memory>
#include <string>
#include <variant>

#include "fuzz_support.hpp"
#include "hserver/addin/method_table.hpp"
#include "hserver/addin/native/variant_convert.hpp"
#include "hserver/common/utf.hpp"

namespace {

using namespace hserver;
using namespace hserver::addin;
using namespace hserver::addin::native;

/// 1C's allocator: every block exactly sized on the heap (ASan checks the writes), every one accounted for.
class Memory final : public IMemoryManager {
 public:
  ~Memory() {
    for (auto& [block, bytes] : live_) std::free(block);
  }
  bool ADDIN_API AllocMemory(void** block, unsigned long bytes) override {
    if (refuse_) return false;
    *block = std::malloc(bytes == 0 ? 1 : bytes);
    live_[*block] = bytes;
    return true;
  }
  void ADDIN_API FreeMemory(void** block) override {
    FUZZ_CHECK(live_.erase(*block) == 1);
    std::free(*block);
    *block = nullptr;
  }
  void refuse(bool yes) { refuse_ = yes; }
  std::size_t live() const { return live_.size(); }
  unsigned long size_of(void* block) const {
    const auto it = live_.find(block);
    FUZZ_CHECK(it != live_.end());
    return it->second;
  }

 private:
  std::map<void*, unsigned long> live_;
  bool refuse_ = false;
};

tVariant blank() {
  tVariant v;
  std::memset(static_cast<void*>(&v), 0, sizeof(v));
  return v;
}

bool same_double(double a, double b) {
  return (std::isnan(a) && std::isnan(b)) || a == b;
}

template <class T>
T from_raw(const unsigned char* raw) {
  T value;
  std::memcpy(&value, raw, sizeof value);
  return value;
}

/// What from_variant must give for a scalar type, from the bytes that went into the union.
std::optional<Value> expected_scalar(TYPEVAR vt, const unsigned char* raw, bool flag) {
  switch (vt) {
    case VTYPE_EMPTY:
    case VTYPE_NULL:
      return Value{};
    case VTYPE_BOOL:
      return Value{flag};
    case VTYPE_I1:
      return Value{std::int64_t{from_raw<std::int8_t>(raw)}};
    case VTYPE_I2:
      return Value{std::int64_t{from_raw<std::int16_t>(raw)}};
    case VTYPE_I4:
    case VTYPE_ERROR:
      return Value{std::int64_t{from_raw<std::int32_t>(raw)}};
    case VTYPE_INT:
      return Value{std::int64_t{from_raw<int>(raw)}};
    case VTYPE_HRESULT:
      return Value{static_cast<std::int64_t>(from_raw<long>(raw))};
    case VTYPE_I8:
      return Value{from_raw<std::int64_t>(raw)};
    case VTYPE_UI1:
      return Value{std::int64_t{from_raw<std::uint8_t>(raw)}};
    case VTYPE_UI2:
      return Value{std::int64_t{from_raw<std::uint16_t>(raw)}};
    case VTYPE_UI4:
      return Value{std::int64_t{from_raw<std::uint32_t>(raw)}};
    case VTYPE_UINT:
      return Value{std::int64_t{from_raw<unsigned>(raw)}};
    case VTYPE_UI8: {
      const auto u = from_raw<std::uint64_t>(raw);
      if (u > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
        return Value{static_cast<double>(u)};
      return Value{static_cast<std::int64_t>(u)};
    }
    case VTYPE_R4:
      return Value{double{from_raw<float>(raw)}};
    case VTYPE_R8:
      return Value{from_raw<double>(raw)};
    default:
      return std::nullopt;  // dates, interfaces, CLSIDs, unknown tags: an error
  }
}

bool same_value(const Value& a, const Value& b) {
  if (a.index() != b.index()) return false;
  if (const auto* d = std::get_if<double>(&a)) return same_double(*d, std::get<double>(b));
  return a == b;
}

/// to_variant, checked, then read back with from_variant; frees what was allocated.
void check_to_variant(const Value& value, Memory& memory, bool refuse) {
  memory.refuse(refuse);
  tVariant out = blank();
  out.vt = VTYPE_I4;  // whatever was there before must not matter
  out.lVal = 12345;
  const auto status = to_variant(value, out, &memory);
  memory.refuse(false);

  const bool needs_memory = std::holds_alternative<std::string>(value) || std::holds_alternative<Blob>(value);
  const auto* text = std::get_if<std::string>(&value);
  const bool representable = text == nullptr || is_valid_utf8(*text);
  FUZZ_CHECK(status.has_value() == (representable && !(needs_memory && refuse)));
  if (!status) {
    FUZZ_CHECK(!status.error().empty());
    FUZZ_CHECK(out.vt == VTYPE_EMPTY);
    FUZZ_CHECK(memory.live() == 0);
    return;
  }
  FUZZ_CHECK(memory.live() == (needs_memory ? 1u : 0u));

  auto back = from_variant(out);
  FUZZ_CHECK(back.has_value());
  if (const auto* i = std::get_if<std::int64_t>(&value)) {
    const bool fits = *i >= std::numeric_limits<std::int32_t>::min() && *i <= std::numeric_limits<std::int32_t>::max();
    FUZZ_CHECK(out.vt == (fits ? VTYPE_I4 : VTYPE_R8));
    FUZZ_CHECK(same_value(*back, fits ? value : Value{static_cast<double>(*i)}));
  } else {
    FUZZ_CHECK(same_value(*back, value));
  }
  if (out.vt == VTYPE_PWSTR) {
    FUZZ_CHECK(out.wstr.pwstrVal != nullptr);
    FUZZ_CHECK(out.wstr.pwstrVal[out.wstr.wstrLen] == 0);  // zero-terminated, inside the block
    FUZZ_CHECK(memory.size_of(out.wstr.pwstrVal) == (out.wstr.wstrLen + 1) * sizeof(WCHAR_T));
    void* block = out.wstr.pwstrVal;
    memory.FreeMemory(&block);
  } else if (out.vt == VTYPE_BLOB) {
    FUZZ_CHECK(out.str.pstrVal != nullptr);
    void* block = out.str.pstrVal;
    memory.FreeMemory(&block);
  }
  FUZZ_CHECK(memory.live() == 0);
}

void check_lossy(std::string_view bytes) {
  const std::u16string lossy = utf8_to_utf16_lossy(bytes);
  FUZZ_CHECK(fuzz::reference_valid_utf16(lossy));
  if (auto strict = utf8_to_utf16(bytes)) {
    FUZZ_CHECK(lossy == *strict);
  } else {
    FUZZ_CHECK(lossy.find(u'\uFFFD') != std::u16string::npos);
  }
  // The copies for 1C: WCHAR_T and back, and a block of 1C's memory, zero-terminated.
  const std::u16string units(lossy);
  const auto wide = to_wchar_string(units);
  FUZZ_CHECK(to_u16(wide.c_str()) == units.substr(0, units.find(u'\0')));
  FUZZ_CHECK(to_u16(wide.data(), wide.size()) == units);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  fuzz::Input in(data, size);
  const auto vt = in.integer<TYPEVAR>();
  const std::uint8_t flags = in.byte();
  const bool null_pointer = (flags & 1) != 0;
  const bool refuse = (flags & 2) != 0;

  tVariant variant = blank();
  variant.vt = vt;
  std::optional<Value> expected;
  bool expect_error = (vt & (VTYPE_VECTOR | VTYPE_ARRAY | VTYPE_BYREF)) != 0;
  // Exactly sized blocks, so that a read past the given length is an ASan report.
  std::unique_ptr<WCHAR_T[]> units;
  std::unique_ptr<char[]> bytes;
  std::u16string wide_text;
  std::string byte_text;

  if (vt == VTYPE_PWSTR) {
    const std::size_t length = std::min<std::size_t>(in.integer<std::uint16_t>(), in.remaining() / 2);
    units.reset(new WCHAR_T[length + 1]);
    for (std::size_t i = 0; i < length; ++i) {
      units[i] = static_cast<WCHAR_T>(in.integer<std::uint16_t>());
      wide_text.push_back(static_cast<char16_t>(units[i]));
    }
    units[length] = 0;
    variant.wstr.pwstrVal = null_pointer ? nullptr : units.get();
    variant.wstr.wstrLen = static_cast<std::uint32_t>(length);
    if (null_pointer) wide_text.clear();
    auto utf8 = utf16_to_utf8(wide_text);
    if (utf8) expected = Value{std::move(*utf8)};
    expect_error = expect_error || !utf8;
  } else if (vt == VTYPE_PSTR || vt == VTYPE_BLOB) {
    const std::string_view given = in.text();
    bytes.reset(new char[given.size() + 1]);
    std::memcpy(bytes.get(), given.data(), given.size());
    variant.str.pstrVal = null_pointer ? nullptr : bytes.get();
    variant.str.strLen = static_cast<std::uint32_t>(given.size());
    byte_text = null_pointer ? std::string() : std::string(given);
    if (vt == VTYPE_BLOB) {
      expected = Value{Blob{byte_text}};
    } else if (is_valid_utf8(byte_text)) {
      expected = Value{byte_text};
    } else {
      expect_error = true;
    }
  } else {
    unsigned char raw[8] = {};
    const std::string_view given = in.bytes(sizeof raw);
    std::memcpy(raw, given.data(), given.size());
    std::memcpy(static_cast<void*>(&variant), raw, sizeof raw);
    if (vt == VTYPE_BOOL) variant.bVal = (raw[0] & 1) != 0;  // 1C passes a real bool
    expected = expected_scalar(vt, raw, (raw[0] & 1) != 0);
    expect_error = expect_error || !expected;
  }

  const auto value = from_variant(variant);
  FUZZ_CHECK(value.has_value() == !expect_error);
  Memory memory;
  if (value) {
    FUZZ_CHECK(same_value(*value, *expected));
    check_to_variant(*value, memory, refuse);
  } else {
    FUZZ_CHECK(!value.error().empty());
  }

  // Any bytes as a string result: refused unless valid UTF-8. And the lossy conversion of event data.
  const std::string_view rest = in.rest();
  check_to_variant(Value{std::string(rest)}, memory, refuse);
  check_to_variant(Value{Blob{std::string(rest)}}, memory, refuse);
  check_lossy(rest);
  return 0;
}
