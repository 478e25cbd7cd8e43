// The add-in's text parsers and producers (addin/core/include/hserver/addin/method_table.hpp), where 1C
// code's arguments and the service's requests meet JSON:
// - parse_headers_json on the whole input: accepted headers have token names and no CR/LF/NUL in
//   values (no header injection), and written back as an array of pairs they parse to the same list.
// - to_request_id on the input as a string, and on an integer and a double made of its first bytes,
//   against a reference reading of "integer number, integral double or decimal digits"; every id goes
//   through request_id_value and back unchanged (up to INT64_MAX, beyond which 1C numbers are doubles).
// - request_to_json on an envelope made of the input: always valid UTF-8 JSON, with every field there,
//   the body verbatim when it is UTF-8 and as correct base64 otherwise.

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json.hpp>

#include "fuzz_support.hpp"
#include "hserver/addin/method_table.hpp"
#include "hserver/common/utf.hpp"

namespace {

using namespace hserver;
using namespace hserver::addin;

void check_headers(std::string_view text) {
  const auto headers = parse_headers_json(text);
  if (!headers) {
    FUZZ_CHECK(!headers.error().empty());
    return;
  }
  boost::json::array pairs;
  for (const Header& header : *headers) {
    FUZZ_CHECK(fuzz::reference_is_token(header.name));
    FUZZ_CHECK(header.value.find_first_of(std::string_view("\r\n\0", 3)) == std::string::npos);
    FUZZ_CHECK(is_valid_utf8(header.value));
    pairs.push_back(boost::json::array{boost::json::string(header.name), boost::json::string(header.value)});
  }
  const auto again = parse_headers_json(boost::json::serialize(pairs));
  FUZZ_CHECK(again.has_value());
  FUZZ_CHECK(*again == *headers);
}

/// Decimal digits, with the spaces and no-break spaces of 1C's number formatting skipped.
std::optional<std::uint64_t> reference_id(std::string_view text) {
  std::uint64_t id = 0;
  bool digits = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == ' ') continue;
    if (text.substr(i, 2) == "\xC2\xA0") {
      ++i;
      continue;
    }
    if (text[i] < '0' || text[i] > '9') return std::nullopt;
    const auto digit = static_cast<std::uint64_t>(text[i] - '0');
    if (id > (std::numeric_limits<std::uint64_t>::max() - digit) / 10) return std::nullopt;
    id = id * 10 + digit;
    digits = true;
  }
  if (!digits) return std::nullopt;
  return id;
}

void check_id(const Value& value, std::optional<std::uint64_t> expected) {
  const auto id = to_request_id(value);
  FUZZ_CHECK(id.has_value() == expected.has_value());
  if (!id) {
    FUZZ_CHECK(!id.error().empty());
    return;
  }
  FUZZ_CHECK(*id == *expected);
  if (*id <= static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
    const auto back = to_request_id(request_id_value(*id));
    FUZZ_CHECK(back.has_value() && *back == *id);
  }
}

void check_ids(std::string_view text) {
  check_id(Value{std::string(text)}, reference_id(text));

  std::int64_t integer = 0;
  std::memcpy(&integer, text.data(), std::min(text.size(), sizeof integer));
  check_id(Value{integer}, integer < 0 ? std::nullopt : std::optional<std::uint64_t>(integer));

  double number = 0;
  std::memcpy(&number, text.data(), std::min(text.size(), sizeof number));
  std::optional<std::uint64_t> from_double;
  if (std::isfinite(number) && number >= 0 && std::trunc(number) == number && number < 18446744073709551616.0) {
    from_double = static_cast<std::uint64_t>(number);
  }
  check_id(Value{number}, from_double);

  check_id(Value{}, std::nullopt);
  check_id(Value{true}, std::nullopt);
  check_id(Value{Blob{std::string(text)}}, std::nullopt);
}

std::string reference_base64_decode(std::string_view text) {
  const std::string_view alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  FUZZ_CHECK(text.size() % 4 == 0);
  std::string out;
  for (std::size_t i = 0; i < text.size(); i += 4) {
    std::uint32_t n = 0;
    int pad = 0;
    for (std::size_t k = 0; k < 4; ++k) {
      const char c = text[i + k];
      std::size_t v = 0;
      if (c == '=') {
        FUZZ_CHECK(i + 4 == text.size() && k >= 2);
        ++pad;
      } else {
        FUZZ_CHECK(pad == 0);
        v = alphabet.find(c);
        FUZZ_CHECK(v != std::string_view::npos);
      }
      n = (n << 6) | static_cast<std::uint32_t>(v);
    }
    out.push_back(static_cast<char>((n >> 16) & 0xFF));
    if (pad < 2) out.push_back(static_cast<char>((n >> 8) & 0xFF));
    if (pad < 1) out.push_back(static_cast<char>(n & 0xFF));
  }
  return out;
}

void check_request_json(fuzz::Input& in) {
  RequestEnvelope request;
  request.id = in.integer<std::uint64_t>();
  request.mode = (in.byte() & 1) != 0 ? RouteMode::http : RouteMode::legacy;
  request.method = std::string(in.bytes(in.byte() % 16));
  request.target = std::string(in.bytes(in.byte()));
  request.remote_address = std::string(in.bytes(in.byte() % 32));
  const unsigned headers = in.byte() % 8;
  for (unsigned i = 0; i < headers; ++i) {
    const auto name = in.bytes(in.byte() % 32);
    const auto value = in.bytes(in.byte() % 64);
    request.headers.push_back(Header{std::string(name), std::string(value)});
  }
  request.body = std::string(in.rest());

  const std::string text = request_to_json(request);
  FUZZ_CHECK(fuzz::reference_valid_utf8(text));
  boost::system::error_code ec;
  const boost::json::value json = boost::json::parse(text, ec);
  FUZZ_CHECK(!ec);
  const auto& object = json.as_object();
  FUZZ_CHECK(object.at("id").to_number<std::uint64_t>() == request.id);
  FUZZ_CHECK(object.at("mode").as_string() == to_string(request.mode));
  FUZZ_CHECK(object.at("headers").as_array().size() == request.headers.size());
  FUZZ_CHECK(object.at("body_size").to_number<std::uint64_t>() == request.body.size());
  if (is_valid_utf8(request.method)) FUZZ_CHECK(object.at("method").as_string() == request.method);
  if (is_valid_utf8(request.target)) {
    FUZZ_CHECK(object.at("target").as_string() == request.target);
    const std::string path(object.at("path").as_string());
    const std::string query(object.at("query").as_string());
    FUZZ_CHECK(request.target == (request.target.find('?') == std::string::npos ? path : path + "?" + query));
  }
  if (is_valid_utf8(request.body)) {
    FUZZ_CHECK(object.at("body").as_string() == request.body);
    FUZZ_CHECK(!object.contains("body_base64"));
  } else {
    FUZZ_CHECK(!object.contains("body"));
    FUZZ_CHECK(reference_base64_decode(object.at("body_base64").as_string()) == request.body);
  }
  FUZZ_CHECK(reference_base64_decode(base64_encode(request.body)) == request.body);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text = fuzz::as_text(data, size);
  check_headers(text);
  check_ids(text);
  fuzz::Input in(data, size);
  check_request_json(in);
  return 0;
}
