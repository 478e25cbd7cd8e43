#include "security/access.hpp"

#include <algorithm>
#include <array>
#include <charconv>

#include <fmt/format.h>
#include <boost/beast/core/string.hpp>

#include "security/crypto.hpp"

namespace hserver::service {
namespace {

constexpr std::uint32_t kMinIterations = 10'000;
constexpr std::uint32_t kMaxIterations = 10'000'000;

std::optional<std::string> decode_hex(std::string_view text) {
  if (text.size() % 2 != 0) return std::nullopt;
  std::string out(text.size() / 2, '\0');
  for (std::size_t i = 0; i < out.size(); ++i) {
    unsigned value = 0;
    const auto [end, ec] = std::from_chars(text.data() + 2 * i, text.data() + 2 * i + 2, value, 16);
    if (ec != std::errc{} || end != text.data() + 2 * i + 2) return std::nullopt;
    out[i] = static_cast<char>(value);
  }
  return out;
}

std::string encode_hex(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size() * 2);
  for (const char c : bytes) out += fmt::format("{:02x}", static_cast<unsigned char>(c));
  return out;
}

// "Basic xyz" -> "xyz" when the scheme (case-insensitive) matches, else nullopt.
std::optional<std::string_view> credentials_of(std::string_view header, std::string_view scheme) {
  if (header.size() <= scheme.size() || header[scheme.size()] != ' ') return std::nullopt;
  if (!boost::beast::iequals(header.substr(0, scheme.size()), scheme)) return std::nullopt;
  std::string_view rest = header.substr(scheme.size() + 1);
  while (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
  while (!rest.empty() && rest.back() == ' ') rest.remove_suffix(1);
  return rest;
}

// HMAC-SHA256 (RFC 2104) over the one primitive each OS provides; `key` is at most a block (64 bytes).
std::string hmac_sha256(std::string_view key, std::string_view message) {
  constexpr std::size_t kBlock = 64;
  std::string inner(kBlock, '\x36');
  std::string outer(kBlock, '\x5c');
  for (std::size_t i = 0; i < key.size() && i < kBlock; ++i) {
    inner[i] = static_cast<char>(inner[i] ^ key[i]);
    outer[i] = static_cast<char>(outer[i] ^ key[i]);
  }
  inner.append(message);
  outer.append(crypto::sha256(inner));
  return crypto::sha256(outer);
}

std::vector<unsigned char> bytes_of(const boost::asio::ip::address& address) {
  if (address.is_v4()) {
    const auto b = address.to_v4().to_bytes();
    return {b.begin(), b.end()};
  }
  const auto b = address.to_v6().to_bytes();
  return {b.begin(), b.end()};
}

}  // namespace

bool Cidr::contains(const boost::asio::ip::address& address) const noexcept {
  boost::asio::ip::address candidate = address;
  if (network.is_v4() && address.is_v6() && address.to_v6().is_v4_mapped()) {
    candidate = boost::asio::ip::make_address_v4(boost::asio::ip::v4_mapped, address.to_v6());
  }
  if (candidate.is_v4() != network.is_v4()) return false;
  const auto a = bytes_of(candidate);
  const auto n = bytes_of(network);
  unsigned left = prefix_length;
  for (std::size_t i = 0; i < a.size() && left > 0; ++i) {
    const unsigned bits = std::min(left, 8u);
    const auto mask = static_cast<unsigned char>(0xFFu << (8 - bits));
    if ((a[i] & mask) != (n[i] & mask)) return false;
    left -= bits;
  }
  return true;
}

Expected<Cidr, std::string> parse_cidr(std::string_view text) {
  const auto slash = text.find('/');
  const std::string address_text{text.substr(0, slash)};
  boost::system::error_code ec;
  const auto address = boost::asio::ip::make_address(address_text, ec);
  if (ec) return Unexpected{fmt::format("\"{}\" is not an IP address or block (10.0.0.0/8, fd00::/8)", text)};
  const unsigned max = address.is_v4() ? 32 : 128;
  unsigned prefix = max;
  if (slash != std::string_view::npos) {
    const std::string_view digits = text.substr(slash + 1);
    const auto [end, parse_ec] = std::from_chars(digits.data(), digits.data() + digits.size(), prefix);
    if (digits.empty() || parse_ec != std::errc{} || end != digits.data() + digits.size() || prefix > max) {
      return Unexpected{fmt::format("\"{}\": the prefix length must be 0 to {}", text, max)};
    }
  }
  // 10.1.2.3/8 is almost certainly a typo for 10.0.0.0/8 or 10.1.2.3/32: say so rather than guess.
  const auto bytes = bytes_of(address);
  for (unsigned bit = prefix; bit < max; ++bit) {
    if ((bytes[bit / 8] >> (7 - bit % 8)) & 1u) {
      return Unexpected{fmt::format("\"{}\" has bits set beyond the prefix length", text)};
    }
  }
  return Cidr{address, prefix};
}

Expected<StoredSecret, std::string> parse_stored_secret(std::string_view text) {
  const auto bad = [&](std::string_view why) {
    return Unexpected{
        fmt::format("{} (expected \"pbkdf2-sha256$<iterations>$<salt hex>$<hash hex>\" or "
                    "\"sha256$<hash hex>\", as `1chserver hash-secret` prints)",
                    why)};
  };
  std::vector<std::string_view> parts;
  for (std::size_t start = 0;;) {
    const auto dollar = text.find('$', start);
    parts.push_back(text.substr(start, dollar == std::string_view::npos ? std::string_view::npos : dollar - start));
    if (dollar == std::string_view::npos) break;
    start = dollar + 1;
  }
  StoredSecret secret;
  if (parts.size() == 2 && parts[0] == "sha256") {
    secret.kind = StoredSecret::Kind::sha256;
    auto hash = decode_hex(parts[1]);
    if (!hash || hash->size() != 32) return bad("the SHA-256 hash must be 64 hex digits");
    secret.hash = std::move(*hash);
    return secret;
  }
  if (parts.size() == 4 && parts[0] == "pbkdf2-sha256") {
    secret.kind = StoredSecret::Kind::pbkdf2_sha256;
    const auto [end, ec] = std::from_chars(parts[1].data(), parts[1].data() + parts[1].size(), secret.iterations);
    if (parts[1].empty() || ec != std::errc{} || end != parts[1].data() + parts[1].size() ||
        secret.iterations < kMinIterations || secret.iterations > kMaxIterations) {
      return bad(fmt::format("the iteration count must be {} to {}", kMinIterations, kMaxIterations));
    }
    auto salt = decode_hex(parts[2]);
    if (!salt || salt->size() < 8) return bad("the salt must be at least 16 hex digits");
    auto hash = decode_hex(parts[3]);
    if (!hash || hash->size() != 32) return bad("the hash must be 64 hex digits");
    secret.salt = std::move(*salt);
    secret.hash = std::move(*hash);
    return secret;
  }
  return bad("not a stored secret");
}

bool verify_secret(const StoredSecret& stored, std::string_view presented) {
  const std::string computed = stored.kind == StoredSecret::Kind::sha256
                                   ? crypto::sha256(presented)
                                   : crypto::pbkdf2_sha256(presented, stored.salt, stored.iterations);
  return crypto::constant_time_equal(computed, stored.hash);
}

std::string hash_secret(std::string_view secret, std::uint32_t iterations) {
  const std::string salt = crypto::random_bytes(16);
  return fmt::format("pbkdf2-sha256${}${}${}", iterations, encode_hex(salt),
                     encode_hex(crypto::pbkdf2_sha256(secret, salt, iterations)));
}

BearerToken make_bearer_token() {
  std::string token = encode_hex(crypto::random_bytes(32));
  std::string stored = "sha256$" + encode_hex(crypto::sha256(token));
  return {std::move(token), std::move(stored)};
}

std::optional<std::string> decode_base64(std::string_view text) {
  static constexpr std::array<signed char, 256> kTable = [] {
    std::array<signed char, 256> table{};
    table.fill(-1);
    const char* alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    for (int i = 0; i < 64; ++i) table[static_cast<unsigned char>(alphabet[i])] = static_cast<signed char>(i);
    return table;
  }();
  if (text.size() % 4 != 0) return std::nullopt;
  std::string out;
  out.reserve(text.size() / 4 * 3);
  for (std::size_t i = 0; i < text.size(); i += 4) {
    const bool last = i + 4 == text.size();
    std::uint32_t bits = 0;
    int padding = 0;
    for (std::size_t j = 0; j < 4; ++j) {
      const char c = text[i + j];
      if (c == '=' && last && j >= 2) {
        ++padding;
        bits <<= 6;
        continue;
      }
      const int value = kTable[static_cast<unsigned char>(c)];
      if (value < 0 || padding > 0) return std::nullopt;  // a character after '=' is malformed too
      bits = (bits << 6) | static_cast<std::uint32_t>(value);
    }
    out += static_cast<char>((bits >> 16) & 0xFF);
    if (padding < 2) out += static_cast<char>((bits >> 8) & 0xFF);
    if (padding < 1) out += static_cast<char>(bits & 0xFF);
  }
  return out;
}

Expected<std::shared_ptr<const RouteAccess>, std::string> RouteAccess::make(const AccessConfig& config,
                                                                            const CredentialCheckConfig& limits) {
  auto access = std::make_shared<RouteAccess>();
  access->cache_key_ = crypto::random_bytes(32);
  access->cache_entries_ = limits.cache_entries;
  access->cache_ttl_ = limits.cache_entries == 0 ? std::chrono::seconds{0} : limits.cache_ttl;
  for (std::size_t i = 0; i < config.allow.size(); ++i) {
    auto cidr = parse_cidr(config.allow[i]);
    if (!cidr) return Unexpected{fmt::format("allow[{}]: {}", i, cidr.error())};
    access->allow_.push_back(*cidr);
  }
  for (std::size_t i = 0; i < config.basic.size(); ++i) {
    const BasicUser& user = config.basic[i];
    if (user.name.empty() || user.name.find(':') != std::string::npos) {
      return Unexpected{fmt::format("auth.basic[{}].user: must be non-empty and without ':'", i)};
    }
    auto secret = parse_stored_secret(user.secret);
    if (!secret) return Unexpected{fmt::format("auth.basic[{}].password_hash: {}", i, secret.error())};
    access->basic_.emplace_back(user.name, std::move(*secret));
  }
  // The dummy costs what the costliest user costs (routes made by `hash-secret` share one iteration count).
  StoredSecret& dummy = access->unknown_user_;
  for (const auto& [name, secret] : access->basic_) {
    if (secret.kind == StoredSecret::Kind::pbkdf2_sha256 && secret.iterations >= dummy.iterations) {
      dummy.kind = secret.kind;
      dummy.iterations = secret.iterations;
      dummy.salt = crypto::random_bytes(secret.salt.size());
    }
  }
  dummy.hash = crypto::random_bytes(32);
  for (std::size_t i = 0; i < config.bearer.size(); ++i) {
    auto secret = parse_stored_secret(config.bearer[i]);
    if (!secret) return Unexpected{fmt::format("auth.bearer[{}]: {}", i, secret.error())};
    access->bearer_.push_back(std::move(*secret));
  }
  // The realm is quoted in the header: keep it a plain token-ish text.
  std::string realm = config.realm;
  std::erase_if(realm, [](char c) { return c == '"' || c == '\\' || static_cast<unsigned char>(c) < 0x20; });
  if (!access->basic_.empty())
    access->challenges_.push_back(fmt::format("Basic realm=\"{}\", charset=\"UTF-8\"", realm));
  if (!access->bearer_.empty()) access->challenges_.push_back(fmt::format("Bearer realm=\"{}\"", realm));
  return std::shared_ptr<const RouteAccess>{std::move(access)};
}

namespace {
// "Basic base64(user:password)" -> {user, password}; the name ends at the first colon (RFC 7617).
std::optional<std::pair<std::string, std::string>> basic_credentials(std::string_view authorization) {
  const auto encoded = credentials_of(authorization, "Basic");
  const auto decoded = encoded ? decode_base64(*encoded) : std::nullopt;
  const auto colon = decoded ? decoded->find(':') : std::string::npos;
  if (colon == std::string::npos) return std::nullopt;
  return std::pair{decoded->substr(0, colon), decoded->substr(colon + 1)};
}
}  // namespace

RequestIdentity identity_of(std::string_view authorization) {
  if (credentials_of(authorization, "Bearer")) return RequestIdentity{"bearer", {}};
  const auto basic = basic_credentials(authorization);
  if (!basic) return {};
  return RequestIdentity{"basic", basic->first};
}

RouteAccess::Verdict RouteAccess::check(const boost::asio::ip::address& remote, std::string_view authorization) const {
  if (!address_allowed(remote)) return Verdict::forbidden;
  if (!requires_authentication() || remembered(authorization)) return Verdict::allowed;
  return presents_credentials(authorization) && verify(authorization) ? Verdict::allowed : Verdict::unauthorized;
}

bool RouteAccess::address_allowed(const boost::asio::ip::address& remote) const {
  return allow_.empty() ||
         std::any_of(allow_.begin(), allow_.end(), [&](const Cidr& cidr) { return cidr.contains(remote); });
}

bool RouteAccess::presents_credentials(std::string_view authorization) const {
  if (authorization.empty() || authorization.size() > 4096) return false;
  if (!bearer_.empty() && credentials_of(authorization, "Bearer")) return true;
  return !basic_.empty() && credentials_of(authorization, "Basic");
}

std::string RouteAccess::fingerprint(std::string_view authorization) const {
  return hmac_sha256(cache_key_, authorization);
}

bool RouteAccess::remembered(std::string_view authorization) const {
  if (cache_ttl_.count() == 0 || authorization.empty() || authorization.size() > 4096) return false;
  const std::string key = fingerprint(authorization);
  std::lock_guard lock(cache_mutex_);
  const auto it = verified_.find(key);
  if (it == verified_.end()) return false;
  if (std::chrono::steady_clock::now() < it->second) return true;
  verified_.erase(it);
  return false;
}

bool RouteAccess::verify(std::string_view authorization) const {
  if (!presents_credentials(authorization)) return false;
  bool ok = false;
  if (auto token = credentials_of(authorization, "Bearer"); token && !bearer_.empty()) {
    // Every stored token is tried, so the time taken does not tell which one came close.
    for (const StoredSecret& secret : bearer_) ok = verify_secret(secret, *token) || ok;
  } else if (credentials_of(authorization, "Basic") && !basic_.empty()) {
    const auto basic = basic_credentials(authorization);
    if (!basic) return false;
    const auto& [user, password] = *basic;
    bool known = false;
    for (const auto& [name, secret] : basic_) {
      if (crypto::constant_time_equal(crypto::sha256(name), crypto::sha256(user))) {
        known = true;
        ok = verify_secret(secret, password) || ok;
      }
    }
    if (!known) static_cast<void>(verify_secret(unknown_user_, password));
  }
  if (ok && cache_ttl_.count() > 0) {
    const auto expiry = std::chrono::steady_clock::now() + cache_ttl_;
    std::string key = fingerprint(authorization);
    std::lock_guard lock(cache_mutex_);
    if (verified_.size() >= cache_entries_ && !verified_.contains(key)) {
      std::erase_if(verified_,
                    [now = std::chrono::steady_clock::now()](const auto& entry) { return entry.second <= now; });
      // Only valid credentials get here, so the table fills only with many legitimate clients: one
      // of them verifies again.
      if (verified_.size() >= cache_entries_) verified_.erase(verified_.begin());
    }
    verified_.insert_or_assign(std::move(key), expiry);
  }
  return ok;
}

}  // namespace hserver::service
