#include "http/request_framing.hpp"

#include <algorithm>
#include <vector>

#include <fmt/format.h>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http/field.hpp>

namespace hserver::service {
namespace bhttp = boost::beast::http;

namespace {

std::string_view trim(std::string_view text) noexcept {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

// The members of a comma-separated list over every field line of `name`, empty members skipped (RFC 9110
// 5.6.1), each trimmed.
std::vector<std::string_view> list_members(const bhttp::request_header<>& header, bhttp::field name) {
  std::vector<std::string_view> members;
  const auto [begin, end] = header.equal_range(name);
  for (auto it = begin; it != end; ++it) {
    std::string_view rest{it->value().data(), it->value().size()};
    for (;;) {
      const std::size_t comma = rest.find(',');
      const std::string_view member = trim(rest.substr(0, comma));
      if (!member.empty()) members.push_back(member);
      if (comma == std::string_view::npos) break;
      rest.remove_prefix(comma + 1);
    }
  }
  return members;
}

// The coding's name, without its parameters ("gzip;q=1" -> "gzip").
std::string_view coding_name(std::string_view coding) noexcept {
  return trim(coding.substr(0, coding.find(';')));
}

std::optional<FramingRefusal> check_transfer_encoding(const bhttp::request_header<>& header) {
  const std::vector<std::string_view> codings = list_members(header, bhttp::field::transfer_encoding);
  if (header.version() < 11) return FramingRefusal{400, "Transfer-Encoding in an HTTP/1.0 request"};
  if (header.count(bhttp::field::content_length) != 0) {
    return FramingRefusal{400, "both Transfer-Encoding and Content-Length: the length of the body is ambiguous"};
  }
  if (codings.empty() || !boost::beast::iequals(coding_name(codings.back()), "chunked")) {
    return FramingRefusal{400, "the final transfer coding is not chunked: the length of the body is unknown"};
  }
  for (std::size_t i = 0; i + 1 < codings.size(); ++i) {
    if (boost::beast::iequals(coding_name(codings[i]), "chunked")) {
      return FramingRefusal{400, "the chunked transfer coding is applied more than once"};
    }
  }
  if (codings.size() > 1) {
    return FramingRefusal{501, fmt::format("the transfer coding \"{}\" is not implemented", coding_name(codings[0]))};
  }
  return std::nullopt;
}

std::optional<FramingRefusal> check_content_length(const bhttp::request_header<>& header) {
  const std::vector<std::string_view> values = list_members(header, bhttp::field::content_length);
  const auto is_decimal = [](std::string_view value) {
    return !value.empty() && std::all_of(value.begin(), value.end(), [](char c) { return c >= '0' && c <= '9'; });
  };
  for (const std::string_view value : values) {
    if (!is_decimal(value)) return FramingRefusal{400, "a Content-Length that is not a decimal number"};
  }
  // "5, 05" is one length spelled twice; compare the numbers without leading zeros.
  const auto significant = [](std::string_view value) {
    const std::size_t first = value.find_first_not_of('0');
    return first == std::string_view::npos ? std::string_view{"0"} : value.substr(first);
  };
  for (const std::string_view value : values) {
    if (significant(value) != significant(values.front())) {
      return FramingRefusal{400, "Content-Length values that differ"};
    }
  }
  return std::nullopt;
}

// RFC 3986 3.2.2 and 3.2.3: uri-host [ ":" port ], an IP-literal in brackets. Loose on the inside of the
// brackets (hex digits, ':' and '.'), strict on the characters: no '/', '@', '?', space or control.
bool is_valid_host(std::string_view host) noexcept {
  const auto is_reg_name_char = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           std::string_view{"-._~%!$&'()*+,;="}.find(c) != std::string_view::npos;
  };
  const auto is_digit = [](char c) { return c >= '0' && c <= '9'; };
  std::string_view port;
  if (host.starts_with('[')) {
    const std::size_t close = host.find(']');
    if (close == std::string_view::npos) return false;
    const std::string_view literal = host.substr(1, close - 1);
    const bool literal_ok = !literal.empty() && std::all_of(literal.begin(), literal.end(), [](char c) {
      return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') || c == ':' || c == '.';
    });
    if (!literal_ok) return false;
    host.remove_prefix(close + 1);
    if (!host.empty() && host.front() != ':') return false;
    port = host.empty() ? host : host.substr(1);
  } else {
    const std::size_t colon = host.find(':');
    const std::string_view name = host.substr(0, colon);
    if (!std::all_of(name.begin(), name.end(), is_reg_name_char)) return false;
    port = colon == std::string_view::npos ? std::string_view{} : host.substr(colon + 1);
  }
  return std::all_of(port.begin(), port.end(), is_digit);
}

std::optional<FramingRefusal> check_host(const bhttp::request_header<>& header) {
  const std::size_t hosts = header.count(bhttp::field::host);
  if (hosts > 1) return FramingRefusal{400, "more than one Host header"};
  if (hosts == 0) {
    if (header.version() >= 11) return FramingRefusal{400, "an HTTP/1.1 request without a Host header"};
    return std::nullopt;
  }
  const auto value = header[bhttp::field::host];
  if (!is_valid_host(trim(std::string_view{value.data(), value.size()}))) {
    return FramingRefusal{400, "an invalid Host header"};
  }
  return std::nullopt;
}

}  // namespace

std::optional<FramingRefusal> check_request_framing(const bhttp::request_header<>& header) {
  if (header.count(bhttp::field::transfer_encoding) != 0) {
    if (auto refusal = check_transfer_encoding(header)) return refusal;
  }
  if (auto refusal = check_content_length(header)) return refusal;
  return check_host(header);
}

}  // namespace hserver::service
