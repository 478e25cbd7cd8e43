#pragma once
/// @brief The add-in object as 1C drives it: created by ProgID, Init with the host's connection, GetInfo,
/// then properties and methods through ILanguageExtender by name (FindMethod/FindProp), with parameters
/// in a SAFEARRAY of VARIANT completed from GetParamDefValue, as 1C does.

#include <string>
#include <vector>

#include "hserver/comhost/com_abi.hpp"
#include "hserver/comhost/connection.hpp"
#include "hserver/comhost/value.hpp"

namespace hserver::comhost {

/// @brief The outcome of one call: ok, or the error text 1C would show (from AddError).
struct CallResult {
  bool ok = false;
  Value value;
  std::string error;
};

class Addin {
 public:
  /// @throws std::runtime_error when the ProgID is not registered or the object lacks an interface.
  Addin(const wchar_t* prog_id, Connection& connection, Violations& violations);
  ~Addin();  ///< Done and release (if close() was not called)
  Addin(const Addin&) = delete;
  Addin& operator=(const Addin&) = delete;

  /// @brief Init + GetInfo (must be VT_I4 2000) + RegisterExtensionAs (must be "1CHServer").
  bool initialize();
  /// @brief Names in odd case, aliases, unknown names, a read-only property, a bad argument: records a
  /// violation for every wrong answer.
  void check_surface();
  /// @brief A method by any of its names; `args` completed from the defaults.
  CallResult call(const std::string& name, const std::vector<Value>& args = {});
  /// @brief A property by any of its names.
  CallResult get(const std::string& name);
  /// @brief Done, then release; checks the add-in released the connection.
  void close();

 private:
  /// The errors of the call just made; a failed call without one is a violation (1C would show a
  /// generic message instead of the add-in's).
  std::string finish(const std::string& what, HRESULT result);

  Connection& connection_;
  Violations& violations_;
  abi::IInitDone* init_ = nullptr;
  abi::ILanguageExtender* extender_ = nullptr;
  bool initialized_ = false;
};

}  // namespace hserver::comhost
