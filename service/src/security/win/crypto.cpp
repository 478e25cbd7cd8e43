#include "security/crypto.hpp"

#include <windows.h>
// windows.h first: bcrypt.h needs its types.
#include <bcrypt.h>

#include <stdexcept>

namespace hserver::service::crypto {
namespace {

constexpr bool ok(NTSTATUS status) {
  return status >= 0;
}

// An algorithm handle opened once per process (CNG handles are thread-safe for hashing).
BCRYPT_ALG_HANDLE algorithm(bool hmac) {
  static BCRYPT_ALG_HANDLE plain = [] {
    BCRYPT_ALG_HANDLE h = nullptr;
    if (!ok(BCryptOpenAlgorithmProvider(&h, BCRYPT_SHA256_ALGORITHM, nullptr, 0)))
      throw std::runtime_error("BCryptOpenAlgorithmProvider(SHA256) failed");
    return h;
  }();
  static BCRYPT_ALG_HANDLE keyed = [] {
    BCRYPT_ALG_HANDLE h = nullptr;
    if (!ok(BCryptOpenAlgorithmProvider(&h, BCRYPT_SHA256_ALGORITHM, nullptr, BCRYPT_ALG_HANDLE_HMAC_FLAG)))
      throw std::runtime_error("BCryptOpenAlgorithmProvider(HMAC-SHA256) failed");
    return h;
  }();
  return hmac ? keyed : plain;
}

PUCHAR bytes(std::string_view s) {
  return reinterpret_cast<PUCHAR>(const_cast<char*>(s.data()));
}

}  // namespace

std::string sha256(std::string_view data) {
  // Create/HashData/Finish rather than the one-call BCryptHash, which needs Windows 10 (the floor is 7,
  // docs/windows.md); a null hash-object buffer lets CNG allocate it (Windows 7 and later).
  std::string out(32, '\0');
  BCRYPT_HASH_HANDLE hash = nullptr;
  if (!ok(BCryptCreateHash(algorithm(false), &hash, nullptr, 0, nullptr, 0, 0))) {
    throw std::runtime_error("BCryptCreateHash failed");
  }
  const bool hashed =
      ok(BCryptHashData(hash, bytes(data), static_cast<ULONG>(data.size()), 0)) &&
      ok(BCryptFinishHash(hash, reinterpret_cast<PUCHAR>(out.data()), static_cast<ULONG>(out.size()), 0));
  BCryptDestroyHash(hash);
  if (!hashed) throw std::runtime_error("BCryptHashData/BCryptFinishHash failed");
  return out;
}

std::string pbkdf2_sha256(std::string_view password, std::string_view salt, std::uint32_t iterations) {
  std::string out(32, '\0');
  if (!ok(BCryptDeriveKeyPBKDF2(algorithm(true), bytes(password), static_cast<ULONG>(password.size()), bytes(salt),
                                static_cast<ULONG>(salt.size()), iterations, reinterpret_cast<PUCHAR>(out.data()),
                                static_cast<ULONG>(out.size()), 0))) {
    throw std::runtime_error("BCryptDeriveKeyPBKDF2 failed");
  }
  return out;
}

std::string random_bytes(std::size_t count) {
  std::string out(count, '\0');
  if (!ok(BCryptGenRandom(nullptr, reinterpret_cast<PUCHAR>(out.data()), static_cast<ULONG>(count),
                          BCRYPT_USE_SYSTEM_PREFERRED_RNG))) {
    throw std::runtime_error("BCryptGenRandom failed");
  }
  return out;
}

bool constant_time_equal(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  volatile unsigned char diff = 0;
  for (std::size_t i = 0; i < a.size(); ++i) diff = diff | static_cast<unsigned char>(a[i] ^ b[i]);
  return diff == 0;
}

}  // namespace hserver::service::crypto
