#include "hserver/common/envelope.hpp"

#include <cstring>
#include <optional>

namespace hserver {

std::string_view to_string(RouteMode mode) noexcept {
  switch (mode) {
    case RouteMode::legacy:
      return "legacy";
    case RouteMode::http:
      return "http";
  }
  return "unknown";
}

std::string_view to_string(CodecError error) noexcept {
  switch (error) {
    case CodecError::truncated:
      return "payload truncated";
    case CodecError::trailing_bytes:
      return "trailing bytes after payload";
    case CodecError::bad_mode:
      return "unknown route mode";
    case CodecError::too_many_headers:
      return "too many headers";
  }
  return "unknown codec error";
}

namespace {

/// Appends little-endian fixed-width fields. Every length prefix is u32 except bodies (u64), so a
/// 32-bit reader never has to guess a size_t.
class Writer {
 public:
  explicit Writer(std::vector<std::byte>& out) : out_(out) { out_.clear(); }
  template <class T>
  void integer(T value) {
    for (std::size_t i = 0; i < sizeof(T); ++i) {
      out_.push_back(static_cast<std::byte>((static_cast<std::uint64_t>(value) >> (8 * i)) & 0xFF));
    }
  }
  void text(std::string_view s) {
    integer(static_cast<std::uint32_t>(s.size()));
    raw(s);
  }
  void blob(std::string_view s) {
    integer(static_cast<std::uint64_t>(s.size()));
    raw(s);
  }
  void headers(const std::vector<Header>& hs) {
    integer(static_cast<std::uint32_t>(hs.size()));
    for (const auto& h : hs) {
      text(h.name);
      text(h.value);
    }
  }

 private:
  void raw(std::string_view s) {
    const auto* p = reinterpret_cast<const std::byte*>(s.data());
    out_.insert(out_.end(), p, p + s.size());
  }
  std::vector<std::byte>& out_;
};

class Reader {
 public:
  explicit Reader(std::span<const std::byte> in) : in_(in) {}
  template <class T>
  bool integer(T& value) {
    if (in_.size() - pos_ < sizeof(T)) return fail(CodecError::truncated);
    std::uint64_t v = 0;
    for (std::size_t i = 0; i < sizeof(T); ++i) {
      v |= static_cast<std::uint64_t>(in_[pos_ + i]) << (8 * i);
    }
    pos_ += sizeof(T);
    value = static_cast<T>(v);
    return true;
  }
  bool text(std::string& s) {
    std::uint32_t n = 0;
    return integer(n) && raw(n, s);
  }
  bool blob(std::string& s) {
    std::uint64_t n = 0;
    return integer(n) && raw(n, s);
  }
  bool headers(std::vector<Header>& hs) {
    std::uint32_t n = 0;
    if (!integer(n)) return false;
    if (n > kMaxHeaders) return fail(CodecError::too_many_headers);
    hs.resize(n);
    for (auto& h : hs) {
      if (!text(h.name) || !text(h.value)) return false;
    }
    return true;
  }
  bool finish() { return pos_ == in_.size() || fail(CodecError::trailing_bytes); }
  bool fail(CodecError e) {
    error_ = e;
    return false;
  }
  CodecError error() const { return error_.value_or(CodecError::truncated); }

 private:
  bool raw(std::uint64_t n, std::string& s) {
    if (in_.size() - pos_ < n) return fail(CodecError::truncated);
    s.assign(reinterpret_cast<const char*>(in_.data() + pos_), static_cast<std::size_t>(n));
    pos_ += static_cast<std::size_t>(n);
    return true;
  }
  std::span<const std::byte> in_;
  std::size_t pos_ = 0;
  std::optional<CodecError> error_;
};

}  // namespace

void encode(const RequestEnvelope& r, std::vector<std::byte>& out) {
  out.reserve(64 + r.method.size() + r.target.size() + r.remote_address.size() + r.body.size());
  Writer w(out);
  w.integer(r.id);
  w.integer(static_cast<std::uint8_t>(r.mode));
  w.text(r.method);
  w.text(r.target);
  w.text(r.remote_address);
  w.text(r.user);
  w.text(r.auth_scheme);
  w.headers(r.headers);
  w.blob(r.body);
}

void encode(const ResponseEnvelope& r, std::vector<std::byte>& out) {
  out.reserve(32 + r.body.size());
  Writer w(out);
  w.integer(r.id);
  w.integer(r.status);
  w.headers(r.headers);
  w.blob(r.body);
}

Expected<RequestEnvelope, CodecError> decode_request(std::span<const std::byte> payload) {
  Reader rd(payload);
  RequestEnvelope r;
  std::uint8_t mode = 0;
  if (!rd.integer(r.id) || !rd.integer(mode)) return Unexpected{rd.error()};
  if (mode != static_cast<std::uint8_t>(RouteMode::legacy) && mode != static_cast<std::uint8_t>(RouteMode::http)) {
    return Unexpected{CodecError::bad_mode};
  }
  r.mode = static_cast<RouteMode>(mode);
  if (!rd.text(r.method) || !rd.text(r.target) || !rd.text(r.remote_address) || !rd.text(r.user) ||
      !rd.text(r.auth_scheme) || !rd.headers(r.headers) || !rd.blob(r.body) || !rd.finish()) {
    return Unexpected{rd.error()};
  }
  return r;
}

Expected<ResponseEnvelope, CodecError> decode_response(std::span<const std::byte> payload) {
  Reader rd(payload);
  ResponseEnvelope r;
  if (!rd.integer(r.id) || !rd.integer(r.status) || !rd.headers(r.headers) || !rd.blob(r.body) || !rd.finish()) {
    return Unexpected{rd.error()};
  }
  return r;
}

}  // namespace hserver
