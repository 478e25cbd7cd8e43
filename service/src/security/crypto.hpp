#pragma once
/// @brief The few cryptographic primitives authentication needs, one implementation per OS: OpenSSL's
/// libcrypto on POSIX (posix/crypto.cpp), Windows CNG (BCrypt) in the Windows build (win/crypto.cpp).
/// Stateless and thread-safe.

#include <cstdint>
#include <string>
#include <string_view>

namespace hserver::service::crypto {

/// @brief SHA-256 of `data`: 32 raw bytes.
std::string sha256(std::string_view data);

/// @brief PBKDF2-HMAC-SHA256 of `password` with `salt`, `iterations` rounds, 32 raw bytes out.
std::string pbkdf2_sha256(std::string_view password, std::string_view salt, std::uint32_t iterations);

/// @brief `count` bytes from the OS's cryptographic random source.
std::string random_bytes(std::size_t count);

/// @brief Equal contents, in a time that depends only on the lengths (a secret's bytes are not leaked
/// through how long a wrong guess takes to be refused).
bool constant_time_equal(std::string_view a, std::string_view b) noexcept;

}  // namespace hserver::service::crypto
