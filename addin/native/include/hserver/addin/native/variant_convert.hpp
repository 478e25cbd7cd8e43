#pragma once
/// @brief Conversions between 1C's tVariant / WCHAR_T strings and the binding-neutral Value of the
/// method table. Stateless; thread-safe.

#include <cstddef>
#include <string>
#include <string_view>

#include "hserver/addin/method_table.hpp"
#include "hserver/addin/native/native_api.hpp"
#include "hserver/common/expected.hpp"

namespace hserver::addin::native {

/// @brief Number of units before the terminating zero (0 for a null pointer).
std::size_t wstring_length(const WCHAR_T* text) noexcept;

/// @brief A copy of `length` units as char16_t (WCHAR_T is wchar_t on Windows; copying avoids aliasing).
std::u16string to_u16(const WCHAR_T* text, std::size_t length);
inline std::u16string to_u16(const WCHAR_T* text) {
  return to_u16(text, wstring_length(text));
}

/// @brief A zero-terminated WCHAR_T copy the add-in keeps (for ExternalEvent / AddError arguments).
std::basic_string<WCHAR_T> to_wchar_string(std::u16string_view text);

/// @brief UTF-8 to UTF-16 where invalid bytes become U+FFFD. Only for texts that must reach 1C anyway
/// (event data decoded from a URL by the service), where refusing would stall the request.
std::u16string utf8_to_utf16_lossy(std::string_view text);

/// @brief A zero-terminated copy of `text` allocated with 1C's memory manager (1C frees it), or null
/// when `memory` is null or the allocation fails.
WCHAR_T* allocate_wstring(IMemoryManager* memory, std::u16string_view text) noexcept;

/// @brief Reads an argument 1C passed. EMPTY/NULL -> monostate, BOOL -> bool, every integer type ->
/// int64 (UI8 above INT64_MAX -> double), R4/R8 -> double, PWSTR -> UTF-8 string, PSTR -> string when
/// valid UTF-8, BLOB -> Blob. Dates, interfaces, arrays and by-reference values are an Error.
Expected<Value, Error> from_variant(const tVariant& variant);

/// @brief Writes `value` into `out` for 1C: monostate -> EMPTY, bool -> BOOL, an integer -> I4 when it
/// fits 32 bits and R8 otherwise (1C numbers), double -> R8, string -> PWSTR, Blob -> BLOB. Strings and
/// blobs are allocated with `memory` (1C frees them). On error `out` is left EMPTY and nothing leaks.
Status<Error> to_variant(const Value& value, tVariant& out, IMemoryManager* memory);

}  // namespace hserver::addin::native
