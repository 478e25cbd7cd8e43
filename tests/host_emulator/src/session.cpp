#include "hserver/host/session.hpp"

#include <algorithm>
#include <iostream>
#include <stdexcept>
#include <variant>

#include "hserver/host/text.hpp"

namespace hserver::host {
namespace {

/// An error the host itself raises, as 1C does for a wrong call before reaching the add-in.
CallResult host_error(std::string description) {
  CallResult result;
  result.errors.push_back(AddErrorRecord{0, "1C host emulator", std::move(description), 1});
  return result;
}

}  // namespace

Session::Session(const SessionOptions& options) {
  library_ = std::make_unique<AddinLibrary>(options.addin_path);
  class_names_ = library_->class_names();
  if (std::find(class_names_.begin(), class_names_.end(), options.class_name) == class_names_.end()) {
    throw std::runtime_error("GetClassNames does not list " + to_utf8_lossy(options.class_name));
  }
  capabilities_answer_ = library_->set_platform_capabilities(options.platform_capabilities);
  attach_type_ = library_->attach_type();
  connection_.set_buffer_depth(options.buffer_depth);
  connection_.set_deliver_events(options.deliver_events);

  raw_object_ = library_->create_object(options.class_name);
  if (raw_object_ == nullptr) throw std::runtime_error("GetClassObject refused " + to_utf8_lossy(options.class_name));
  object_ = std::make_unique<AddinObject>(raw_object_, ledger_, connection_, violations_);

  try {
    if (!object_->set_mem_manager(ledger_.interface())) throw std::runtime_error("setMemManager returned false");
    if (!object_->init(connection_.interface())) throw std::runtime_error("Init returned false");
    initialised_ = true;
    if (const long info = object_->get_info(); info < 2000) {
      violations_.add("GetInfo returned " + std::to_string(info) + ": 2000 is needed for more than one object");
    }
    auto name = object_->register_extension_as();
    if (!name) throw std::runtime_error("RegisterExtensionAs failed");
    extension_name_ = std::move(*name);
    object_->set_locale(u"ru_RU");
    object_->set_user_interface_language_code(u"ru");
  } catch (...) {
    close();
    throw;
  }
}

Session::~Session() {
  try {
    close();
  } catch (...) {
    // A destructor must not throw; close() only fails on out-of-memory.
  }
}

void Session::close() {
  if (closed_) return;
  closed_ = true;
  if (object_ != nullptr) {
    if (initialised_) object_->done();
    library_->destroy_object(raw_object_, violations_);
    object_.reset();
  }
  ledger_.check_leaks();
  // Unloading proves the add-in left no thread running after DestroyObject: such a thread would crash
  // here, as it would in 1C when the platform unloads the library.
  library_.reset();
}

CallResult Session::invoke(std::u16string_view method, std::vector<Value> args, bool as_function_if_possible) {
  if (object_ == nullptr) return host_error("the object is destroyed");
  const long index = object_->find_method(method);
  if (index < 0) return host_error("Метод объекта не обнаружен (" + to_utf8_lossy(method) + ")");
  const long count = object_->get_n_params(index);
  if (static_cast<long>(args.size()) > count) return host_error("Слишком много фактических параметров");
  for (long i = static_cast<long>(args.size()); i < count; ++i) {
    auto default_value = object_->get_param_def_value(index, i);
    // A strict host: an empty default (VTYPE_EMPTY/NULL) is no default, as third-party hosts (and, for COM,
    // 1C's documentation) read it. An add-in that answers true with it breaks omitted arguments there.
    if (default_value && std::holds_alternative<std::monostate>(*default_value)) {
      violations_.add("GetParamDefValue(" + to_utf8_lossy(method) + ", " + std::to_string(i) +
                      ") returned true with an empty value: a strict host reads that as no default");
      return host_error("Недостаточно фактических параметров");
    }
    if (!default_value) return host_error("Недостаточно фактических параметров");
    args.push_back(std::move(*default_value));
  }
  CallResult result = as_function_if_possible && object_->has_ret_val(index) ? object_->call_as_func(index, args)
                                                                             : object_->call_as_proc(index, args);
  // AddError with scode 0 is a message 1C shows in its message window, without an exception: print it.
  for (const auto& error : result.errors) {
    if (error.scode == 0) std::cerr << "1c-host-emulator: message from the add-in: " << error.description << std::endl;
  }
  return result;
}

CallResult Session::call(std::u16string_view method, std::vector<Value> args) {
  return invoke(method, std::move(args), true);
}

CallResult Session::call_proc(std::u16string_view method, std::vector<Value> args) {
  return invoke(method, std::move(args), false);
}

CallResult Session::set(std::u16string_view property, const Value& value) {
  if (object_ == nullptr) return host_error("the object is destroyed");
  const long index = object_->find_prop(property);
  if (index < 0) return host_error("Поле объекта не обнаружено (" + to_utf8_lossy(property) + ")");
  if (!object_->is_prop_writable(index)) return host_error("Поле объекта недоступно для записи");
  return object_->set_prop_val(index, value);
}

CallResult Session::get(std::u16string_view property) {
  if (object_ == nullptr) return host_error("the object is destroyed");
  const long index = object_->find_prop(property);
  if (index < 0) return host_error("Поле объекта не обнаружено (" + to_utf8_lossy(property) + ")");
  if (!object_->is_prop_readable(index)) return host_error("Поле объекта недоступно для чтения");
  return object_->get_prop_val(index);
}

}  // namespace hserver::host
