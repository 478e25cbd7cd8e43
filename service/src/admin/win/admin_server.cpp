// The Windows admin channel: a local named pipe (\\.\pipe\<prefix>.admin) served on the service's
// io_context. Several overlapped instances wait for clients at once (ConnectNamedPipe through an
// asio::windows::overlapped_ptr); each connected instance is an asio::windows::stream_handle that reads a
// line, answers it through handle_admin_line and reads the next, like the POSIX Unix-socket server.
// Who may connect is the pipe's DACL: SYSTEM, Administrators and the service's own account (so a service
// started in a console by an administrator works), read and write only; remote clients are refused.
#include "admin/admin_server.hpp"

#include <windows.h>

#include <sddl.h>

#include <istream>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include <spdlog/spdlog.h>
#include <boost/asio/post.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/windows/overlapped_ptr.hpp>
#include <boost/asio/windows/stream_handle.hpp>
#include <boost/asio/write.hpp>

#include "admin/admin_commands.hpp"

namespace hserver::service {

namespace net = boost::asio;

namespace {

constexpr std::size_t kMaxLine = 64 * 1024;
constexpr DWORD kPipeBufferBytes = 16 * 1024;
// Instances waiting for a client at any time: a client finding them all busy waits (WaitNamedPipeW)
// until the connected one is replaced, which happens as soon as it connects.
constexpr int kListeningInstances = 2;

using Strand = net::strand<net::io_context::executor_type>;

std::string system_message(DWORD error) {
  return boost::system::error_code(static_cast<int>(error), boost::system::system_category()).message() + " (error " +
         std::to_string(error) + ")";
}

std::wstring widen(const std::string& text) {
  if (text.empty()) return {};
  const int n = ::MultiByteToWideChar(CP_UTF8, 0, text.data(), static_cast<int>(text.size()), nullptr, 0);
  std::wstring out(static_cast<std::size_t>(n), L'\0');
  ::MultiByteToWideChar(CP_UTF8, 0, text.data(), static_cast<int>(text.size()), out.data(), n);
  return out;
}

/// The SID string of the account this process runs as: the virtual account NT SERVICE\<name> under the
/// SCM, the logged-on administrator in a console. Empty if it cannot be read.
std::wstring own_account_sid() {
  HANDLE token = nullptr;
  if (!::OpenProcessToken(::GetCurrentProcess(), TOKEN_QUERY, &token)) return {};
  std::vector<unsigned char> buffer;
  DWORD bytes = 0;
  ::GetTokenInformation(token, TokenUser, nullptr, 0, &bytes);
  buffer.resize(bytes);
  std::wstring out;
  wchar_t* text = nullptr;
  if (bytes != 0 && ::GetTokenInformation(token, TokenUser, buffer.data(), bytes, &bytes) &&
      ::ConvertSidToStringSidW(reinterpret_cast<TOKEN_USER*>(buffer.data())->User.Sid, &text)) {
    out = text;
    ::LocalFree(text);
  }
  ::CloseHandle(token);
  return out;
}

/// The pipe's security descriptor: an explicit, protected DACL (never a NULL DACL) granting read and
/// write to SYSTEM, BUILTIN\Administrators and the service's own account, and nothing to anyone else.
/// (The shared-memory layer's make_security() grants GENERIC_ALL; the admin pipe needs no more than this.)
struct PipeSecurity {
  std::unique_ptr<void, decltype(&::LocalFree)> descriptor{nullptr, &::LocalFree};
  SECURITY_ATTRIBUTES attributes{};
};

Expected<std::unique_ptr<PipeSecurity>, std::string> make_pipe_security() {
  std::wstring sddl = L"D:P(A;;GRGW;;;SY)(A;;GRGW;;;BA)";
  if (const std::wstring self = own_account_sid(); !self.empty()) sddl += L"(A;;GRGW;;;" + self + L")";
  PSECURITY_DESCRIPTOR descriptor = nullptr;
  if (!::ConvertStringSecurityDescriptorToSecurityDescriptorW(sddl.c_str(), SDDL_REVISION_1, &descriptor, nullptr)) {
    return Unexpected{"cannot build the admin pipe's security descriptor: " + system_message(::GetLastError())};
  }
  auto security = std::make_unique<PipeSecurity>();
  security->descriptor.reset(descriptor);
  security->attributes.nLength = sizeof(SECURITY_ATTRIBUTES);
  security->attributes.lpSecurityDescriptor = descriptor;
  security->attributes.bInheritHandle = FALSE;
  return security;
}

class PipeListener;

/// One pipe instance: waits for a client, then lines in, lines out, until the peer closes.
class PipeInstance : public std::enable_shared_from_this<PipeInstance> {
 public:
  PipeInstance(net::io_context& io, Dispatcher& dispatcher, std::shared_ptr<PipeListener> listener)
      : strand_(net::make_strand(io)),
        pipe_(strand_),
        dispatcher_(dispatcher),
        listener_(std::move(listener)),
        input_(kMaxLine) {}

