// POSIX shared memory through Boost.Interprocess (shm_open + fchmod, so the mode is exact whatever the
// umask) and mapped_region. Names live in /dev/shm on Linux.
#include "hserver/common/platform/shared_memory.hpp"

#include <boost/interprocess/mapped_region.hpp>
#include <boost/interprocess/shared_memory_object.hpp>

#include <grp.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <optional>
#include <system_error>
#include <vector>

namespace hserver::platform {

namespace bip = boost::interprocess;

struct SharedMemory::Mapping {
  std::string name;
  bip::mapped_region region;
};

namespace {

std::string describe(const bip::interprocess_exception& e) {
  const int native = e.get_native_error();
  return native != 0 ? std::system_category().message(native) : std::string(e.what());
}

/// The id of a group by name (thread-safe lookup), or nullopt when there is no such group.
std::optional<gid_t> group_id(const std::string& name) {
  std::vector<char> buffer(16 * 1024);
  group entry{};
  group* found = nullptr;
  while (::getgrnam_r(name.c_str(), &entry, buffer.data(), buffer.size(), &found) == ERANGE &&
         buffer.size() < (1u << 20))
    buffer.resize(buffer.size() * 2);
  if (found == nullptr) return std::nullopt;
  return found->gr_gid;
}

}  // namespace

SharedMemory::SharedMemory(std::unique_ptr<Mapping> mapping) : mapping_(std::move(mapping)) {}
SharedMemory::SharedMemory(SharedMemory&&) noexcept = default;
SharedMemory& SharedMemory::operator=(SharedMemory&&) noexcept = default;
SharedMemory::~SharedMemory() = default;

void* SharedMemory::data() const noexcept {
  return mapping_->region.get_address();
}
std::uint64_t SharedMemory::size() const noexcept {
  return mapping_->region.get_size();
}
const std::string& SharedMemory::name() const noexcept {
  return mapping_->name;
}

Expected<SharedMemory, std::string> SharedMemory::create(const std::string& name, std::uint64_t bytes,
                                                         const SegmentAccess& access) {
  try {
    bip::permissions permissions;
    permissions.set_permissions(static_cast<int>(access.mode));
    bip::shared_memory_object object(bip::create_only, name.c_str(), bip::read_write, permissions);
    if (!access.posix_group.empty()) {
      // The group of 1C's users: with mode 0660 they, and nobody else but the service's user, may open it.
      const auto gid = group_id(access.posix_group);
      const int failed = !gid                                                                              ? ENOENT
                         : ::fchown(object.get_mapping_handle().handle, static_cast<uid_t>(-1), *gid) != 0 ? errno
                                                                                                           : 0;
      if (failed != 0) {
        bip::shared_memory_object::remove(name.c_str());
        return Unexpected{"cannot give shared memory '" + name + "' to the group '" + access.posix_group +
                          "': " + (gid ? std::system_category().message(failed) : std::string("no such group"))};
      }
    }
    object.truncate(static_cast<bip::offset_t>(bytes));  // ftruncate zero-fills
    auto mapping = std::make_unique<Mapping>(Mapping{name, bip::mapped_region(object, bip::read_write)});
    return SharedMemory(std::move(mapping));
  } catch (const bip::interprocess_exception& e) {
    bip::shared_memory_object::remove(name.c_str());
    return Unexpected{"cannot create shared memory '" + name + "': " + describe(e)};
  }
}

Expected<SharedMemory, std::string> SharedMemory::open(const std::string& name) {
  try {
    bip::shared_memory_object object(bip::open_only, name.c_str(), bip::read_write);
    auto mapping = std::make_unique<Mapping>(Mapping{name, bip::mapped_region(object, bip::read_write)});
    return SharedMemory(std::move(mapping));
  } catch (const bip::interprocess_exception& e) {
    return Unexpected{"cannot open shared memory '" + name + "': " + describe(e)};
  }
}

bool SharedMemory::remove(const std::string& name) {
  return bip::shared_memory_object::remove(name.c_str());
}

std::size_t SharedMemory::remove_all_with_prefix(const std::string& prefix) {
  std::size_t removed = 0;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator("/dev/shm", ec)) {
    const std::string file = entry.path().filename().string();
    if (file.rfind(prefix + ".", 0) == 0 && remove(file)) ++removed;
  }
  return removed;
}

}  // namespace hserver::platform
