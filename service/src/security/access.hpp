#pragma once
/// @brief Who may use a route: an IP allow-list (CIDR, IPv4 and IPv6) and authentication (HTTP Basic,
/// which 1C's HTTPСоединение sends from every version, and bearer tokens). Secrets are stored hashed:
///   "pbkdf2-sha256$<iterations>$<salt hex>$<hash hex>"  (passwords; `1chserver hash-secret` makes one)
///   "sha256$<hash hex>"                                   (long random tokens, where a salt adds nothing)
/// Pure logic apart from the crypto primitives, so the parsers are unit-tested and fuzzed directly.

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include <boost/asio/ip/address.hpp>

#include "hserver/common/expected.hpp"

namespace hserver::service {

/// @brief An address block: 10.0.0.0/8, 192.168.1.7 (a /32), ::1, fd00::/8. An IPv4 block also matches
/// the IPv4-mapped IPv6 form of its addresses (::ffff:10.1.2.3), as a dual-stack listener reports them.
struct Cidr {
  boost::asio::ip::address network;
  unsigned prefix_length = 0;
  bool contains(const boost::asio::ip::address& address) const noexcept;
};
Expected<Cidr, std::string> parse_cidr(std::string_view text);

/// @brief A stored secret, parsed.
struct StoredSecret {
  enum class Kind { sha256, pbkdf2_sha256 } kind = Kind::sha256;
  std::uint32_t iterations = 0;
  std::string salt;  ///< raw bytes
  std::string hash;  ///< raw bytes, 32
};
Expected<StoredSecret, std::string> parse_stored_secret(std::string_view text);
/// @brief Whether `presented` is the secret `stored` was made from. Constant time in the secret's bytes.
bool verify_secret(const StoredSecret& stored, std::string_view presented);
inline constexpr std::uint32_t kDefaultPbkdf2Iterations = 100'000;
/// @brief A new stored form of `secret`: PBKDF2-SHA256 with a random 16-byte salt.
std::string hash_secret(std::string_view secret, std::uint32_t iterations = kDefaultPbkdf2Iterations);

/// @brief A new random bearer token (32 random bytes as hex: 256 bits, so a plain SHA-256 stores it
/// safely) and its stored form "sha256$<hash hex>".
struct BearerToken {
  std::string token;
  std::string stored;
};
BearerToken make_bearer_token();

/// @brief Standard base64 (RFC 4648, with padding) as HTTP Basic uses it; nullopt when malformed.
std::optional<std::string> decode_base64(std::string_view text);

/// @brief Who a request's credentials name, as 1C is told (RequestEnvelope::user and auth_scheme).
struct RequestIdentity {
  std::string scheme;  ///< "basic" or "bearer"; empty when the header carries neither
  std::string user;    ///< the Basic user name; empty for a bearer token
};
/// @brief The identity an Authorization header claims. Only meaningful once RouteAccess::check has
/// verified that header (the session asks only then); parsing alone proves nothing.
RequestIdentity identity_of(std::string_view authorization);

/// @brief One Basic user: the name and the stored form of the password.
struct BasicUser {
  std::string name;
  std::string secret;
};

/// @brief A route's access settings as the config gives them (strings, validated by RouteAccess::make).
struct AccessConfig {
  std::vector<BasicUser> basic;     ///< HTTP Basic users
  std::vector<std::string> bearer;  ///< stored forms of bearer tokens
  std::vector<std::string> allow;   ///< CIDR blocks; empty: any address
  std::string realm = "1chserver";  ///< shown by browsers in the login prompt
  /// Listening beyond loopback without authentication is refused unless this is set: the loud way to
  /// say "anyone who reaches this port may use it".
  bool insecure_unauthenticated_remote = false;
  bool requires_authentication() const noexcept { return !basic.empty() || !bearer.empty(); }
};

/// @brief The checks of one route, ready to run on every request. Thread-safe.
class RouteAccess {
 public:
  enum class Verdict { allowed, forbidden, unauthorized };

  /// @return the checker, or an error naming the bad entry ("allow[1]: ...", "basic[0].password_hash: ...").
  static Expected<std::shared_ptr<const RouteAccess>, std::string> make(const AccessConfig& config);

  /// @brief forbidden: the address is not on the allow-list (403); unauthorized: credentials are needed
  /// and `authorization` (the Authorization header, possibly empty) does not carry valid ones (401).
  Verdict check(const boost::asio::ip::address& remote, std::string_view authorization) const;
  /// @brief The WWW-Authenticate values of a 401 (one per scheme the route accepts).
  const std::vector<std::string>& challenges() const noexcept { return challenges_; }
  bool requires_authentication() const noexcept { return !basic_.empty() || !bearer_.empty(); }

 private:
  bool authenticated(std::string_view authorization) const;

  std::vector<Cidr> allow_;
  std::vector<std::pair<std::string, StoredSecret>> basic_;
  std::vector<StoredSecret> bearer_;
  std::vector<std::string> challenges_;
  // PBKDF2 costs tens of milliseconds by design, and Basic sends the password with every request: an
  // Authorization value that verified once is remembered (as its SHA-256), so only wrong guesses pay.
  mutable std::mutex cache_mutex_;
  mutable std::unordered_set<std::string> verified_;
};

}  // namespace hserver::service