  Status<std::string> assign(HANDLE handle) {
    boost::system::error_code ec;
    pipe_.assign(handle, ec);
    if (ec) {
      ::CloseHandle(handle);
      return Unexpected{"cannot use the admin pipe: " + ec.message()};
    }
    return {};
  }

  /// Starts waiting for a client, on the instance's strand (stop() closes it on the same strand).
  void listen() {
    net::post(strand_, [self = shared_from_this()] { self->connect(); });
  }

  /// Closes the instance: a pending connect, read or write completes with an error.
  void close() {
    net::post(strand_, [self = shared_from_this()] {
      boost::system::error_code ignored;
      if (!self->pipe_.is_open()) return;
      self->pipe_.cancel(ignored);
      self->pipe_.close(ignored);
    });
  }

 private:
  void connect();
  void on_connected(boost::system::error_code ec);

  void read() {
    net::async_read_until(pipe_, input_, '\n', [self = shared_from_this()](boost::system::error_code ec, std::size_t) {
      if (ec) return;  // the client closed, the service stops, or a line longer than kMaxLine
      std::istream in(&self->input_);
      std::string line;
      std::getline(in, line);
      if (!line.empty() && line.back() == '\r') line.pop_back();
      // Drain answers later, from another thread: every answer is written on the instance's strand.
      handle_admin_line(line, self->dispatcher_, [self](std::string reply) {
        net::post(self->strand_, [self, reply = std::move(reply)]() mutable { self->write(std::move(reply)); });
      });
    });
  }

  void write(std::string reply) {
    auto buffer = std::make_shared<std::string>(std::move(reply));
    net::async_write(pipe_, net::buffer(*buffer),
                     [self = shared_from_this(), buffer](boost::system::error_code ec, std::size_t) {
                       if (!ec) self->read();
                     });
  }

  Strand strand_;
  net::windows::stream_handle pipe_;
  Dispatcher& dispatcher_;
  std::shared_ptr<PipeListener> listener_;
  net::streambuf input_;
};

/// The pipe name and its instances. Shared by the instances, so that a late completion never reaches a
/// destroyed AdminServer.
class PipeListener : public std::enable_shared_from_this<PipeListener> {
 public:
  PipeListener(net::io_context& io, Dispatcher& dispatcher, std::string path, std::unique_ptr<PipeSecurity> security)
      : io_(io), dispatcher_(dispatcher), path_(std::move(path)), name_(widen(path_)), security_(std::move(security)) {}

  /// The first instance claims the name (FILE_FLAG_FIRST_PIPE_INSTANCE): a second service with the same
  /// pipe name fails here instead of sharing the name with the first.
  Status<std::string> start() {
    // Asked first as well: Wine ignores FILE_FLAG_FIRST_PIPE_INSTANCE. An existing pipe either has a free
    // instance (TRUE) or has none for now (ERROR_SEM_TIMEOUT); a missing one is ERROR_FILE_NOT_FOUND.
    if (::WaitNamedPipeW(name_.c_str(), 1) || ::GetLastError() == ERROR_SEM_TIMEOUT) return already_listening();
    for (int i = 0; i < kListeningInstances; ++i) {
      if (auto added = add_instance(i == 0); !added) {
        stop();
        return added;
      }
    }
    return {};
  }

  /// A client took an instance: another one takes its place, so that the next client finds one.
  void replace_instance() {
    if (auto added = add_instance(false); !added) spdlog::warn("admin channel: {}", added.error());
  }

  void stop() {
    std::vector<std::weak_ptr<PipeInstance>> instances;
    {
      std::lock_guard lock(mutex_);
      stopped_ = true;
      instances.swap(instances_);
    }
    for (const auto& weak : instances) {
      if (auto instance = weak.lock()) instance->close();
    }
  }

