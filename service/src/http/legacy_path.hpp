#pragma once
/// @brief Decoding of the legacy 1CHServer wire: the 1C code to run is the path of a GET request.

#include <string>
#include <string_view>

#include "hserver/common/expected.hpp"

namespace hserver::service {

/// @brief Turns a raw request target into the 1C code it carries, as the original 1CHServer did, with
/// the differences documented below. Pure function; thread-safe.
///
/// The code is everything after the leading '/': further '/' and '?' are part of the code (1C code may
/// contain both, percent-encoded or not, and the original sent the whole code as the path). Steps:
///  1. percent-decoding, '+' meaning a space (HTML-form style, as .NET's UrlDecode in the original);
///  2. the result must be valid UTF-8;
///  3. "&&" becomes "+" (clients escaped a literal '+' that way, because '+' already means a space).
/// Unlike the original, malformed input is refused rather than passed on half-decoded: a '%' not
/// followed by two hex digits (including .NET's "%uXXXX" form) and invalid UTF-8 are errors.
///
/// @return the code, or a one-line reason naming the offending position (a 0-based offset into
/// `target` for percent-encoding, into the decoded bytes for UTF-8).
Expected<std::string, std::string> decode_legacy_target(std::string_view target);

}  // namespace hserver::service
