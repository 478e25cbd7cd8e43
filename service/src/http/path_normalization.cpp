#include "http/path_normalization.hpp"

#include <vector>

#include <fmt/format.h>

#include "http/percent_encoding.hpp"

namespace hserver::service {
namespace {

bool is_unreserved(unsigned char c) noexcept {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
         c == '_' || c == '~';
}

// The path built so far, "/seg1/seg2", with where each segment's '/' stands so that ".." can drop one.
class Segments {
 public:
  void push(std::string_view segment) {
    starts_.push_back(path_.size());
    path_ += '/';
    path_ += segment;
  }
  bool pop() {
    if (starts_.empty()) return false;
    path_.resize(starts_.back());
    starts_.pop_back();
    return true;
  }
  // `directory`: the last segment was empty, "." or "..": the path names a directory and ends in '/'.
  std::string finish(bool directory) && {
    if (directory || path_.empty()) path_ += '/';
    return std::move(path_);
  }

 private:
  std::string path_;
  std::vector<std::size_t> starts_;
};

// The offending escape for the error text, with bytes that could break a log line shown as '?'.
std::string excerpt(std::string_view path, std::size_t at) {
  std::string text{path.substr(at, 3)};
  for (char& c : text) {
    if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) >= 0x7F) c = '?';
  }
  return text;
}

}  // namespace

Expected<std::string, std::string> normalize_target(std::string_view target) {
  if (target.empty() || target.front() != '/') {
    return Unexpected{std::string{"the request target must be a path starting with '/'"}};
  }
  const std::size_t query_at = target.find('?');
  const std::string_view path = target.substr(0, query_at);

  Segments segments;
  std::string segment;  // the current one, decoded
  bool directory = false;
  // Ends the segment in hand at a '/' or at the end of the path.
  auto close_segment = [&]() -> bool {
    directory = segment.empty() || segment == "." || segment == "..";
    if (segment == "..") {
      if (!segments.pop()) return false;
    } else if (!directory) {
      segments.push(segment);
    }
    segment.clear();
    return true;
  };

  for (std::size_t i = 1; i <= path.size(); ++i) {
    if (i == path.size() || path[i] == '/') {
      if (!close_segment()) return Unexpected{std::string{"the path climbs above the root with '..'"}};
      continue;
    }
    const auto c = static_cast<unsigned char>(path[i]);
    if (c == '\\') return Unexpected{fmt::format("a '\\' at offset {} of the path (ambiguous: use '/')", i)};
    if (c < 0x20 || c == 0x7F) return Unexpected{fmt::format("a control character at offset {} of the path", i)};
    if (c != '%') {
      segment.push_back(path[i]);
      continue;
    }
    const int high = i + 2 < path.size() ? hex_value(path[i + 1]) : -1;
    const int low = i + 2 < path.size() ? hex_value(path[i + 2]) : -1;
    if (high < 0 || low < 0) {
      return Unexpected{fmt::format("invalid percent-encoding \"{}\" at offset {} of the path", excerpt(path, i), i)};
    }
    const auto decoded = static_cast<unsigned char>(high * 16 + low);
    if (decoded == '/' || decoded == '\\' || decoded == 0) {
      // Decoded, it would be a separator (or an end) to some readers and data to others.
      return Unexpected{fmt::format("an encoded '/', '\\' or NUL (\"{}\") at offset {} of the path is ambiguous",
                                    excerpt(path, i), i)};
    }
    if (is_unreserved(decoded)) {
      segment.push_back(static_cast<char>(decoded));
    } else {
      static constexpr std::string_view kHex = "0123456789ABCDEF";
      segment += '%';
      segment += kHex[decoded >> 4];
      segment += kHex[decoded & 0xF];
    }
    i += 2;
  }

  std::string normalized = std::move(segments).finish(directory);
  if (query_at != std::string_view::npos) normalized += target.substr(query_at);
  return normalized;
}

}  // namespace hserver::service
