#pragma once
/// @brief The admin channel's listener: only local administrators reach it. POSIX: a Unix socket in a
/// directory of mode 0750, the socket 0660, and every peer's uid checked (root or the service's own
/// user); Windows: a named pipe with a DACL (not yet built). One implementation per OS.

#include <memory>
#include <string>

#include <boost/asio/io_context.hpp>

#include "dispatch/dispatcher.hpp"
#include "hserver/common/expected.hpp"

namespace hserver::service {

class AdminServer {
 public:
  AdminServer(boost::asio::io_context& io, Dispatcher& dispatcher);
  ~AdminServer();  ///< closes the listener and removes the socket file
  AdminServer(const AdminServer&) = delete;
  AdminServer& operator=(const AdminServer&) = delete;

  /// @brief Listen at `path`. A stale socket file of a dead service is replaced; a live one is an error.
  Status<std::string> start(const std::string& path);
  void stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace hserver::service
