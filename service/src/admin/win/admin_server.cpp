// The Windows admin channel (a named pipe with a DACL for Administrators) is not built yet: the service
// says so at start instead of pretending, and runs without it. docs/windows.md tells the workaround.
#include "admin/admin_server.hpp"

namespace hserver::service {

struct AdminServer::Impl {};

AdminServer::AdminServer(boost::asio::io_context&, Dispatcher&) : impl_(std::make_unique<Impl>()) {}
AdminServer::~AdminServer() = default;

Status<std::string> AdminServer::start(const std::string&) {
  return Unexpected{std::string("the admin channel (1chserverctl) is not available on Windows yet")};
}

void AdminServer::stop() {}

}  // namespace hserver::service
