#include "hserver/common/platform/random.hpp"

#include <windows.h>
// windows.h first: bcrypt.h needs its types.
#include <bcrypt.h>

namespace hserver::platform {

bool fill_random(void* data, std::size_t bytes) noexcept {
  // An NTSTATUS: success and informational values are >= 0. The system-preferred generator: Vista SP2+.
  return ::BCryptGenRandom(nullptr, static_cast<PUCHAR>(data), static_cast<ULONG>(bytes),
                           BCRYPT_USE_SYSTEM_PREFERRED_RNG) >= 0;
}

}  // namespace hserver::platform
