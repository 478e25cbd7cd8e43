#include "hserver/host/addin.hpp"

#include <cstring>
#include <deque>
#include <sstream>
#include <stdexcept>

#include "hserver/host/platform.hpp"
#include "hserver/host/text.hpp"

namespace hserver::host {
namespace {

// Member functions as the platform ABI calls them: the subobject pointer first.
using InitFn = bool(HSERVER_HOST_CALL*)(void*, void*);
using SetMemManagerFn = bool(HSERVER_HOST_CALL*)(void*, void*);
using GetInfoFn = long(HSERVER_HOST_CALL*)(void*);
using DoneFn = void(HSERVER_HOST_CALL*)(void*);
using RegisterExtensionAsFn = bool(HSERVER_HOST_CALL*)(void*, abi::WChar**);
using CountFn = long(HSERVER_HOST_CALL*)(void*);
using FindFn = long(HSERVER_HOST_CALL*)(void*, const abi::WChar*);
using GetNameFn = const abi::WChar*(HSERVER_HOST_CALL*)(void*, long, long);
using GetPropValFn = bool(HSERVER_HOST_CALL*)(void*, long, abi::Variant*);
using SetPropValFn = bool(HSERVER_HOST_CALL*)(void*, long, abi::Variant*);
using PredicateFn = bool(HSERVER_HOST_CALL*)(void*, long);
using GetNParamsFn = long(HSERVER_HOST_CALL*)(void*, long);
using GetParamDefValueFn = bool(HSERVER_HOST_CALL*)(void*, long, long, abi::Variant*);
using CallAsProcFn = bool(HSERVER_HOST_CALL*)(void*, long, abi::Variant*, long);
using CallAsFuncFn = bool(HSERVER_HOST_CALL*)(void*, long, abi::Variant*, abi::Variant*, long);
using SetStringFn = void(HSERVER_HOST_CALL*)(void*, const abi::WChar*);

abi::Variant empty_variant() {
  abi::Variant variant;
  std::memset(static_cast<void*>(&variant), 0, sizeof(variant));
  variant.vt = abi::kEmpty;
  return variant;
}

/// Buffers the host (as 1C) owns for the duration of one call; a deque never moves its elements.
struct ArgumentStorage {
  std::deque<std::basic_string<abi::WChar>> strings;
  std::deque<std::string> blobs;
};

abi::Variant make_variant(const Value& value, ArgumentStorage& storage) {
  abi::Variant variant = empty_variant();
  struct Visitor {
    abi::Variant& v;
    ArgumentStorage& storage;
    void operator()(std::monostate) const { v.vt = abi::kEmpty; }
    void operator()(bool b) const { v.boolean = b, v.vt = abi::kBool; }
    void operator()(std::int32_t i) const { v.i32 = i, v.vt = abi::kI4; }
    void operator()(std::int64_t i) const { v.i64 = i, v.vt = abi::kI8; }
    void operator()(std::uint32_t u) const { v.u32 = u, v.vt = abi::kUi4; }
    void operator()(std::uint64_t u) const { v.u64 = u, v.vt = abi::kUi8; }
    void operator()(double d) const { v.r8 = d, v.vt = abi::kR8; }
    void operator()(const std::string& s) const {
      const auto utf16 = to_utf16(s);
      if (!utf16) throw std::invalid_argument("the host was asked to pass invalid UTF-8");
      auto& wide = storage.strings.emplace_back(to_wide(*utf16));
      v.wide.data = wide.data();
      v.wide.length = static_cast<std::uint32_t>(wide.size());
      v.vt = abi::kPwstr;
    }
    void operator()(const Blob& b) const {
      auto& bytes = storage.blobs.emplace_back(b.bytes);
      v.bytes.data = bytes.data();
      v.bytes.length = static_cast<std::uint32_t>(bytes.size());
      v.vt = abi::kBlob;
    }
  };
  std::visit(Visitor{variant, storage}, value);
  return variant;
}

std::string quoted(std::string_view text) {
  std::string out = "\"";
  out += text;
  out += '"';
  return out;
}

}  // namespace

std::string describe(const Value& value) {
  struct Visitor {
    std::string operator()(std::monostate) const { return "EMPTY"; }
    std::string operator()(bool b) const { return b ? "BOOL true" : "BOOL false"; }
    std::string operator()(std::int32_t i) const { return "I4 " + std::to_string(i); }
    std::string operator()(std::int64_t i) const { return "I8 " + std::to_string(i); }
    std::string operator()(std::uint32_t u) const { return "UI4 " + std::to_string(u); }
    std::string operator()(std::uint64_t u) const { return "UI8 " + std::to_string(u); }
    std::string operator()(double d) const {
      std::ostringstream out;
      out.precision(17);
      out << "R8 " << d;
      return out.str();
    }
    std::string operator()(const std::string& s) const { return "PWSTR " + quoted(s); }
    std::string operator()(const Blob& b) const { return "BLOB " + std::to_string(b.bytes.size()) + " bytes"; }
  };
  return std::visit(Visitor{}, value);
}

bool CallResult::raised() const {
  if (!returned) return true;
  for (const auto& error : errors) {
    if (error.scode != 0) return true;
  }
  return false;
}

std::string CallResult::error_text() const {
  std::string text;
  for (const auto& error : errors) {
    if (!text.empty()) text += "; ";
    text += error.description;
  }
  return text;
}

// -----------------------------------------------------------------------------------------------------
// AddinLibrary

namespace {

using platform::close_library;
using platform::find_symbol;
using platform::open_library;

template <class Fn>
Fn symbol(void* handle, const char* name, bool required) {
  void* address = find_symbol(handle, name);
  if (address == nullptr && required) {
    throw std::runtime_error(std::string("the add-in library does not export ") + name);
  }
  return reinterpret_cast<Fn>(address);
}

}  // namespace

AddinLibrary::AddinLibrary(const std::string& path) {
  std::string error;
  handle_ = open_library(path, error);
  if (handle_ == nullptr) throw std::runtime_error("cannot load the add-in " + path + ": " + error);
  try {
    get_class_object_ = symbol<abi::GetClassObjectFn>(handle_, "GetClassObject", true);
    destroy_object_ = symbol<abi::DestroyObjectFn>(handle_, "DestroyObject", true);
    get_class_names_ = symbol<abi::GetClassNamesFn>(handle_, "GetClassNames", true);
    set_platform_capabilities_ = symbol<abi::SetPlatformCapabilitiesFn>(handle_, "SetPlatformCapabilities", false);
    get_attach_type_ = symbol<abi::GetAttachTypeFn>(handle_, "GetAttachType", false);
  } catch (...) {
    close_library(handle_);
    throw;
  }
}

AddinLibrary::~AddinLibrary() {
  close_library(handle_);
}

std::vector<std::u16string> AddinLibrary::class_names() const {
  std::vector<std::u16string> names;
  const std::u16string all = from_wide(get_class_names_());
  std::size_t start = 0;
  while (start <= all.size()) {
    const std::size_t bar = all.find(u'|', start);
    const std::size_t end = bar == std::u16string::npos ? all.size() : bar;
    if (end > start) names.push_back(all.substr(start, end - start));
    if (bar == std::u16string::npos) break;
    start = bar + 1;
  }
  return names;
}

int AddinLibrary::set_platform_capabilities(int capabilities) const {
  return set_platform_capabilities_ != nullptr ? set_platform_capabilities_(capabilities) : -1;
}

std::optional<int> AddinLibrary::attach_type() const {
  if (get_attach_type_ == nullptr) return std::nullopt;
  return get_attach_type_();
}

void* AddinLibrary::create_object(std::u16string_view class_name) const {
  const auto wide = to_wide(class_name);
  void* object = nullptr;
  if (get_class_object_(wide.c_str(), &object) == 0) return nullptr;
  return object;
}

long AddinLibrary::destroy_object(void*& object, Violations& violations) const {
  const long result = destroy_object_(&object);
  if (object != nullptr) violations.add("DestroyObject did not set the object pointer to null");
  if (result != 0) violations.add("DestroyObject returned " + std::to_string(result) + " instead of 0");
  object = nullptr;
  return result;
}

// -----------------------------------------------------------------------------------------------------
// AddinObject

AddinObject::AddinObject(void* object, MemoryLedger& ledger, Connection& connection, Violations& violations)
    : object_(object), ledger_(ledger), connection_(connection), violations_(violations) {}

void* AddinObject::subobject(std::size_t offset) const {
  return static_cast<char*>(object_) + offset;
}

template <class Fn>
Fn AddinObject::slot(std::size_t subobject_offset, int index) const {
  const abi::Slot* vtable = *static_cast<const abi::Slot* const*>(subobject(subobject_offset));
  return reinterpret_cast<Fn>(vtable[index]);
}

bool AddinObject::init(void* connection) {
  return slot<InitFn>(abi::kInitDoneOffset, abi::kInit)(subobject(abi::kInitDoneOffset), connection);
}

bool AddinObject::set_mem_manager(void* memory_manager) {
  return slot<SetMemManagerFn>(abi::kInitDoneOffset, abi::kSetMemManager)(subobject(abi::kInitDoneOffset),
                                                                          memory_manager);
}

long AddinObject::get_info() {
  return slot<GetInfoFn>(abi::kInitDoneOffset, abi::kGetInfo)(subobject(abi::kInitDoneOffset));
}

void AddinObject::done() {
  slot<DoneFn>(abi::kInitDoneOffset, abi::kDone)(subobject(abi::kInitDoneOffset));
}

std::optional<std::u16string> AddinObject::take_name(const abi::WChar* name, std::string_view what) {
  if (name == nullptr) return std::nullopt;
  std::u16string copy = from_wide(name);
  // A name has no length beside it: 1C reads up to the terminating zero, which must be in the block.
  ledger_.release_returned(name, (copy.size() + 1) * sizeof(abi::WChar), what);
  return copy;
}

Value AddinObject::take_value(abi::Variant& variant, std::string_view what) {
  const std::string where(what);
  Value value;
  switch (variant.vt) {
    case abi::kEmpty:
    case abi::kNull:
      break;
    case abi::kBool:
      value = variant.boolean;
      break;
    case abi::kI1:
      value = std::int32_t{variant.i8};
      break;
    case abi::kI2:
      value = std::int32_t{variant.i16};
      break;
    case abi::kI4:
    case abi::kInt:
      value = variant.i32;
      break;
    case abi::kUi1:
      value = std::uint32_t{variant.u8};
      break;
    case abi::kUi2:
      value = std::uint32_t{variant.u16};
      break;
    case abi::kUi4:
    case abi::kUint:
      value = variant.u32;
      break;
    case abi::kI8:
      value = variant.i64;
      break;
    case abi::kUi8:
      value = variant.u64;
      break;
    case abi::kR4:
      value = double{variant.r4};
      break;
    case abi::kR8:
      value = variant.r8;
      break;
    case abi::kPwstr: {
      if (variant.wide.data == nullptr) {
        if (variant.wide.length != 0) violations_.add(where + ": PWSTR with a null pointer and a length");
        value = std::string();
        break;
      }
      const std::u16string text = from_wide(variant.wide.data, variant.wide.length);
      ledger_.release_returned(variant.wide.data, variant.wide.length * sizeof(abi::WChar), where);
      auto utf8 = to_utf8(text);
      if (!utf8) violations_.add(where + ": the returned string is not valid UTF-16");
      value = utf8 ? std::move(*utf8) : to_utf8_lossy(text);
      break;
    }
    case abi::kBlob:
    case abi::kPstr: {
      std::string bytes;
      if (variant.bytes.data == nullptr) {
        if (variant.bytes.length != 0) violations_.add(where + ": BLOB/PSTR with a null pointer and a length");
      } else {
        bytes.assign(variant.bytes.data, variant.bytes.length);
        ledger_.release_returned(variant.bytes.data, variant.bytes.length, where);
      }
      if (variant.vt == abi::kBlob) {
        value = Blob{std::move(bytes)};
      } else {
        value = std::move(bytes);
      }
      break;
    }
    default:
      violations_.add(where + ": unexpected variant type " + std::to_string(variant.vt));
      break;
  }
  variant = empty_variant();
  return value;
}

std::optional<std::u16string> AddinObject::register_extension_as() {
  abi::WChar* name = nullptr;
  const bool ok = slot<RegisterExtensionAsFn>(abi::kLanguageExtenderOffset, abi::kRegisterExtensionAs)(
      subobject(abi::kLanguageExtenderOffset), &name);
  if (!ok) return std::nullopt;
  if (name == nullptr) {
    violations_.add("RegisterExtensionAs returned true without a name");
    return std::nullopt;
  }
  return take_name(name, "RegisterExtensionAs");
}

long AddinObject::get_n_props() {
  return slot<CountFn>(abi::kLanguageExtenderOffset, abi::kGetNProps)(subobject(abi::kLanguageExtenderOffset));
}

long AddinObject::find_prop(std::u16string_view name) {
  const auto wide = to_wide(name);
  return slot<FindFn>(abi::kLanguageExtenderOffset, abi::kFindProp)(subobject(abi::kLanguageExtenderOffset),
                                                                    wide.c_str());
}

std::optional<std::u16string> AddinObject::get_prop_name(long prop, long alias) {
  const abi::WChar* name = slot<GetNameFn>(abi::kLanguageExtenderOffset, abi::kGetPropName)(
      subobject(abi::kLanguageExtenderOffset), prop, alias);
  return take_name(name, "GetPropName(" + std::to_string(prop) + ", " + std::to_string(alias) + ")");
}

CallResult AddinObject::get_prop_val(long prop) {
  abi::Variant variant = empty_variant();
  connection_.begin_call();
  CallResult result;
  result.returned = slot<GetPropValFn>(abi::kLanguageExtenderOffset, abi::kGetPropVal)(
      subobject(abi::kLanguageExtenderOffset), prop, &variant);
  result.errors = connection_.end_call();
  // As 1C: the value is read (and its memory freed) only when the call succeeded.
  if (result.returned) result.value = take_value(variant, "GetPropVal(" + std::to_string(prop) + ")");
  return result;
}

CallResult AddinObject::set_prop_val(long prop, const Value& value) {
  ArgumentStorage storage;
  abi::Variant variant = make_variant(value, storage);
  connection_.begin_call();
  CallResult result;
  result.returned = slot<SetPropValFn>(abi::kLanguageExtenderOffset, abi::kSetPropVal)(
      subobject(abi::kLanguageExtenderOffset), prop, &variant);
  result.errors = connection_.end_call();
  return result;
}

bool AddinObject::is_prop_readable(long prop) {
  return slot<PredicateFn>(abi::kLanguageExtenderOffset, abi::kIsPropReadable)(subobject(abi::kLanguageExtenderOffset),
                                                                               prop);
}

bool AddinObject::is_prop_writable(long prop) {
  return slot<PredicateFn>(abi::kLanguageExtenderOffset, abi::kIsPropWritable)(subobject(abi::kLanguageExtenderOffset),
                                                                               prop);
}

long AddinObject::get_n_methods() {
  return slot<CountFn>(abi::kLanguageExtenderOffset, abi::kGetNMethods)(subobject(abi::kLanguageExtenderOffset));
}

long AddinObject::find_method(std::u16string_view name) {
  const auto wide = to_wide(name);
  return slot<FindFn>(abi::kLanguageExtenderOffset, abi::kFindMethod)(subobject(abi::kLanguageExtenderOffset),
                                                                      wide.c_str());
}

std::optional<std::u16string> AddinObject::get_method_name(long method, long alias) {
  const abi::WChar* name = slot<GetNameFn>(abi::kLanguageExtenderOffset, abi::kGetMethodName)(
      subobject(abi::kLanguageExtenderOffset), method, alias);
  return take_name(name, "GetMethodName(" + std::to_string(method) + ", " + std::to_string(alias) + ")");
}

long AddinObject::get_n_params(long method) {
  return slot<GetNParamsFn>(abi::kLanguageExtenderOffset, abi::kGetNParams)(subobject(abi::kLanguageExtenderOffset),
                                                                            method);
}

std::optional<Value> AddinObject::get_param_def_value(long method, long param) {
  abi::Variant variant = empty_variant();
  const bool returned = slot<GetParamDefValueFn>(abi::kLanguageExtenderOffset, abi::kGetParamDefValue)(
      subobject(abi::kLanguageExtenderOffset), method, param, &variant);
  if (!returned) return std::nullopt;
  return take_value(variant, "GetParamDefValue(" + std::to_string(method) + ", " + std::to_string(param) + ")");
}

bool AddinObject::has_ret_val(long method) {
  return slot<PredicateFn>(abi::kLanguageExtenderOffset, abi::kHasRetVal)(subobject(abi::kLanguageExtenderOffset),
                                                                          method);
}

CallResult AddinObject::call(long method, bool as_function, std::span<const Value> params) {
  ArgumentStorage storage;
  std::vector<abi::Variant> variants;
  variants.reserve(params.size());
  for (const Value& value : params) variants.push_back(make_variant(value, storage));
  abi::Variant* array = variants.empty() ? nullptr : variants.data();
  const long count = static_cast<long>(variants.size());

  CallResult result;
  connection_.begin_call();
  if (as_function) {
    abi::Variant returned = empty_variant();
    result.returned = slot<CallAsFuncFn>(abi::kLanguageExtenderOffset, abi::kCallAsFunc)(
        subobject(abi::kLanguageExtenderOffset), method, &returned, array, count);
    result.errors = connection_.end_call();
    if (result.returned) result.value = take_value(returned, "CallAsFunc(" + std::to_string(method) + ") result");
  } else {
    result.returned = slot<CallAsProcFn>(abi::kLanguageExtenderOffset, abi::kCallAsProc)(
        subobject(abi::kLanguageExtenderOffset), method, array, count);
    result.errors = connection_.end_call();
  }
  return result;
}

CallResult AddinObject::call_as_proc(long method, std::span<const Value> params) {
  return call(method, false, params);
}

CallResult AddinObject::call_as_func(long method, std::span<const Value> params) {
  return call(method, true, params);
}

void AddinObject::set_locale(std::u16string_view locale) {
  const auto wide = to_wide(locale);
  slot<SetStringFn>(abi::kLocaleOffset, abi::kSetLocale)(subobject(abi::kLocaleOffset), wide.c_str());
}

void AddinObject::set_user_interface_language_code(std::u16string_view code) {
  const auto wide = to_wide(code);
  slot<SetStringFn>(abi::kUserLanguageOffset, abi::kSetUserInterfaceLanguageCode)(subobject(abi::kUserLanguageOffset),
                                                                                  wide.c_str());
}

}  // namespace hserver::host
