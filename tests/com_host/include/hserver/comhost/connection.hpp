#pragma once
/// @brief The connection object the host passes to IInitDone::Init, behaving like 1C's:
/// - IDispatch (no members: 1C's own object is opaque to the add-in), IAsyncEvent, IErrorLog, IStatusLine
///   from one identity;
/// - every call must come on the host's (STA) thread: a call from any other thread is a violation;
/// - ExternalEvent queues into a buffer of the current depth (1 at start) and, when it is full, drops
///   the event and returns an error, as 1C does;
/// - AddError is recorded (1C raises an exception in the calling code when scode is nonzero).

#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "hserver/comhost/com_abi.hpp"

namespace hserver::comhost {

/// @brief One ExternalEvent, in UTF-8.
struct ExternalEvent {
  std::string source, name, data;
};

/// @brief One AddError call.
struct ErrorRecord {
  WORD code = 0;
  SCODE scode = 0;
  std::string source, description;
};

/// @brief Thread-safe list of broken rules; a run with any fails.
class Violations {
 public:
  void add(std::string what);
  std::vector<std::string> list() const;

 private:
  mutable std::mutex mutex_;
  std::vector<std::string> list_;
};

class Connection final : public IDispatch, public abi::IAsyncEvent, public abi::IErrorLog, public abi::IStatusLine {
 public:
  /// @brief Call on the host's STA thread: it becomes the only thread allowed to call in.
  explicit Connection(Violations& violations);

  /// @brief Host thread: removes the oldest event (freeing its buffer slot, as 1C does before
  /// ВнешнееСобытие runs).
  std::optional<hserver::comhost::ExternalEvent> take_event();
  /// @brief Host thread: the errors AddError recorded since the previous call, oldest first.
  std::vector<ErrorRecord> take_errors();
  std::size_t delivered() const { return delivered_; }
  std::size_t dropped() const { return dropped_; }
  /// @brief As if 1C's buffer had this depth.
  void set_depth(long depth) { depth_ = depth; }

  // IUnknown. The host owns the object (on its stack); counting is kept only to check the add-in
  // releases what it took.
  HRESULT STDMETHODCALLTYPE QueryInterface(REFIID iid, void** out) override;
  ULONG STDMETHODCALLTYPE AddRef() override;
  ULONG STDMETHODCALLTYPE Release() override;
  /// @brief References the add-in still holds (0 after Done is correct).
  long outstanding() const { return references_; }

  // IDispatch: no members.
  HRESULT STDMETHODCALLTYPE GetTypeInfoCount(UINT* count) override;
  HRESULT STDMETHODCALLTYPE GetTypeInfo(UINT, LCID, ITypeInfo** info) override;
  HRESULT STDMETHODCALLTYPE GetIDsOfNames(REFIID, LPOLESTR*, UINT, LCID, DISPID*) override;
  HRESULT STDMETHODCALLTYPE Invoke(DISPID, REFIID, LCID, WORD, DISPPARAMS*, VARIANT*, EXCEPINFO*, UINT*) override;

  // IAsyncEvent
  HRESULT STDMETHODCALLTYPE SetEventBufferDepth(long depth) override;
  HRESULT STDMETHODCALLTYPE GetEventBufferDepth(long* depth) override;
  HRESULT STDMETHODCALLTYPE ExternalEvent(BSTR source, BSTR event, BSTR data) override;
  HRESULT STDMETHODCALLTYPE CleanBuffer() override;

  // IErrorLog
  HRESULT STDMETHODCALLTYPE AddError(LPCOLESTR property, EXCEPINFO* info) override;

  // IStatusLine
  HRESULT STDMETHODCALLTYPE SetStatusLine(BSTR text) override;
  HRESULT STDMETHODCALLTYPE ResetStatusLine() override;

 private:
  /// Records a violation when called off the host thread.
  void check_thread(const char* method);

  Violations& violations_;
  DWORD host_thread_;
  long references_ = 0;
  long depth_ = 1;
  std::deque<hserver::comhost::ExternalEvent> buffer_;
  std::vector<ErrorRecord> errors_;
  std::size_t delivered_ = 0;
  std::size_t dropped_ = 0;
  std::mutex mutex_;  // only a broken add-in calls from other threads; it must not corrupt the host
};

}  // namespace hserver::comhost
