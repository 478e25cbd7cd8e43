#include "hserver/comhost/value.hpp"

#include <cstring>

#include <windows.h>

namespace hserver::comhost {

std::wstring widen(const std::string& text) {
  if (text.empty()) return {};
  const int length = MultiByteToWideChar(CP_UTF8, 0, text.data(), static_cast<int>(text.size()), nullptr, 0);
  std::wstring out(static_cast<std::size_t>(length), L'\0');
  MultiByteToWideChar(CP_UTF8, 0, text.data(), static_cast<int>(text.size()), out.data(), length);
  return out;
}

std::string narrow(const wchar_t* text, std::size_t length) {
  if (text == nullptr || length == 0) return {};
  const int bytes = WideCharToMultiByte(CP_UTF8, 0, text, static_cast<int>(length), nullptr, 0, nullptr, nullptr);
  std::string out(static_cast<std::size_t>(bytes), '\0');
  WideCharToMultiByte(CP_UTF8, 0, text, static_cast<int>(length), out.data(), bytes, nullptr, nullptr);
  return out;
}

std::string narrow(BSTR text) {
  return narrow(text, text != nullptr ? SysStringLen(text) : 0);
}

VARIANT to_variant(const Value& value) {
  VARIANT out;
  VariantInit(&out);
  if (const auto* b = std::get_if<bool>(&value)) {
    out.vt = VT_BOOL;
    out.boolVal = *b ? VARIANT_TRUE : VARIANT_FALSE;
  } else if (const auto* i = std::get_if<std::int32_t>(&value)) {
    out.vt = VT_I4;
    out.lVal = *i;
  } else if (const auto* d = std::get_if<double>(&value)) {
    out.vt = VT_R8;
    out.dblVal = *d;
  } else if (const auto* s = std::get_if<std::string>(&value)) {
    const std::wstring wide = widen(*s);
    out.vt = VT_BSTR;
    out.bstrVal = SysAllocStringLen(wide.data(), static_cast<UINT>(wide.size()));
  } else if (const auto* bytes = std::get_if<Bytes>(&value)) {
    SAFEARRAY* array = SafeArrayCreateVector(VT_UI1, 0, static_cast<ULONG>(bytes->data.size()));
    void* data = nullptr;
    if (array != nullptr && !bytes->data.empty() && SUCCEEDED(SafeArrayAccessData(array, &data))) {
      std::memcpy(data, bytes->data.data(), bytes->data.size());
      SafeArrayUnaccessData(array);
    }
    out.vt = VT_ARRAY | VT_UI1;
    out.parray = array;
  }
  return out;
}

Value from_variant(const VARIANT& variant, std::string& error) {
  switch (variant.vt) {
    case VT_EMPTY:
      return Value{};
    case VT_BOOL:
      return Value{variant.boolVal != VARIANT_FALSE};
    case VT_I4:
      return Value{static_cast<std::int32_t>(variant.lVal)};
    case VT_R8:
      return Value{variant.dblVal};
    case VT_BSTR:
      return Value{narrow(variant.bstrVal)};
    case VT_ARRAY | VT_UI1: {
      Bytes bytes;
      LONG lower = 0;
      LONG upper = -1;
      SafeArrayGetLBound(variant.parray, 1, &lower);
      SafeArrayGetUBound(variant.parray, 1, &upper);
      void* data = nullptr;
      if (upper >= lower && SUCCEEDED(SafeArrayAccessData(variant.parray, &data))) {
        bytes.data.assign(static_cast<const char*>(data), static_cast<std::size_t>(upper - lower + 1));
        SafeArrayUnaccessData(variant.parray);
      }
      return Value{std::move(bytes)};
    }
    default:
      error = "the add-in returned an unexpected VARIANT type " + std::to_string(variant.vt);
      return Value{};
  }
}

std::string describe(const Value& value) {
  if (std::holds_alternative<std::monostate>(value)) return "Неопределено";
  if (const auto* b = std::get_if<bool>(&value)) return *b ? "Истина" : "Ложь";
  if (const auto* i = std::get_if<std::int32_t>(&value)) return std::to_string(*i);
  if (const auto* d = std::get_if<double>(&value)) return std::to_string(*d);
  if (const auto* s = std::get_if<std::string>(&value)) return "\"" + *s + "\"";
  return "<" + std::to_string(std::get<Bytes>(value).data.size()) + " bytes>";
}

}  // namespace hserver::comhost
