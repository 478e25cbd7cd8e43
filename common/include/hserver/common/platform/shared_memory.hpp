#pragma once
/// @brief A named shared-memory segment mapped into this process. One implementation per OS.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "hserver/common/expected.hpp"

namespace hserver::platform {

/// @brief Access given to the segments the service creates (POSIX: file mode bits; Windows: a DACL).
struct SegmentAccess {
  unsigned mode = 0660;     ///< POSIX mode: the service user and its group (1C's users join that group)
  std::string posix_group;  ///< POSIX: group given to the objects; empty keeps the service's own group
  /// Windows: the account or group (name or SID string) of the 1C users who may open the objects, besides
  /// SYSTEM and Administrators which always may. Empty: SYSTEM and Administrators only.
  std::string windows_users;
};

class SharedMemory {
 public:
  /// @brief Create a new segment (fails if the name exists), zero-filled, and map it.
  static Expected<SharedMemory, std::string> create(const std::string& name, std::uint64_t bytes,
                                                    const SegmentAccess& access);
  /// @brief Open and map an existing segment read-write; its size is what the creator gave.
  static Expected<SharedMemory, std::string> open(const std::string& name);
  /// @brief Remove the name (mapped views stay valid until unmapped). True if it existed. Only for names this
  /// process created: a service never removes objects it did not create.
  static bool remove(const std::string& name);
  /// @brief POSIX: a new unnamed segment, zero-filled and mapped, whose size nobody can change afterwards:
  /// a memfd sealed against shrinking and growing (kernel 3.17+). Where memfd_create is missing (ENOSYS:
  /// older kernels such as CentOS 7's 3.10) a POSIX object of a random name, mode 0600, unlinked at once:
  /// unreachable by name, but whoever is given its descriptor could still shrink it. name() says which
  /// ("memfd" or "unlinked shm"). Windows: not available (named sections cannot shrink; see create()).
  static Expected<SharedMemory, std::string> create_sealed(std::uint64_t bytes);
  /// @brief POSIX: map a segment received as a descriptor (taking ownership of it), at the size it has now.
  static Expected<SharedMemory, std::string> adopt(int descriptor);

  SharedMemory(SharedMemory&&) noexcept;
  SharedMemory& operator=(SharedMemory&&) noexcept;
  ~SharedMemory();  ///< unmaps; does not remove the name

  void* data() const noexcept;
  std::uint64_t size() const noexcept;
  const std::string& name() const noexcept;
  /// @brief POSIX: the open descriptor behind the mapping (to pass to an add-in). Windows: -1.
  int descriptor() const noexcept;

 private:
  struct Mapping;
  explicit SharedMemory(std::unique_ptr<Mapping> mapping);
  /// POSIX: maps all `bytes` of the mapping's descriptor.
  static Expected<SharedMemory, std::string> map_whole(std::unique_ptr<Mapping> mapping, std::uint64_t bytes);
  std::unique_ptr<Mapping> mapping_;
};

}  // namespace hserver::platform
