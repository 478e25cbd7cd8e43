#include "hserver/addin/com/variant_convert.hpp"

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>

#include "hserver/common/utf.hpp"

namespace hserver::addin::com {
namespace {

Error unsupported(VARTYPE vt) {
  const std::string what = (vt & VT_TYPEMASK) == VT_DATE       ? "Дата / Date"
                           : (vt & VT_TYPEMASK) == VT_DISPATCH ? "объект / object"
                                                               : "?";
  return "неподдерживаемый тип значения " + what + " (vt " + std::to_string(vt) + ") / unsupported value type " + what +
         " (vt " + std::to_string(vt) + ")";
}

/// MinGW declares the source VARIANT of VariantCopyInd/VariantChangeType non-const (the Windows SDK
/// declares it const); OLE only reads it.
VARIANT* source(const VARIANT& variant) {
  return const_cast<VARIANT*>(&variant);
}

const Error kNoMemory = "недостаточно памяти для результата / out of memory for the result";

/// A SAFEARRAY of bytes as a Blob: one dimension, any lower bound.
Expected<Value, Error> blob_from_array(SAFEARRAY* array) {
  Blob blob;
  if (array == nullptr) return Value{std::move(blob)};
  if (SafeArrayGetDim(array) != 1) {
    return Unexpected{Error("двоичные данные должны быть одномерным массивом / binary data must be a 1-D array")};
  }
  LONG lower = 0;
  LONG upper = -1;
  if (FAILED(SafeArrayGetLBound(array, 1, &lower)) || FAILED(SafeArrayGetUBound(array, 1, &upper))) {
    return Unexpected{Error("неверный массив двоичных данных / invalid binary data array")};
  }
  if (upper < lower) return Value{std::move(blob)};
  const auto count = static_cast<std::size_t>(static_cast<std::int64_t>(upper) - lower + 1);
  void* data = nullptr;
  if (FAILED(SafeArrayAccessData(array, &data))) {
    return Unexpected{Error("неверный массив двоичных данных / invalid binary data array")};
  }
  blob.bytes.assign(static_cast<const char*>(data), count);
  SafeArrayUnaccessData(array);
  return Value{std::move(blob)};
}

}  // namespace

std::u16string bstr_to_u16(BSTR text) {
  if (text == nullptr) return {};
  const UINT length = SysStringLen(text);
  std::u16string out(length, u'\0');
  for (UINT i = 0; i < length; ++i) out[i] = static_cast<char16_t>(text[i]);
  return out;
}

BSTR u16_to_bstr(std::u16string_view text) noexcept {
  if (text.size() > std::numeric_limits<UINT>::max() / 2) return nullptr;
  // wchar_t is 2 bytes on Windows: the units are copied as they are.
  static_assert(sizeof(wchar_t) == sizeof(char16_t));
  return SysAllocStringLen(reinterpret_cast<const OLECHAR*>(text.data()), static_cast<UINT>(text.size()));
}

std::u16string utf8_to_utf16_lossy(std::string_view text) {
  std::u16string out;
  while (!text.empty()) {
    const std::size_t bad = find_invalid_utf8(text);
    if (auto converted = utf8_to_utf16(text.substr(0, bad))) out += *converted;
    if (bad == std::string_view::npos) break;
    out.push_back(u'\uFFFD');
    text.remove_prefix(bad + 1);
  }
  return out;
}

Expected<Value, Error> from_variant(const VARIANT& variant) {
  const VARTYPE vt = variant.vt;
  if (vt == (VT_BYREF | VT_VARIANT)) {
    if (variant.pvarVal == nullptr) return Value{};
    return from_variant(*variant.pvarVal);
  }
  if (vt == (VT_ARRAY | VT_UI1)) return blob_from_array(variant.parray);
  if (vt == (VT_BYREF | VT_ARRAY | VT_UI1)) return blob_from_array(variant.pparray ? *variant.pparray : nullptr);
  if ((vt & VT_BYREF) != 0) {
    // Any other by-reference scalar: let OLE dereference and convert it, then read the copy.
    VARIANT copy;
    VariantInit(&copy);
    if (FAILED(VariantCopyInd(&copy, source(variant)))) return Unexpected{unsupported(vt)};
    auto value = (copy.vt & VT_BYREF) != 0 ? Expected<Value, Error>(Unexpected{unsupported(vt)}) : from_variant(copy);
    VariantClear(&copy);
    return value;
  }
  switch (vt) {
    case VT_EMPTY:
    case VT_NULL:
      return Value{};
    case VT_BOOL:
      return Value{variant.boolVal != VARIANT_FALSE};
    case VT_I1:
      return Value{std::int64_t{variant.cVal}};
    case VT_I2:
      return Value{std::int64_t{variant.iVal}};
    case VT_I4:
      return Value{std::int64_t{variant.lVal}};
    case VT_INT:
      return Value{std::int64_t{variant.intVal}};
    case VT_I8:
      return Value{std::int64_t{variant.llVal}};
    case VT_UI1:
      return Value{std::int64_t{variant.bVal}};
    case VT_UI2:
      return Value{std::int64_t{variant.uiVal}};
    case VT_UI4:
      return Value{std::int64_t{variant.ulVal}};
    case VT_UINT:
      return Value{std::int64_t{variant.uintVal}};
    case VT_UI8:
      if (variant.ullVal > static_cast<ULONGLONG>(std::numeric_limits<std::int64_t>::max())) {
        return Value{static_cast<double>(variant.ullVal)};
      }
      return Value{static_cast<std::int64_t>(variant.ullVal)};
    case VT_R4:
      return Value{double{variant.fltVal}};
    case VT_R8:
      return Value{variant.dblVal};
    case VT_DECIMAL:
    case VT_CY: {
      // 1C numbers beyond 32 bits may arrive as DECIMAL. An integral one is read through VT_I8 so that a
      // large request id keeps every digit; a fractional one becomes a double.
      VARIANT number;
      VariantInit(&number);
      if (FAILED(VariantChangeType(&number, source(variant), 0, VT_R8))) return Unexpected{unsupported(vt)};
      const double approximate = number.dblVal;
      if (std::abs(approximate) < 9.0e18 && approximate == std::trunc(approximate) &&
          SUCCEEDED(VariantChangeType(&number, source(variant), 0, VT_I8))) {
        return Value{static_cast<std::int64_t>(number.llVal)};
      }
      return Value{approximate};
    }
    case VT_BSTR: {
      auto utf8 = utf16_to_utf8(bstr_to_u16(variant.bstrVal));
      if (!utf8) return Unexpected{Error("строка содержит неверный UTF-16 / the string is not valid UTF-16")};
      return Value{std::move(*utf8)};
    }
    default:
      return Unexpected{unsupported(vt)};
  }
}

Status<Error> to_variant(const Value& value, VARIANT& out) {
  VariantInit(&out);
  if (std::holds_alternative<std::monostate>(value)) return {};
  if (const auto* b = std::get_if<bool>(&value)) {
    out.vt = VT_BOOL;
    out.boolVal = *b ? VARIANT_TRUE : VARIANT_FALSE;
    return {};
  }
  if (const auto* i = std::get_if<std::int64_t>(&value)) {
    if (*i >= std::numeric_limits<std::int32_t>::min() && *i <= std::numeric_limits<std::int32_t>::max()) {
      out.vt = VT_I4;
      out.lVal = static_cast<LONG>(*i);
    } else {
      out.vt = VT_R8;
      out.dblVal = static_cast<double>(*i);
    }
    return {};
  }
  if (const auto* d = std::get_if<double>(&value)) {
    out.vt = VT_R8;
    out.dblVal = *d;
    return {};
  }
  if (const auto* s = std::get_if<std::string>(&value)) {
    const auto utf16 = utf8_to_utf16(*s);
    if (!utf16) return Unexpected{Error("результат не в UTF-8 / the result is not valid UTF-8")};
    BSTR text = u16_to_bstr(*utf16);
    if (text == nullptr) return Unexpected{kNoMemory};
    out.vt = VT_BSTR;
    out.bstrVal = text;
    return {};
  }
  const auto& blob = std::get<Blob>(value);
  if (blob.bytes.size() > std::numeric_limits<ULONG>::max()) return Unexpected{kNoMemory};
  SAFEARRAY* array = SafeArrayCreateVector(VT_UI1, 0, static_cast<ULONG>(blob.bytes.size()));
  if (array == nullptr) return Unexpected{kNoMemory};
  if (!blob.bytes.empty()) {
    void* data = nullptr;
    if (FAILED(SafeArrayAccessData(array, &data))) {
      SafeArrayDestroy(array);
      return Unexpected{kNoMemory};
    }
    std::memcpy(data, blob.bytes.data(), blob.bytes.size());
    SafeArrayUnaccessData(array);
  }
  out.vt = VT_ARRAY | VT_UI1;
  out.parray = array;
  return {};
}

}  // namespace hserver::addin::com
