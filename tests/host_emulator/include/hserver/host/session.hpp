#pragma once
/// @brief Everything 1C does to bring an add-in object up and down, in 1C's order, plus calls by
/// name the way 1C code makes them (FindMethod in any case, GetNParams, GetParamDefValue for omitted
/// arguments, HasRetVal, CallAsProc / CallAsFunc). Strict about defaults: GetParamDefValue answering
/// true with an empty value is a violation and the call fails with «Недостаточно фактических параметров».
///
/// Typical use (a test):
///   Session session({.addin_path = HSERVER_ADDIN_SO});
///   auto version = session.get(u"версия");
///   auto started = session.call(u"Запустить", {std::int32_t{3188}});
///   session.close();
///   EXPECT_TRUE(session.violations().empty());

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "hserver/host/addin.hpp"
#include "hserver/host/connection.hpp"
#include "hserver/host/memory_ledger.hpp"
#include "hserver/host/violations.hpp"

namespace hserver::host {

struct SessionOptions {
  std::string addin_path;
  std::u16string class_name = u"HServer";  ///< which of GetClassNames to create
  int platform_capabilities = abi::kAppCapabilities3;
  long buffer_depth = 1;       ///< 1C's event buffer depth at start
  bool deliver_events = true;  ///< false: a server session (pull mode), events are refused
};

/// @brief Owns the library, the ledger, the connection and the object. Main-thread only (as 1C),
/// except connection(), which the add-in uses from its threads.
class Session {
 public:
  /// @brief GetClassNames, SetPlatformCapabilities, GetAttachType, GetClassObject, setMemManager, Init,
  /// GetInfo, RegisterExtensionAs, SetLocale, SetUserInterfaceLanguageCode.
  /// @throws std::runtime_error when any step fails (the message says which).
  explicit Session(const SessionOptions& options);
  ~Session();  ///< close()
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  /// @brief Done, DestroyObject, then the leak check. Idempotent.
  void close();

  /// @brief 1C code's `Объект.Метод(args...)`: CallAsFunc when HasRetVal, else CallAsProc. Omitted
  /// trailing arguments come from GetParamDefValue; an unknown name or a wrong count fails as in 1C.
  CallResult call(std::u16string_view method, std::vector<Value> args = {});
  /// @brief 1C code calling the method as a procedure (the value, if any, is dropped).
  CallResult call_proc(std::u16string_view method, std::vector<Value> args = {});
  /// @brief 1C code reading `Объект.Свойство`.
  CallResult get(std::u16string_view property);
  /// @brief 1C code writing `Объект.Свойство = Значение` (refused, as by 1C, when IsPropWritable is false).
  CallResult set(std::u16string_view property, const Value& value);

  const std::vector<std::u16string>& class_names() const noexcept { return class_names_; }
  const std::u16string& extension_name() const noexcept { return extension_name_; }
  int capabilities_answer() const noexcept { return capabilities_answer_; }
  std::optional<int> attach_type() const noexcept { return attach_type_; }

  AddinObject& object() { return *object_; }
  Connection& connection() { return connection_; }
  MemoryLedger& ledger() { return ledger_; }
  Violations& violations() { return violations_; }

 private:
  CallResult invoke(std::u16string_view method, std::vector<Value> args, bool as_function_if_possible);

  Violations violations_;
  MemoryLedger ledger_{violations_};
  Connection connection_{violations_};
  std::unique_ptr<AddinLibrary> library_;
  void* raw_object_ = nullptr;
  std::unique_ptr<AddinObject> object_;
  std::vector<std::u16string> class_names_;
  std::u16string extension_name_;
  int capabilities_answer_ = 0;
  std::optional<int> attach_type_;
  bool initialised_ = false;
  bool closed_ = false;
};

}  // namespace hserver::host
