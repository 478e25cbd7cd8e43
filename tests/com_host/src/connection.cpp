#include "hserver/comhost/connection.hpp"

#include "hserver/comhost/value.hpp"

namespace hserver::comhost {

void Violations::add(std::string what) {
  const std::lock_guard lock(mutex_);
  list_.push_back(std::move(what));
}

std::vector<std::string> Violations::list() const {
  const std::lock_guard lock(mutex_);
  return list_;
}

Connection::Connection(Violations& violations) : violations_(violations), host_thread_(GetCurrentThreadId()) {}

void Connection::check_thread(const char* method) {
  if (GetCurrentThreadId() != host_thread_) {
    violations_.add(std::string(method) + " called on thread " + std::to_string(GetCurrentThreadId()) +
                    ", not on the 1C (STA) thread " + std::to_string(host_thread_));
  }
}

std::optional<hserver::comhost::ExternalEvent> Connection::take_event() {
  const std::lock_guard lock(mutex_);
  if (buffer_.empty()) return std::nullopt;
  auto event = std::move(buffer_.front());
  buffer_.pop_front();
  return event;
}

std::vector<ErrorRecord> Connection::take_errors() {
  const std::lock_guard lock(mutex_);
  return std::exchange(errors_, {});
}

HRESULT STDMETHODCALLTYPE Connection::QueryInterface(REFIID iid, void** out) {
  check_thread("QueryInterface");
  if (out == nullptr) return E_POINTER;
  *out = nullptr;
  if (IsEqualIID(iid, IID_IUnknown) || IsEqualIID(iid, IID_IDispatch)) {
    *out = static_cast<IDispatch*>(this);
  } else if (IsEqualIID(iid, abi::kIidAsyncEvent)) {
    *out = static_cast<abi::IAsyncEvent*>(this);
  } else if (IsEqualIID(iid, abi::kIidErrorLog)) {
    *out = static_cast<abi::IErrorLog*>(this);
  } else if (IsEqualIID(iid, abi::kIidStatusLine)) {
    *out = static_cast<abi::IStatusLine*>(this);
  } else {
    return E_NOINTERFACE;
  }
  AddRef();
  return S_OK;
}

ULONG STDMETHODCALLTYPE Connection::AddRef() {
  check_thread("AddRef");
  return static_cast<ULONG>(++references_);
}

ULONG STDMETHODCALLTYPE Connection::Release() {
  check_thread("Release");
  if (references_ <= 0) violations_.add("the connection was released more often than referenced");
  return static_cast<ULONG>(--references_);
}

HRESULT STDMETHODCALLTYPE Connection::GetTypeInfoCount(UINT* count) {
  if (count != nullptr) *count = 0;
  return S_OK;
}
HRESULT STDMETHODCALLTYPE Connection::GetTypeInfo(UINT, LCID, ITypeInfo** info) {
  if (info != nullptr) *info = nullptr;
  return E_NOTIMPL;
}
HRESULT STDMETHODCALLTYPE Connection::GetIDsOfNames(REFIID, LPOLESTR*, UINT, LCID, DISPID*) {
  return DISP_E_UNKNOWNNAME;
}
HRESULT STDMETHODCALLTYPE Connection::Invoke(DISPID, REFIID, LCID, WORD, DISPPARAMS*, VARIANT*, EXCEPINFO*, UINT*) {
  return DISP_E_MEMBERNOTFOUND;
}

HRESULT STDMETHODCALLTYPE Connection::SetEventBufferDepth(long depth) {
  check_thread("SetEventBufferDepth");
  if (depth < 1) return E_INVALIDARG;
  depth_ = depth;
  return S_OK;
}

HRESULT STDMETHODCALLTYPE Connection::GetEventBufferDepth(long* depth) {
  check_thread("GetEventBufferDepth");
  if (depth == nullptr) return E_POINTER;
  *depth = depth_;
  return S_OK;
}

HRESULT STDMETHODCALLTYPE Connection::ExternalEvent(BSTR source, BSTR event, BSTR data) {
  check_thread("ExternalEvent");
  const std::lock_guard lock(mutex_);
  if (buffer_.size() >= static_cast<std::size_t>(depth_)) {
    ++dropped_;  // 1C drops the new event when the buffer is full
    return E_FAIL;
  }
  buffer_.push_back({narrow(source), narrow(event), narrow(data)});
  ++delivered_;
  return S_OK;
}

HRESULT STDMETHODCALLTYPE Connection::CleanBuffer() {
  check_thread("CleanBuffer");
  const std::lock_guard lock(mutex_);
  buffer_.clear();
  return S_OK;
}

HRESULT STDMETHODCALLTYPE Connection::AddError(LPCOLESTR, EXCEPINFO* info) {
  check_thread("AddError");
  if (info == nullptr) {
    violations_.add("AddError without EXCEPINFO");
    return E_POINTER;
  }
  ErrorRecord record{info->wCode, info->scode, narrow(info->bstrSource), narrow(info->bstrDescription)};
  if (record.code < 1000 || record.code > 1009) {
    violations_.add("AddError with wCode " + std::to_string(record.code) + " outside 1000-1009");
  }
  if (record.description.empty()) violations_.add("AddError without a description");
  const std::lock_guard lock(mutex_);
  errors_.push_back(std::move(record));
  return S_OK;
}

HRESULT STDMETHODCALLTYPE Connection::SetStatusLine(BSTR) {
  check_thread("SetStatusLine");
  return S_OK;
}

HRESULT STDMETHODCALLTYPE Connection::ResetStatusLine() {
  check_thread("ResetStatusLine");
  return S_OK;
}

}  // namespace hserver::comhost
