#pragma once
/// @brief Loading a Native API add-in library and calling its object the way 1C does: through the
/// vtable slots of abi.hpp, with tVariant arguments, freeing whatever the add-in returns through the
/// memory ledger.

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "hserver/host/abi.hpp"
#include "hserver/host/connection.hpp"
#include "hserver/host/memory_ledger.hpp"
#include "hserver/host/violations.hpp"

namespace hserver::host {

/// @brief ДвоичныеДанные (VTYPE_BLOB).
struct Blob {
  std::string bytes;
  friend bool operator==(const Blob&, const Blob&) = default;
};

/// @brief A value as 1C passes or receives it; each alternative is one vt, so tests can check which
/// type the add-in returned: EMPTY, BOOL, I4, I8, UI4, UI8, R8, PWSTR (held as UTF-8 here), BLOB.
using Value = std::variant<std::monostate, bool, std::int32_t, std::int64_t, std::uint32_t, std::uint64_t, double,
                           std::string, Blob>;

/// @brief A readable rendering for logs and test failure messages ("I4 42", "PWSTR \"x\"").
std::string describe(const Value& value);

/// @brief The outcome of one call into the add-in, as 1C code would experience it.
struct CallResult {
  bool returned = false;               ///< what the method returned (true: success)
  Value value;                         ///< the result of CallAsFunc / GetPropVal
  std::vector<AddErrorRecord> errors;  ///< AddError calls made during the call

  /// @brief True when 1C code would raise an exception: the method returned false or reported an error
  /// with a nonzero scode.
  bool raised() const;
  bool ok() const { return !raised(); }
  /// @brief The descriptions of `errors`, joined with "; " (what 1C shows as the exception text).
  std::string error_text() const;
};

/// @brief A loaded add-in library (dlopen / LoadLibrary). Unloaded in the destructor: every object
/// must be destroyed first. Not thread-safe (1C loads on its main thread).
class AddinLibrary {
 public:
  /// @throws std::runtime_error when the library cannot be loaded or lacks a required export.
  explicit AddinLibrary(const std::string& path);
  ~AddinLibrary();
  AddinLibrary(const AddinLibrary&) = delete;
  AddinLibrary& operator=(const AddinLibrary&) = delete;

  /// @brief GetClassNames, split at '|'.
  std::vector<std::u16string> class_names() const;
  /// @brief SetPlatformCapabilities; returns what the add-in answered.
  int set_platform_capabilities(int capabilities) const;
  /// @brief GetAttachType, or nullopt when the library does not export it (older SDK).
  std::optional<int> attach_type() const;
  /// @brief GetClassObject; null when the add-in refused.
  void* create_object(std::u16string_view class_name) const;
  /// @brief DestroyObject; returns its result (0 on success) and checks it nulled the pointer.
  long destroy_object(void*& object, Violations& violations) const;

 private:
  void* handle_ = nullptr;
  abi::GetClassObjectFn get_class_object_ = nullptr;
  abi::DestroyObjectFn destroy_object_ = nullptr;
  abi::GetClassNamesFn get_class_names_ = nullptr;
  abi::SetPlatformCapabilitiesFn set_platform_capabilities_ = nullptr;
  abi::GetAttachTypeFn get_attach_type_ = nullptr;
};

/// @brief One add-in object (IComponentBase*), called slot by slot. Does not own the object (Session
/// destroys it). Must be used from one thread at a time, as 1C does.
class AddinObject {
 public:
  AddinObject(void* object, MemoryLedger& ledger, Connection& connection, Violations& violations);

  void* pointer() const noexcept { return object_; }

  // IInitDoneBase
  bool init(void* connection);
  bool set_mem_manager(void* memory_manager);
  long get_info();
  void done();

  // ILanguageExtenderBase
  /// @brief RegisterExtensionAs; the name is checked against the ledger and freed.
  std::optional<std::u16string> register_extension_as();
  long get_n_props();
  long find_prop(std::u16string_view name);
  std::optional<std::u16string> get_prop_name(long prop, long alias);
  CallResult get_prop_val(long prop);
  CallResult set_prop_val(long prop, const Value& value);
  bool is_prop_readable(long prop);
  bool is_prop_writable(long prop);
  long get_n_methods();
  long find_method(std::u16string_view name);
  std::optional<std::u16string> get_method_name(long method, long alias);
  long get_n_params(long method);
  /// @brief GetParamDefValue: nullopt when it returned false (no default).
  std::optional<Value> get_param_def_value(long method, long param);
  bool has_ret_val(long method);
  CallResult call_as_proc(long method, std::span<const Value> params);
  CallResult call_as_func(long method, std::span<const Value> params);

  // LocaleBase, UserLanguageBase
  void set_locale(std::u16string_view locale);
  void set_user_interface_language_code(std::u16string_view code);

 private:
  template <class Fn>
  Fn slot(std::size_t subobject_offset, int index) const;
  void* subobject(std::size_t offset) const;
  std::optional<std::u16string> take_name(const abi::WChar* name, std::string_view what);
  Value take_value(abi::Variant& variant, std::string_view what);
  CallResult call(long method, bool as_function, std::span<const Value> params);

  void* object_;
  MemoryLedger& ledger_;
  Connection& connection_;
  Violations& violations_;
};

}  // namespace hserver::host
