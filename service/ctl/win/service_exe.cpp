#include "win/service_exe.hpp"

#include <windows.h>

#include <iostream>

#include <boost/system/error_code.hpp>

namespace hserver::ctl {

namespace {

constexpr const wchar_t* kServiceExecutable = L"1chserver.exe";

std::string system_message(DWORD error) {
  return boost::system::error_code(static_cast<int>(error), boost::system::system_category()).message() + " (error " +
         std::to_string(error) + ")";
}

// argv of a MinGW main() is in the ANSI code page: converting back from it hands 1chserver.exe the very
// bytes 1chserverctl got.
std::wstring from_process_code_page(const std::string& text) {
  if (text.empty()) return {};
  const int n = ::MultiByteToWideChar(CP_ACP, 0, text.data(), static_cast<int>(text.size()), nullptr, 0);
  std::wstring out(static_cast<std::size_t>(n), L'\0');
  ::MultiByteToWideChar(CP_ACP, 0, text.data(), static_cast<int>(text.size()), out.data(), n);
  return out;
}

std::string to_process_code_page(const std::wstring& text) {
  if (text.empty()) return {};
  const int n =
      ::WideCharToMultiByte(CP_ACP, 0, text.data(), static_cast<int>(text.size()), nullptr, 0, nullptr, nullptr);
  std::string out(static_cast<std::size_t>(n), '\0');
  ::WideCharToMultiByte(CP_ACP, 0, text.data(), static_cast<int>(text.size()), out.data(), n, nullptr, nullptr);
  return out;
}

// One argument as CommandLineToArgvW (and the C runtime) split it back: quoted when it holds blanks or
// quotes, backslashes doubled only before a quote.
std::wstring quote_argument(const std::wstring& argument) {
  if (!argument.empty() && argument.find_first_of(L" \t\n\v\"") == std::wstring::npos) return argument;
  std::wstring out = L"\"";
  for (auto it = argument.begin();; ++it) {
    std::size_t backslashes = 0;
    while (it != argument.end() && *it == L'\\') {
      ++it;
      ++backslashes;
    }
    if (it == argument.end()) {
      out.append(backslashes * 2, L'\\');
      break;
    }
    if (*it == L'"') {
      out.append(backslashes * 2 + 1, L'\\');
    } else {
      out.append(backslashes, L'\\');
    }
    out.push_back(*it);
  }
  out.push_back(L'"');
  return out;
}

std::wstring own_folder() {
  std::wstring path(MAX_PATH, L'\0');
  for (;;) {
    const DWORD length = ::GetModuleFileNameW(nullptr, path.data(), static_cast<DWORD>(path.size()));
    if (length < path.size()) {
      path.resize(length);
      break;
    }
    path.resize(path.size() * 2);
  }
  const auto slash = path.find_last_of(L"\\/");
  return slash == std::wstring::npos ? std::wstring{} : path.substr(0, slash + 1);
}

}  // namespace

int run_service_executable(const std::vector<std::string>& arguments) {
  const std::wstring executable = own_folder() + kServiceExecutable;
  const DWORD attributes = ::GetFileAttributesW(executable.c_str());
  if (attributes == INVALID_FILE_ATTRIBUTES || (attributes & FILE_ATTRIBUTE_DIRECTORY) != 0) {
    std::cerr << "1chserverctl: " << to_process_code_page(executable)
              << " not found: 1chserverctl.exe installs the 1chserver.exe next to it\n";
    return 1;
  }
  std::wstring command_line = quote_argument(executable);
  for (const auto& argument : arguments) command_line += L" " + quote_argument(from_process_code_page(argument));

  STARTUPINFOW startup{};
  startup.cb = sizeof startup;
  startup.dwFlags = STARTF_USESTDHANDLES;  // its messages go where ours go, redirected or not
  startup.hStdInput = ::GetStdHandle(STD_INPUT_HANDLE);
  startup.hStdOutput = ::GetStdHandle(STD_OUTPUT_HANDLE);
  startup.hStdError = ::GetStdHandle(STD_ERROR_HANDLE);
  PROCESS_INFORMATION process{};
  if (!::CreateProcessW(executable.c_str(), command_line.data(), nullptr, nullptr, TRUE, 0, nullptr, nullptr, &startup,
                        &process)) {
    std::cerr << "1chserverctl: cannot start " << to_process_code_page(executable) << ": "
              << system_message(::GetLastError()) << "\n";
    return 1;
  }
  ::CloseHandle(process.hThread);
  // No timeout of our own: uninstall waits for the service to stop, bounded by 1chserver itself.
  ::WaitForSingleObject(process.hProcess, INFINITE);
  DWORD exit_code = 1;
  ::GetExitCodeProcess(process.hProcess, &exit_code);
  ::CloseHandle(process.hProcess);
  return static_cast<int>(exit_code);
}

}  // namespace hserver::ctl
