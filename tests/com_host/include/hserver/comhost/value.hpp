#pragma once
/// @brief The host's own values and text helpers (UTF-8 in the host, BSTR/VARIANT towards the add-in).

#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include <oaidl.h>

namespace hserver::comhost {

/// @brief ДвоичныеДанные.
struct Bytes {
  std::string data;
};

/// @brief Неопределено, Булево, Число (integer or not), Строка (UTF-8 here), ДвоичныеДанные.
using Value = std::variant<std::monostate, bool, std::int32_t, double, std::string, Bytes>;

/// @brief UTF-8 <-> UTF-16 through the Windows API (the host does not share the add-in's converter).
std::wstring widen(const std::string& text);
std::string narrow(const wchar_t* text, std::size_t length);
std::string narrow(BSTR text);

/// @brief A VARIANT for a SAFEARRAY parameter (the caller clears it).
VARIANT to_variant(const Value& value);
/// @brief A VARIANT from the add-in as a Value; `error` is set for a type the host does not expect.
Value from_variant(const VARIANT& variant, std::string& error);
/// @brief A readable form for messages.
std::string describe(const Value& value);

}  // namespace hserver::comhost
