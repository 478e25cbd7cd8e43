#pragma once
/// @brief The one spelling of a request path that routes are matched on and 1C receives: two targets that
/// name the same resource (RFC 3986 6.2.2) cannot be told apart by the route table.

#include <string>
#include <string_view>

#include "hserver/common/expected.hpp"

namespace hserver::service {

/// @brief Normalises an origin-form request target ("/path?query"). In the path:
///  1. percent-encoded unreserved characters (ALPHA DIGIT - . _ ~) are decoded; the other escapes stay,
///     written with upper-case hex digits ("%d0" -> "%D0");
///  2. dot segments are removed (RFC 3986 5.2.4), after decoding, so "%2E%2E" is a ".." too;
///  3. empty segments are dropped ("//api" -> "/api", "/api//x" -> "/api/x").
/// The query (from the first '?') is kept byte for byte.
/// Refused, with a one-line reason: a target that does not start with '/'; a '%' not followed by two hex
/// digits; an encoded '/' ("%2F"), '\' ("%5C") or NUL ("%00"), a literal '\' or control character (other
/// software reads them as a separator or an end: the path would have two meanings); a ".." that climbs
/// above the root.
/// The path of the result starts with '/', holds no "//", "/./" or "/../", does not end in "/." or "/..",
/// and normalising the result gives it back. Pure function; thread-safe.
Expected<std::string, std::string> normalize_target(std::string_view target);

}  // namespace hserver::service
