#pragma once
/// @brief VARIANT <-> method-table Value, and BSTR <-> UTF-16/UTF-8, for the COM binding.
///
/// 1C passes Строка as VT_BSTR (UTF-16), Число as VT_I4/VT_R8 (VT_DECIMAL/VT_CY for some values),
/// Булево as VT_BOOL, Неопределено as VT_EMPTY, ДвоичныеДанные as a SAFEARRAY of VT_UI1, and may pass a
/// parameter by reference (VT_BYREF|VT_VARIANT).

#include <string>
#include <string_view>

#include <oaidl.h>

#include "hserver/addin/method_table.hpp"
#include "hserver/common/expected.hpp"

namespace hserver::addin::com {

/// @brief The characters of a BSTR (null is the empty string, as in OLE).
std::u16string bstr_to_u16(BSTR text);

/// @brief A new BSTR holding `text`; null when out of memory. The caller (or 1C) frees it.
BSTR u16_to_bstr(std::u16string_view text) noexcept;

/// @brief UTF-8 to UTF-16 with every invalid byte replaced by U+FFFD (event data from a URL may hold any
/// bytes; refusing the event would leave the request unanswered).
std::u16string utf8_to_utf16_lossy(std::string_view text);

/// @brief A parameter from 1C as a Value. Unsupported types (dates, objects) are an Error in Russian and
/// English. May throw std::bad_alloc.
Expected<Value, Error> from_variant(const VARIANT& variant);

/// @brief Writes `value` into `out` (which is overwritten without VariantClear: give it an empty or
/// uninitialised VARIANT). Integers that fit 32 bits become VT_I4, larger ones VT_R8; strings VT_BSTR;
/// Blob a SAFEARRAY of VT_UI1. On failure `out` is VT_EMPTY.
Status<Error> to_variant(const Value& value, VARIANT& out);

}  // namespace hserver::addin::com
