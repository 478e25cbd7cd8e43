#include "hserver/addin/native/variant_convert.hpp"

#include <cstdint>
#include <cstring>
#include <limits>

#include "hserver/common/utf.hpp"

namespace hserver::addin::native {
namespace {

const char* type_name(TYPEVAR vt) {
  switch (vt & VTYPE_TYPEMASK) {
    case VTYPE_DATE:
    case VTYPE_TM:
      return "Дата / Date";
    case VTYPE_INTERFACE:
      return "объект / object";
    case VTYPE_CLSID:
      return "CLSID";
    case VTYPE_VARIANT:
      return "VARIANT";
    default:
      return "?";
  }
}

Error unsupported(TYPEVAR vt) {
  return "неподдерживаемый тип значения " + std::string(type_name(vt)) + " (vt " + std::to_string(vt) +
         ") / unsupported value type " + std::string(type_name(vt)) + " (vt " + std::to_string(vt) + ")";
}

/// AllocMemory takes `unsigned long` (32 bits on Windows): refuse sizes it cannot express.
void* allocate(IMemoryManager* memory, std::size_t bytes) noexcept {
  if (memory == nullptr || bytes > std::numeric_limits<unsigned long>::max()) return nullptr;
  void* block = nullptr;
  if (!memory->AllocMemory(&block, static_cast<unsigned long>(bytes))) return nullptr;
  return block;
}

void set_empty(tVariant& out) noexcept {
  std::memset(static_cast<void*>(&out), 0, sizeof(out));
  out.vt = VTYPE_EMPTY;
}

}  // namespace

std::size_t wstring_length(const WCHAR_T* text) noexcept {
  std::size_t length = 0;
  if (text != nullptr) {
    while (text[length] != 0) ++length;
  }
  return length;
}

std::u16string to_u16(const WCHAR_T* text, std::size_t length) {
  std::u16string out;
  if (text == nullptr) return out;
  out.resize(length);
  for (std::size_t i = 0; i < length; ++i) out[i] = static_cast<char16_t>(text[i]);
  return out;
}

std::basic_string<WCHAR_T> to_wchar_string(std::u16string_view text) {
  std::basic_string<WCHAR_T> out;
  out.resize(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) out[i] = static_cast<WCHAR_T>(text[i]);
  return out;
}

std::u16string utf8_to_utf16_lossy(std::string_view text) {
  std::u16string out;
  while (!text.empty()) {
    const std::size_t bad = find_invalid_utf8(text);
    const std::string_view valid = text.substr(0, bad);
    if (auto converted = utf8_to_utf16(valid)) out += *converted;
    if (bad == std::string_view::npos) break;
    out.push_back(u'\uFFFD');
    text.remove_prefix(bad + 1);
  }
  return out;
}

WCHAR_T* allocate_wstring(IMemoryManager* memory, std::u16string_view text) noexcept {
  auto* block = static_cast<WCHAR_T*>(allocate(memory, (text.size() + 1) * sizeof(WCHAR_T)));
  if (block == nullptr) return nullptr;
  for (std::size_t i = 0; i < text.size(); ++i) block[i] = static_cast<WCHAR_T>(text[i]);
  block[text.size()] = 0;
  return block;
}

Expected<Value, Error> from_variant(const tVariant& variant) {
  if ((variant.vt & (VTYPE_VECTOR | VTYPE_ARRAY | VTYPE_BYREF)) != 0) return Unexpected{unsupported(variant.vt)};
  switch (variant.vt) {
    case VTYPE_EMPTY:
    case VTYPE_NULL:
      return Value{};
    case VTYPE_BOOL:
      return Value{variant.bVal};
    case VTYPE_I1:
      return Value{std::int64_t{variant.i8Val}};
    case VTYPE_I2:
      return Value{std::int64_t{variant.shortVal}};
    case VTYPE_I4:
      return Value{std::int64_t{variant.lVal}};
    case VTYPE_ERROR:
      return Value{std::int64_t{variant.errCode}};
    case VTYPE_HRESULT:
      return Value{static_cast<std::int64_t>(variant.hRes)};
    case VTYPE_INT:
      return Value{std::int64_t{variant.intVal}};
    case VTYPE_I8:
      return Value{std::int64_t{variant.llVal}};
    case VTYPE_UI1:
      return Value{std::int64_t{variant.ui8Val}};
    case VTYPE_UI2:
      return Value{std::int64_t{variant.ushortVal}};
    case VTYPE_UI4:
      return Value{std::int64_t{variant.ulVal}};
    case VTYPE_UINT:
      return Value{std::int64_t{variant.uintVal}};
    case VTYPE_UI8:
      if (variant.ullVal > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
        return Value{static_cast<double>(variant.ullVal)};
      }
      return Value{static_cast<std::int64_t>(variant.ullVal)};
    case VTYPE_R4:
      return Value{double{variant.fltVal}};
    case VTYPE_R8:
      return Value{variant.dblVal};
    case VTYPE_PWSTR: {
      const std::u16string text = to_u16(variant.wstr.pwstrVal, variant.wstr.pwstrVal ? variant.wstr.wstrLen : 0);
      auto utf8 = utf16_to_utf8(text);
      if (!utf8) return Unexpected{Error("строка содержит неверный UTF-16 / the string is not valid UTF-16")};
      return Value{std::move(*utf8)};
    }
    case VTYPE_PSTR: {
      std::string text;
      if (variant.str.pstrVal != nullptr) text.assign(variant.str.pstrVal, variant.str.strLen);
      if (!is_valid_utf8(text)) return Unexpected{Error("строка не в UTF-8 / the string is not UTF-8")};
      return Value{std::move(text)};
    }
    case VTYPE_BLOB: {
      Blob blob;
      if (variant.str.pstrVal != nullptr) blob.bytes.assign(variant.str.pstrVal, variant.str.strLen);
      return Value{std::move(blob)};
    }
    default:
      return Unexpected{unsupported(variant.vt)};
  }
}

Status<Error> to_variant(const Value& value, tVariant& out, IMemoryManager* memory) {
  set_empty(out);
  const Error no_memory = "1С не выделила память для результата / 1C did not allocate memory for the result";

  if (std::holds_alternative<std::monostate>(value)) return {};
  if (const auto* b = std::get_if<bool>(&value)) {
    out.bVal = *b;
    out.vt = VTYPE_BOOL;
    return {};
  }
  if (const auto* i = std::get_if<std::int64_t>(&value)) {
    if (*i >= std::numeric_limits<std::int32_t>::min() && *i <= std::numeric_limits<std::int32_t>::max()) {
      out.lVal = static_cast<std::int32_t>(*i);
      out.vt = VTYPE_I4;
    } else {
      out.dblVal = static_cast<double>(*i);
      out.vt = VTYPE_R8;
    }
    return {};
  }
  if (const auto* d = std::get_if<double>(&value)) {
    out.dblVal = *d;
    out.vt = VTYPE_R8;
    return {};
  }
  if (const auto* s = std::get_if<std::string>(&value)) {
    const auto utf16 = utf8_to_utf16(*s);
    if (!utf16) return Unexpected{Error("результат не в UTF-8 / the result is not valid UTF-8")};
    if (utf16->size() > std::numeric_limits<std::uint32_t>::max()) return Unexpected{no_memory};
    WCHAR_T* block = allocate_wstring(memory, *utf16);
    if (block == nullptr) return Unexpected{no_memory};
    out.wstr.pwstrVal = block;
    out.wstr.wstrLen = static_cast<std::uint32_t>(utf16->size());
    out.vt = VTYPE_PWSTR;
    return {};
  }
  const auto& blob = std::get<Blob>(value);
  if (blob.bytes.size() > std::numeric_limits<std::uint32_t>::max()) return Unexpected{no_memory};
  // At least one byte: an empty ДвоичныеДанные still gets a block 1C can free like any other.
  auto* block = static_cast<char*>(allocate(memory, blob.bytes.empty() ? 1 : blob.bytes.size()));
  if (block == nullptr) return Unexpected{no_memory};
  if (!blob.bytes.empty()) std::memcpy(block, blob.bytes.data(), blob.bytes.size());
  out.str.pstrVal = block;
  out.str.strLen = static_cast<std::uint32_t>(blob.bytes.size());
  out.vt = VTYPE_BLOB;
  return {};
}

}  // namespace hserver::addin::native
