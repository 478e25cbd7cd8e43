// POSIX has no self-installation: the service runs under systemd from a systemd unit, which
// is reviewed and versioned rather than written by the binary.
#include "host/service_installer.hpp"

namespace hserver::service {
namespace {

constexpr int kExitNotSupported = 2;

InstallError not_supported() {
  return InstallError{kExitNotSupported, "not supported on this OS: use the systemd unit"};
}

}  // namespace

Status<InstallError> install_service(const InstallOptions&) {
  return Unexpected{not_supported()};
}

Status<InstallError> uninstall_service(const std::string&) {
  return Unexpected{not_supported()};
}

}  // namespace hserver::service
