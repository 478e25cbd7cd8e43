#pragma once
/// @brief Who may use a route: an IP allow-list (CIDR, IPv4 and IPv6) and authentication (HTTP Basic,
/// which 1C's HTTPСоединение sends from every version, and bearer tokens). Secrets are stored hashed:
///   "pbkdf2-sha256$<iterations>$<salt hex>$<hash hex>"  (passwords; `1chserver hash-secret` makes one)
///   "sha256$<hash hex>"                                   (long random tokens, where a salt adds nothing)
/// Pure logic apart from the crypto primitives, so the parsers are unit-tested and fuzzed directly.

#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
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

/// @brief How the service checks credentials, for every route (the top-level "authentication" key).
/// Defaults fit a small VM: one thread may spend a core on PBKDF2, no more.
struct CredentialCheckConfig {
  unsigned verify_threads = 1;      ///< threads that verify credentials (PBKDF2), away from the I/O threads
  std::size_t verify_queue = 16;    ///< verifications waiting for those threads: 503 with Retry-After beyond
  std::uint32_t max_failures = 10;  ///< failed verifications per client address in a window: 429 after; 0: off
  std::chrono::seconds failure_window{60};
  std::size_t tracked_addresses = 10'000;  ///< client addresses the failure table holds at most
  std::chrono::seconds cache_ttl{300};     ///< how long a verified Authorization value is remembered; 0: never
  std::size_t cache_entries = 1024;        ///< remembered values per route at most
};

/// @brief The checks of one route, ready to run on every request. Thread-safe.
///
/// The checks come in steps so that the HTTP front can run the costly one (verify: PBKDF2 for Basic) on
/// a pool of its own (CredentialChecks) and the cheap ones on the I/O thread; check() runs them all.
class RouteAccess {
 public:
  enum class Verdict { allowed, forbidden, unauthorized };

  /// @return the checker, or an error naming the bad entry ("allow[1]: ...", "basic[0].password_hash: ...").
  /// `limits` gives the remembered-credentials cache its size and lifetime.
  static Expected<std::shared_ptr<const RouteAccess>, std::string> make(const AccessConfig& config,
                                                                        const CredentialCheckConfig& limits = {});

  /// @brief forbidden: the address is not on the allow-list (403); unauthorized: credentials are needed
  /// and `authorization` (the Authorization header, possibly empty) does not carry valid ones (401).
  Verdict check(const boost::asio::ip::address& remote, std::string_view authorization) const;
  /// @brief The WWW-Authenticate values of a 401 (one per scheme the route accepts).
  const std::vector<std::string>& challenges() const noexcept { return challenges_; }
  bool requires_authentication() const noexcept { return !basic_.empty() || !bearer_.empty(); }

  /// @brief Whether the allow-list (if any) lets `remote` in.
  bool address_allowed(const boost::asio::ip::address& remote) const;
  /// @brief Whether `authorization` carries credentials in a scheme this route accepts: anything else is
  /// refused without verifying (and without counting as a guess: a browser asks without them first).
  bool presents_credentials(std::string_view authorization) const;
  /// @brief Whether this exact value verified within the cache's lifetime: no verification needed.
  bool remembered(std::string_view authorization) const;
  /// @brief The costly step: whether `authorization` carries valid credentials; a valid value is
  /// remembered. An unknown Basic user costs the same as a wrong password: a dummy secret with the
  /// costliest parameters among the route's users is verified instead, so timing does not tell which
  /// user names exist.
  bool verify(std::string_view authorization) const;

 private:
  std::string fingerprint(std::string_view authorization) const;

  std::vector<Cidr> allow_;
  std::vector<std::pair<std::string, StoredSecret>> basic_;
  StoredSecret unknown_user_;  // verified for a user name no entry has: no password matches it
  std::vector<StoredSecret> bearer_;
  std::vector<std::string> challenges_;
  // PBKDF2 costs tens of milliseconds by design, and Basic sends the password with every request: an
  // Authorization value that verified is remembered for a while, so only wrong guesses pay. Remembered
  // as an HMAC under a key made at start and never stored: a memory dump of the table gives no
  // fast offline test of passwords (a plain SHA-256 of "user:password" would).
  std::string cache_key_;
  std::chrono::seconds cache_ttl_{0};
  std::size_t cache_entries_ = 0;
  mutable std::mutex cache_mutex_;
  mutable std::unordered_map<std::string, std::chrono::steady_clock::time_point> verified_;  // -> expiry
};

}  // namespace hserver::service
