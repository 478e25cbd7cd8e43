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
  /// @brief Remove the name (mapped views stay valid until unmapped). True if it existed.
  static bool remove(const std::string& name);
  /// @brief Remove every segment whose name starts with `prefix` + "." (stale objects of a dead service).
  /// Returns how many were removed.
  static std::size_t remove_all_with_prefix(const std::string& prefix);

  SharedMemory(SharedMemory&&) noexcept;
  SharedMemory& operator=(SharedMemory&&) noexcept;
  ~SharedMemory();  ///< unmaps; does not remove the name

  void* data() const noexcept;
  std::uint64_t size() const noexcept;
  const std::string& name() const noexcept;

 private:
  struct Mapping;
  explicit SharedMemory(std::unique_ptr<Mapping> mapping);
  std::unique_ptr<Mapping> mapping_;
};

}  // namespace hserver::platform