 private:
  Status<std::string> add_instance(bool first) {
    std::lock_guard lock(mutex_);
    if (stopped_) return {};
    DWORD open_mode = PIPE_ACCESS_DUPLEX | FILE_FLAG_OVERLAPPED;
    if (first) open_mode |= FILE_FLAG_FIRST_PIPE_INSTANCE;
    const HANDLE handle = ::CreateNamedPipeW(
        name_.c_str(), open_mode, PIPE_TYPE_BYTE | PIPE_READMODE_BYTE | PIPE_WAIT | PIPE_REJECT_REMOTE_CLIENTS,
        PIPE_UNLIMITED_INSTANCES, kPipeBufferBytes, kPipeBufferBytes, 0, &security_->attributes);
    if (handle == INVALID_HANDLE_VALUE) {
      const DWORD error = ::GetLastError();
      if (first && error == ERROR_ACCESS_DENIED) return already_listening();
      if (error == ERROR_INVALID_NAME || error == ERROR_BAD_PATHNAME || error == ERROR_PATH_NOT_FOUND) {
        return Unexpected{"invalid admin pipe name " + path_ +
                          " (on Windows admin_socket must be \\\\.\\pipe\\<name>)"};
      }
      return Unexpected{"cannot create the admin pipe " + path_ + ": " + system_message(error)};
    }
    auto instance = std::make_shared<PipeInstance>(io_, dispatcher_, shared_from_this());
    if (auto assigned = instance->assign(handle); !assigned) return assigned;
    // Forget instances that have ended, so that a long-running service does not collect them.
    std::erase_if(instances_, [](const std::weak_ptr<PipeInstance>& weak) { return weak.expired(); });
    instances_.push_back(instance);
    instance->listen();
    return {};
  }

  Unexpected<std::string> already_listening() const {
    return Unexpected{"another 1chserver already listens on " + path_ +
                      " (stop that service, or give this one another shm_prefix or admin_socket)"};
  }

  net::io_context& io_;
  Dispatcher& dispatcher_;
  const std::string path_;
  const std::wstring name_;
  const std::unique_ptr<PipeSecurity> security_;
  std::mutex mutex_;
  bool stopped_ = false;
  std::vector<std::weak_ptr<PipeInstance>> instances_;  // waiting for a client, or connected
};

void PipeInstance::connect() {
  if (!pipe_.is_open()) return;  // closed by stop() before it began
  net::windows::overlapped_ptr overlapped(
      strand_, [self = shared_from_this()](boost::system::error_code ec, std::size_t) { self->on_connected(ec); });
  const BOOL ok = ::ConnectNamedPipe(pipe_.native_handle(), overlapped.get());
  const DWORD error = ::GetLastError();
  if (!ok && error == ERROR_PIPE_CONNECTED) {
    overlapped.complete(boost::system::error_code(), 0);  // the client came first: no completion is queued
  } else if (!ok && error != ERROR_IO_PENDING) {
    overlapped.complete(boost::system::error_code(static_cast<int>(error), boost::system::system_category()), 0);
  } else {
    overlapped.release();  // the completion port delivers the result
  }
}

void PipeInstance::on_connected(boost::system::error_code ec) {
  if (ec == net::error::operation_aborted || !pipe_.is_open()) return;  // stop() closed it
  // Whatever became of this client, the next one needs a waiting instance.
  listener_->replace_instance();
  if (ec) {
    // ERROR_NO_DATA: the client closed before it was accepted. Nothing to serve; the instance ends.
    if (ec.value() != ERROR_NO_DATA) spdlog::warn("admin channel: connecting a client failed: {}", ec.message());
    return;
  }
  read();
}

}  // namespace

struct AdminServer::Impl {
  Impl(net::io_context& i, Dispatcher& d) : io(i), dispatcher(d) {}
  net::io_context& io;
  Dispatcher& dispatcher;
  std::shared_ptr<PipeListener> listener;
};

AdminServer::AdminServer(net::io_context& io, Dispatcher& dispatcher) : impl_(std::make_unique<Impl>(io, dispatcher)) {}

// Only asks the instances to close (on their strands): if the io_context no longer runs, destroying it
// closes the handles and drops the pending operations, so nothing here waits.
AdminServer::~AdminServer() {
  stop();
}

Status<std::string> AdminServer::start(const std::string& path) {
  if (impl_->listener) return Unexpected{std::string("the admin channel is already started")};
  auto security = make_pipe_security();
  if (!security) return Unexpected{security.error()};
  auto listener = std::make_shared<PipeListener>(impl_->io, impl_->dispatcher, path, std::move(*security));
  if (auto started = listener->start(); !started) return started;
  impl_->listener = std::move(listener);
  return {};
}

void AdminServer::stop() {
  if (!impl_->listener) return;
  impl_->listener->stop();
  impl_->listener.reset();
}

}  // namespace hserver::service
