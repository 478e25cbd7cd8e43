// The client end of the admin channel on Windows: the service's named pipe (\\.\pipe\<prefix>.admin),
// overlapped so that every wait is bounded by the caller's timeout.
#include "admin_client.hpp"

#include <windows.h>

#include <algorithm>
#include <memory>

#include <boost/system/error_code.hpp>

namespace hserver::ctl {

namespace {

struct HandleCloser {
  void operator()(HANDLE h) const noexcept {
    if (h != nullptr && h != INVALID_HANDLE_VALUE) ::CloseHandle(h);
  }
};
using UniqueHandle = std::unique_ptr<void, HandleCloser>;

using Clock = std::chrono::steady_clock;

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

DWORD millis_left(Clock::time_point deadline) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
  return static_cast<DWORD>(std::clamp<long long>(left, 0, 0x7fffffff));
}

std::string not_running(const std::string& path) {
  return "the 1chserver service is not running (nothing listens on " + path + ")";
}

std::string access_denied(const std::string& path) {
  return "access denied: run 1chserverctl as administrator (the admin pipe " + path +
         " admits SYSTEM, Administrators and the service's own account)";
}

/// Opens the pipe; when every instance is busy, waits for one until the deadline.
Expected<UniqueHandle, std::string> open_pipe(const std::string& path, Clock::time_point deadline) {
  const std::wstring name = widen(path);
  for (;;) {
    // SECURITY_IDENTIFICATION: the service may learn who we are, but never act as us.
    UniqueHandle pipe{::CreateFileW(name.c_str(), GENERIC_READ | GENERIC_WRITE, 0, nullptr, OPEN_EXISTING,
                                    FILE_FLAG_OVERLAPPED | SECURITY_SQOS_PRESENT | SECURITY_IDENTIFICATION, nullptr)};
    if (pipe.get() != INVALID_HANDLE_VALUE) return pipe;
    const DWORD error = ::GetLastError();
    switch (error) {
      case ERROR_FILE_NOT_FOUND:
      case ERROR_PATH_NOT_FOUND:
        return Unexpected{not_running(path)};
      case ERROR_ACCESS_DENIED:
        return Unexpected{access_denied(path)};
      case ERROR_INVALID_NAME:
      case ERROR_BAD_PATHNAME:
        return Unexpected{"invalid admin pipe name " + path + " (on Windows it is \\\\.\\pipe\\<name>)"};
      case ERROR_PIPE_BUSY:
        break;
      default:
        return Unexpected{"cannot connect to " + path + ": " + system_message(error)};
    }
    // Busy: the service replaces a taken instance at once, so this wait is short unless it is stuck.
    const DWORD left = millis_left(deadline);
    if (left == 0 || !::WaitNamedPipeW(name.c_str(), std::max<DWORD>(left, 1))) {
      const DWORD wait_error = left == 0 ? ERROR_SEM_TIMEOUT : ::GetLastError();
      if (wait_error == ERROR_FILE_NOT_FOUND) return Unexpected{not_running(path)};
      if (wait_error == ERROR_SEM_TIMEOUT || Clock::now() >= deadline) {
        return Unexpected{"the service's admin channel " + path + " stayed busy; try again"};
      }
      return Unexpected{"cannot wait for " + path + ": " + system_message(wait_error)};
    }
  }
}

/// One overlapped read or write, waited for until the deadline (then cancelled). @return the bytes moved.
Expected<DWORD, std::string> transfer(HANDLE pipe, HANDLE event, bool write, char* data, DWORD size,
                                      Clock::time_point deadline) {
  OVERLAPPED overlapped{};
  overlapped.hEvent = event;
  const BOOL ok =
      write ? ::WriteFile(pipe, data, size, nullptr, &overlapped) : ::ReadFile(pipe, data, size, nullptr, &overlapped);
  if (!ok) {
    const DWORD error = ::GetLastError();
    if (error == ERROR_BROKEN_PIPE || error == ERROR_NO_DATA || error == ERROR_PIPE_NOT_CONNECTED) {
      return Unexpected{std::string("the service closed the admin connection")};
    }
    if (error != ERROR_IO_PENDING) {
      return Unexpected{std::string(write ? "cannot send to the service: " : "cannot read the service's answer: ") +
                        system_message(error)};
    }
  }
  DWORD bytes = 0;
  if (::WaitForSingleObject(event, millis_left(deadline)) != WAIT_OBJECT_0) {
    ::CancelIoEx(pipe, &overlapped);
    ::GetOverlappedResult(pipe, &overlapped, &bytes, TRUE);  // the buffer is ours again only after this
    return Unexpected{std::string("the service did not answer in time")};
  }
  if (!::GetOverlappedResult(pipe, &overlapped, &bytes, FALSE)) {
    const DWORD error = ::GetLastError();
    if (error == ERROR_BROKEN_PIPE || error == ERROR_PIPE_NOT_CONNECTED) {
      return Unexpected{std::string("the service closed the admin connection")};
    }
    return Unexpected{std::string(write ? "cannot send to the service: " : "cannot read the service's answer: ") +
                      system_message(error)};
  }
  return bytes;
}

}  // namespace

Expected<std::string, std::string> admin_call(const std::string& path, const std::string& request_line,
                                              std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  auto pipe = open_pipe(path, deadline);
  if (!pipe) return Unexpected{pipe.error()};
  UniqueHandle event{::CreateEventW(nullptr, TRUE, FALSE, nullptr)};
  if (!event) return Unexpected{"CreateEventW: " + system_message(::GetLastError())};

  std::string line = request_line + "\n";
  for (std::size_t sent = 0; sent < line.size();) {
    auto n =
        transfer(pipe->get(), event.get(), true, line.data() + sent, static_cast<DWORD>(line.size() - sent), deadline);
    if (!n) return Unexpected{n.error()};
    sent += *n;
  }
  std::string answer;
  char buffer[4096];
  while (answer.find('\n') == std::string::npos) {
    auto n = transfer(pipe->get(), event.get(), false, buffer, sizeof buffer, deadline);
    if (!n) return Unexpected{n.error()};
    if (*n == 0) return Unexpected{std::string("the service closed the admin connection")};
    answer.append(buffer, *n);
  }
  answer.resize(answer.find('\n'));
  if (!answer.empty() && answer.back() == '\r') answer.pop_back();
  return answer;
}

}  // namespace hserver::ctl
